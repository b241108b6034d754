import { describe, expect, it } from 'vitest';
import { EventPriority, EventQueue } from './event-queue';

function drain(q: EventQueue): [number, number, number][] {
  const out: [number, number, number][] = [];
  while (q.length > 0) {
    out.push([q.peekTime(), q.peekPriority(), q.peekPayload()]);
    q.pop();
  }
  return out;
}

describe('EventQueue', () => {
  it('orders by time, then priority, then the order events were scheduled', () => {
    const q = new EventQueue();
    q.push(5, EventPriority.Arrival, 0);
    q.push(3, EventPriority.WaitLimit, 1);
    q.push(5, EventPriority.TransferEnd, 2);
    q.push(3, EventPriority.Arrival, 3);
    q.push(5, EventPriority.Arrival, 4);
    q.push(0, EventPriority.WaitLimit, 5);
    expect(drain(q)).toEqual([
      [0, 2, 5],
      [3, 1, 3],
      [3, 2, 1],
      [5, 0, 2],
      [5, 1, 0],
      [5, 1, 4],
    ]);
  });

  it('keeps the order through growth and against a sort of many events', () => {
    const q = new EventQueue();
    const events: [number, number, number][] = [];
    let x = 12345;
    for (let i = 0; i < 5000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const t = x % 97;
      const p = (x >>> 8) % 3;
      q.push(t, p as EventPriority, i);
      events.push([t, p, i]);
    }
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    expect(drain(q)).toEqual(events);
  });

  it('fails loudly on an empty queue and a time that is not finite', () => {
    const q = new EventQueue();
    expect(() => q.peekTime()).toThrow('the event queue is empty');
    expect(() => q.push(NaN, EventPriority.Arrival, 0)).toThrow(
      'event time must be finite, got NaN',
    );
    q.push(1, EventPriority.Arrival, 7);
    q.clear();
    expect(q.length).toBe(0);
  });
});

/**
 * The event queue of a failure domain's simulation: a binary min-heap ordered
 * by (time, priority, sequence), as SimPy orders its events. Simultaneous events
 * come out by their named priority, then in the order they were scheduled, so
 * a domain's run is the same on every machine. Times are integer µs.
 */

/**
 * What happens at one instant, in the order it is handled when times tie: a
 * session frees before a newcomer asks for one, and a waiting dump is served
 * by a freed session before its wait limit expires at the same instant.
 */
export const enum EventPriority {
  /** A dump transfer ends: its session is free. */
  TransferEnd = 0,
  /** A capture kernel reaches the dump target and asks for a session. */
  Arrival = 1,
  /** A waiting dump's wait limit expires: kdump gives up on the target. */
  WaitLimit = 2,
}

/** A min-heap of events on (time, priority, sequence) with an integer payload each. */
export class EventQueue {
  private time = new Float64Array(64);
  private priority = new Int32Array(64);
  private sequence = new Float64Array(64);
  private payload = new Int32Array(64);
  private size = 0;
  private next = 0;

  /** Events scheduled and not yet popped. */
  get length(): number {
    return this.size;
  }

  /** Empties the queue and restarts the sequence (a fresh domain run). */
  clear(): void {
    this.size = 0;
    this.next = 0;
  }

  /**
   * Schedules an event.
   * @param timeUs when, integer µs (never before the last popped event: the caller's invariant)
   * @param priority order among events at the same time, lowest first
   * @param payload the event's subject (a dump index)
   */
  push(timeUs: number, priority: EventPriority, payload: number): void {
    if (!Number.isFinite(timeUs)) {
      throw new RangeError(`event time must be finite, got ${timeUs}`);
    }
    if (this.size === this.time.length) {
      this.grow();
    }
    // Sift up from the new leaf.
    let i = this.size++;
    const seq = this.next++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(timeUs, priority, seq, parent)) {
        break;
      }
      this.move(parent, i);
      i = parent;
    }
    this.time[i] = timeUs;
    this.priority[i] = priority;
    this.sequence[i] = seq;
    this.payload[i] = payload;
  }

  /** Time of the next event; throws on an empty queue. */
  peekTime(): number {
    this.requireEvents();
    return this.time[0]!;
  }

  /** Priority of the next event. */
  peekPriority(): EventPriority {
    this.requireEvents();
    return this.priority[0]! as EventPriority;
  }

  /** Payload of the next event. */
  peekPayload(): number {
    this.requireEvents();
    return this.payload[0]!;
  }

  /** Removes the next event (read it with the peek methods first). */
  pop(): void {
    this.requireEvents();
    const last = --this.size;
    if (last === 0) {
      return;
    }
    const t = this.time[last]!;
    const p = this.priority[last]!;
    const s = this.sequence[last]!;
    const x = this.payload[last]!;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= last) {
        break;
      }
      const right = left + 1;
      const child = right < last && this.less(right, left) ? right : left;
      if (
        !this.before(this.time[child]!, this.priority[child]!, this.sequence[child]!, -1, t, p, s)
      ) {
        break;
      }
      this.move(child, i);
      i = child;
    }
    this.time[i] = t;
    this.priority[i] = p;
    this.sequence[i] = s;
    this.payload[i] = x;
  }

  private requireEvents(): void {
    if (this.size === 0) {
      throw new RangeError('the event queue is empty');
    }
  }

  /** Is (t, p, s) before the event at `at` (or before (t2, p2, s2) when `at` is -1)? */
  private before(t: number, p: number, s: number, at: number, t2 = 0, p2 = 0, s2 = 0): boolean {
    if (at >= 0) {
      t2 = this.time[at]!;
      p2 = this.priority[at]!;
      s2 = this.sequence[at]!;
    }
    return t < t2 || (t === t2 && (p < p2 || (p === p2 && s < s2)));
  }

  private less(a: number, b: number): boolean {
    return this.before(this.time[a]!, this.priority[a]!, this.sequence[a]!, b);
  }

  private move(from: number, to: number): void {
    this.time[to] = this.time[from]!;
    this.priority[to] = this.priority[from]!;
    this.sequence[to] = this.sequence[from]!;
    this.payload[to] = this.payload[from]!;
  }

  private grow(): void {
    const n = this.time.length * 2;
    const t = new Float64Array(n);
    t.set(this.time);
    this.time = t;
    const p = new Int32Array(n);
    p.set(this.priority);
    this.priority = p;
    const s = new Float64Array(n);
    s.set(this.sequence);
    this.sequence = s;
    const x = new Int32Array(n);
    x.set(this.payload);
    this.payload = x;
  }
}

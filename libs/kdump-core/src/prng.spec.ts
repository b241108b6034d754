import { describe, it, expect } from 'vitest';
import { KeyedStream, keyedStream, poissonDraw, StreamPurpose } from './prng';

function firstUint32s(stream: KeyedStream, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(stream.nextUint32());
  }
  return out;
}

describe('KeyedStream', () => {
  it('gives the same sequence for the same key', () => {
    const a = firstUint32s(keyedStream(42, 7, 3, StreamPurpose.Crash), 64);
    const b = firstUint32s(keyedStream(42, 7, 3, StreamPurpose.Crash), 64);
    expect(a).toEqual(b);
  });

  it('pins the first draws of (seed 42, server 0, event 0, Crash): replays stay exact', () => {
    // Computed once from the implementation and frozen: changing the hash, the key
    // layout or the generator changes every replay of every stored experiment.
    const s = keyedStream(42, 0, 0, StreamPurpose.Crash);
    expect(firstUint32s(s, 4)).toEqual([1335069268, 2042702591, 145614337, 3450729822]);
  });

  it('re-keying a used stream gives the same sequence as a fresh one', () => {
    const reused = keyedStream(1, 2, 3, StreamPurpose.Reboot);
    firstUint32s(reused, 100);
    reused.rekey(42, 0, 0, StreamPurpose.Crash);
    expect(firstUint32s(reused, 16)).toEqual(
      firstUint32s(keyedStream(42, 0, 0, StreamPurpose.Crash), 16),
    );
  });

  it('rekey returns the stream itself', () => {
    const s = new KeyedStream();
    expect(s.rekey(1, 1, 1, StreamPurpose.EventCount)).toBe(s);
  });

  it('gives different sequences for different servers, events, purposes and seeds', () => {
    const base = { seed: 42, server: 10, event: 2, purpose: StreamPurpose.Crash as StreamPurpose };
    const seq = (k: typeof base) =>
      firstUint32s(keyedStream(k.seed, k.server, k.event, k.purpose), 8);
    const reference = seq(base);
    const variants = [
      { ...base, server: 11 },
      { ...base, server: 0 },
      { ...base, event: 3 },
      { ...base, event: 0 },
      { ...base, purpose: StreamPurpose.Reboot },
      { ...base, purpose: StreamPurpose.EventCount },
      { ...base, seed: 43 },
      { ...base, seed: 0 },
    ];
    const all = [reference, ...variants.map(seq)].map((s) => s.join(','));
    expect(new Set(all).size).toBe(all.length);
  });

  it('does not confuse server and event (the key is ordered)', () => {
    const a = firstUint32s(keyedStream(42, 1, 2, StreamPurpose.Crash), 8);
    const b = firstUint32s(keyedStream(42, 2, 1, StreamPurpose.Crash), 8);
    expect(a).not.toEqual(b);
  });

  it('uses the high bits of seeds above 2^32', () => {
    const low = firstUint32s(keyedStream(42, 0, 0, StreamPurpose.Crash), 8);
    const high = firstUint32s(keyedStream(2 ** 32 + 42, 0, 0, StreamPurpose.Crash), 8);
    const higher = firstUint32s(keyedStream(2 ** 40 + 42, 0, 0, StreamPurpose.Crash), 8);
    expect(high).not.toEqual(low);
    expect(higher).not.toEqual(low);
    expect(higher).not.toEqual(high);
  });

  it('returns unsigned 32-bit integers', () => {
    const s = keyedStream(9, 9, 9, StreamPurpose.Crash);
    const bad = Array.from({ length: 10_000 }, () => s.nextUint32()).filter(
      (v) => !(Number.isInteger(v) && v >= 0 && v < 2 ** 32),
    );
    expect(bad).toEqual([]);
  });

  it('fillUniforms equals repeated nextUniform and leaves the stream at the same place', () => {
    const a = keyedStream(5, 6, 7, StreamPurpose.Crash);
    const b = keyedStream(5, 6, 7, StreamPurpose.Crash);
    const filled = new Float64Array(1000);
    a.fillUniforms(filled, 1000);
    const drawn = Float64Array.from({ length: 1000 }, () => b.nextUniform());
    expect(Array.from(filled)).toEqual(Array.from(drawn));
    expect(firstUint32s(a, 8)).toEqual(firstUint32s(b, 8));
  });

  it('fillUniforms only writes `count` entries', () => {
    const out = new Float64Array(10).fill(-1);
    keyedStream(1, 1, 1, StreamPurpose.Crash).fillUniforms(out, 4);
    expect(Array.from(out.subarray(4))).toEqual(new Array(6).fill(-1));
    expect(Array.from(out.subarray(0, 4)).every((u) => u > 0 && u < 1)).toBe(true);
  });

  it('draws uniforms strictly inside (0, 1)', () => {
    const s = keyedStream(123, 0, 0, StreamPurpose.EventCount);
    let min = 1;
    let max = 0;
    for (let i = 0; i < 200_000; i++) {
      const u = s.nextUniform();
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(min).toBeGreaterThan(0);
    expect(max).toBeLessThan(1);
  });

  it('maps the extreme 32-bit words strictly inside (0, 1)', () => {
    class Fixed extends KeyedStream {
      constructor(private readonly word: number) {
        super();
      }
      override nextUint32(): number {
        return this.word;
      }
    }
    const lowest = new Fixed(0).nextUniform();
    const highest = new Fixed(0xffffffff).nextUniform();
    expect(lowest).toBeGreaterThan(0);
    expect(Math.log(lowest)).toBeGreaterThan(-Infinity);
    expect(highest).toBeLessThan(1);
    expect(Math.log(1 - highest)).toBeGreaterThan(-Infinity);
  });

  it('has a mean of about 0.5 over 100k uniforms', () => {
    const s = keyedStream(2026, 1, 0, StreamPurpose.Crash);
    const out = new Float64Array(100_000);
    s.fillUniforms(out, out.length);
    const mean = out.reduce((a, b) => a + b, 0) / out.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
  });
});

describe('poissonDraw', () => {
  it('has a mean of about lambda for lambda = 1.5 over 50k draws', () => {
    const s = keyedStream(7, 0, 0, StreamPurpose.EventCount);
    let total = 0;
    let bad = 0;
    for (let i = 0; i < 50_000; i++) {
      const k = poissonDraw(s, 1.5);
      if (!Number.isInteger(k) || k < 0) {
        bad++;
      }
      total += k;
    }
    expect(bad).toBe(0);
    expect(Math.abs(total / 50_000 - 1.5)).toBeLessThan(0.03);
  });

  it('always draws 0 for a mean of 0', () => {
    const s = keyedStream(7, 0, 0, StreamPurpose.EventCount);
    for (let i = 0; i < 1000; i++) {
      expect(poissonDraw(s, 0)).toBe(0);
    }
  });

  it('is deterministic for a key', () => {
    const draw = () => {
      const s = keyedStream(3, 4, 0, StreamPurpose.EventCount);
      return Array.from({ length: 100 }, () => poissonDraw(s, 4));
    };
    expect(draw()).toEqual(draw());
  });

  it('accepts the largest mean, 500', () => {
    const s = keyedStream(1, 0, 0, StreamPurpose.EventCount);
    const k = poissonDraw(s, 500);
    expect(k).toBeGreaterThan(400);
    expect(k).toBeLessThan(600);
  });

  it('rejects negative, too large and NaN means, naming the value', () => {
    const s = keyedStream(1, 0, 0, StreamPurpose.EventCount);
    expect(() => poissonDraw(s, -0.5)).toThrow(RangeError);
    expect(() => poissonDraw(s, -0.5)).toThrow(/-0\.5/);
    expect(() => poissonDraw(s, 500.5)).toThrow(/500\.5/);
    expect(() => poissonDraw(s, 1000)).toThrow(/1000/);
    expect(() => poissonDraw(s, Number.NaN)).toThrow(/NaN/);
  });
});

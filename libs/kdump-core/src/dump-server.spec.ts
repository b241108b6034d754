import { describe, expect, it } from 'vitest';
import { DumpServer } from './dump-server';
import { erlangC } from './erlang-c';
import { keyedStream, StreamPurpose } from './prng';

function serve(sessions: number, waitLimitUs: number, arrivals: number[], transfers: number[]) {
  const n = arrivals.length;
  const out = { startUs: new Float64Array(n), endUs: new Float64Array(n) };
  const run = new DumpServer().run(
    { sessions, waitLimitUs },
    Float64Array.from(arrivals),
    Float64Array.from(transfers),
    n,
    out,
  );
  return { start: [...run.startUs], end: [...run.endUs], peak: run.peakWaiting, lost: run.lost };
}

describe('DumpServer', () => {
  const arrivals = [0, 1, 2, 3, 3, 20];
  const transfers = [5, 5, 4, 2, 1, 1];

  it('serves first come first served on its sessions (worked by hand)', () => {
    // t=0,1: sessions busy until 5 and 6. t=2,3,3: three wait. t=5: the first waiter
    // (arrived 2) starts; t=6: the next (3); t=8: the last (3), behind it by sequence.
    expect(serve(2, Infinity, arrivals, transfers)).toEqual({
      start: [0, 1, 5, 6, 8, 20],
      end: [5, 6, 9, 8, 9, 21],
      peak: 3,
      lost: 0,
    });
  });

  it('loses a dump that waits past the limit; the session goes to the next one', () => {
    // Limit 4: the dump of t=2 starts at 5 (waited 3), that of t=3 at 6 (waited 3); the
    // second of t=3 gives up at 7 with no session free.
    expect(serve(2, 4, arrivals, transfers)).toEqual({
      start: [0, 1, 5, 6, -1, 20],
      end: [5, 6, 9, 8, 7, 21],
      peak: 3,
      lost: 1,
    });
  });

  it('a session that frees exactly at the limit still serves the waiting dump', () => {
    // The dump of t=2 reaches its limit of 3 at t=5, when the first session frees:
    // the transfer end comes first (priority), so it is served, not lost.
    const r = serve(2, 3, arrivals, transfers);
    // Likewise the first dump of t=3 at t=6; the second of t=3 gives up at 6, no session left.
    expect(r).toEqual({
      start: [0, 1, 5, 6, -1, 20],
      end: [5, 6, 9, 8, 6, 21],
      peak: 3,
      lost: 1,
    });
  });

  it('refuses a server without sessions and short output arrays', () => {
    expect(() => serve(0, Infinity, [0], [1])).toThrow(
      'a dump server needs at least 1 session, got 0',
    );
    expect(() =>
      new DumpServer().run(
        { sessions: 1, waitLimitUs: Infinity },
        new Float64Array(2),
        new Float64Array(2),
        2,
        {
          startUs: new Float64Array(1),
          endUs: new Float64Array(2),
        },
      ),
    ).toThrow('output arrays hold fewer than 2 dumps');
  });

  it('meets Erlang C: M/M/4 at ρ = 0.8, mean wait and P(wait) inside batch-means 95 % intervals', () => {
    // λ = 3.2 per s, μ = 1 per s (1 s mean transfer), 4 sessions; times in µs.
    const n = 200_000;
    const arrival = new Float64Array(n);
    const transfer = new Float64Array(n);
    const s = keyedStream(7, 0, 0, StreamPurpose.SharedDump);
    let t = 0;
    for (let i = 0; i < n; i++) {
      t += Math.round((-Math.log(s.nextUniform()) / 3.2) * 1e6);
      arrival[i] = t;
      transfer[i] = Math.round(-Math.log(s.nextUniform()) * 1e6);
    }
    const out = { startUs: new Float64Array(n), endUs: new Float64Array(n) };
    new DumpServer().run({ sessions: 4, waitLimitUs: Infinity }, arrival, transfer, n, out);
    const theory = erlangC(3.2, 1, 4);
    // Drop the first 5 % (the queue starts empty), then 20 batches of consecutive arrivals.
    const warm = n / 20;
    const batches = 20;
    const size = (n - warm) / batches;
    const waitMeans: number[] = [];
    const waitShares: number[] = [];
    for (let b = 0; b < batches; b++) {
      let sum = 0;
      let waited = 0;
      for (let i = warm + b * size; i < warm + (b + 1) * size; i++) {
        const w = (out.startUs[i]! - arrival[i]!) / 1e6;
        sum += w;
        waited += w > 0 ? 1 : 0;
      }
      waitMeans.push(sum / size);
      waitShares.push(waited / size);
    }
    const interval = (xs: number[]) => {
      const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
      const half = (2.093 * sd) / Math.sqrt(xs.length); // t(0.975, 19)
      return { mean, lower: mean - half, upper: mean + half };
    };
    const w = interval(waitMeans);
    const p = interval(waitShares);
    expect(theory.meanWait).toBeCloseTo(0.7455, 3);
    expect(w.lower).toBeLessThan(theory.meanWait);
    expect(w.upper).toBeGreaterThan(theory.meanWait);
    expect(p.lower).toBeLessThan(theory.probabilityOfWait);
    expect(p.upper).toBeGreaterThan(theory.probabilityOfWait);
    // And the intervals are tight enough to mean something: ±10 % and ±0.03.
    expect(w.upper - w.lower).toBeLessThan(0.2 * theory.meanWait);
    expect(p.upper - p.lower).toBeLessThan(0.06);
  });
});

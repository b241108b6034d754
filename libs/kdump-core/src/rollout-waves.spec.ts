import { describe, expect, it } from 'vitest';
import {
  decodeTally,
  emptyTally,
  encodeTally,
  mergeTally,
  rolloutPlan,
  strategySlot,
  waveOf,
  waveServers,
  WaveSlot,
  waveStride,
} from './rollout-waves';

describe('roll-out waves', () => {
  it('cuts a canary wave, then waves of waveSize in fleet order, the last one short', () => {
    const plan = rolloutPlan({ waveSize: 3, canary: 1 }, 10, 2);
    expect(plan.waves).toBe(4);
    expect([0, 1, 2, 3].map((w) => waveServers(plan, w))).toEqual([
      { start: 0, end: 1 },
      { start: 1, end: 4 },
      { start: 4, end: 7 },
      { start: 7, end: 10 },
    ]);
    expect(Array.from({ length: 10 }, (_, s) => waveOf(plan, s))).toEqual([
      0, 1, 1, 1, 2, 2, 2, 3, 3, 3,
    ]);
    const noCanary = rolloutPlan({ waveSize: 4 }, 10, 1);
    expect(noCanary.waves).toBe(3);
    expect(Array.from({ length: 10 }, (_, s) => waveOf(noCanary, s))).toEqual([
      0, 0, 0, 0, 1, 1, 1, 1, 2, 2,
    ]);
    expect(waveServers(noCanary, 2)).toEqual({ start: 8, end: 10 });
  });

  it('turns minutes into µs and keeps the halt share', () => {
    const plan = rolloutPlan(
      { waveSize: 5, intervalMinutes: 30, soakMinutes: 0.5, haltWhenNotBackShareAbove: 0.02 },
      20,
      3,
    );
    expect(plan.intervalUs).toBe(1_800_000_000);
    expect(plan.soakUs).toBe(30_000_000);
    expect(plan.haltShare).toBe(0.02);
    expect(rolloutPlan({ waveSize: 5 }, 20, 3)).toMatchObject({
      intervalUs: 0,
      soakUs: 0,
      haltShare: null,
      canary: 0,
    });
  });
});

describe('roll-out tally', () => {
  /** A tally of 2 waves × 2 strategies, filled from (wave, servers, fw, [notBack, longest]...). */
  const tally = (rows: [number, number, number, ...number[]][]) => {
    const t = emptyTally(2, 2);
    for (const [w, servers, fw, ...per] of rows) {
      t.slots[w * waveStride(2) + WaveSlot.Servers] = servers;
      t.slots[w * waveStride(2) + WaveSlot.FirmwareLongestUs] = fw;
      per.forEach((v, i) => {
        t.slots[strategySlot(t, w, Math.floor(i / 2)) + (i % 2)] = v;
      });
    }
    return t;
  };

  it('adds counts and keeps the longest times', () => {
    const a = tally([[0, 3, 90, 1, 40, 0, 45]]);
    const b = tally([
      [0, 2, 95, 2, 30, 1, 50],
      [1, 4, 80, 0, 41, 0, 42],
    ]);
    const merged = mergeTally(tally([]), a);
    mergeTally(merged, b);
    // wave 0: 3 + 2 servers, fw max(90, 95), s0: 1 + 2 not back, max(40, 30); s1: 0 + 1, max(45, 50)
    expect(Array.from(merged.slots)).toEqual([5, 95, 3, 40, 1, 50, 4, 80, 0, 41, 0, 42]);
  });

  it('merges in any order and grouping to the same bytes', () => {
    const parts = [
      tally([[0, 1, 7, 1, 9, 0, 3]]),
      tally([[0, 2, 11, 0, 4, 1, 12]]),
      tally([
        [0, 1, 2, 0, 1, 0, 2],
        [1, 5, 6, 2, 8, 3, 5],
      ]),
    ];
    const orders = [
      [0, 1, 2],
      [2, 1, 0],
      [1, 2, 0],
    ];
    const results = orders.map((o) => {
      const t = emptyTally(2, 2);
      o.forEach((i) => mergeTally(t, parts[i]!));
      return Array.from(t.slots);
    });
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
    const grouped = mergeTally(mergeTally(emptyTally(2, 2), parts[1]!), parts[2]!);
    expect(Array.from(mergeTally(mergeTally(emptyTally(2, 2), parts[0]!), grouped).slots)).toEqual(
      results[0],
    );
  });

  it('refuses to merge tallies of other shapes', () => {
    expect(() => mergeTally(emptyTally(2, 2), emptyTally(3, 2))).toThrow(
      /3 waves × 2 strategies into 2 × 2/,
    );
  });

  it('encodes only the waves with servers, and decodes back', () => {
    const t = tally([[1, 4, 80, 0, 41, 3, 42]]);
    const encoded = encodeTally(t);
    expect(encoded).toEqual([2, 2, 1, 4, 80, 0, 41, 3, 42]);
    expect(Array.from(decodeTally(encoded, { waves: 2, strategies: 2 }).slots)).toEqual(
      Array.from(t.slots),
    );
  });

  it('refuses a malformed encoding with the offending value', () => {
    const shape = { waves: 2, strategies: 2 };
    expect(() => decodeTally([3, 2], shape)).toThrow(/3 waves × 2 strategies, expected 2 × 2/);
    expect(() => decodeTally([2, 2, 0, 1], shape)).toThrow(/not whole waves/);
    expect(() => decodeTally([2, 2, 2, 1, 1, 1, 1, 1, 1], shape)).toThrow(/wave 2 out of order/);
    expect(() => decodeTally([2, 2, 0, 1, -1, 1, 1, 1, 1], shape)).toThrow(/slot 1 holds -1/);
    expect(() => decodeTally(null as unknown as number[], shape)).toThrow(/not an array/);
  });
});

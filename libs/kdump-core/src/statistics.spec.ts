import { describe, it, expect } from 'vitest';
import { pairedDifference, pairedMeanDifference, wilson, Z_95 } from './statistics';

/**
 * Newcombe's interval for two independent proportions (1998a, method 10): the
 * square-and-add of the two Wilson intervals, i.e. the paired formula with phi = 0.
 */
function unpaired(n: number, successesA: number, successesB: number) {
  const a = wilson(successesA, n);
  const b = wilson(successesB, n);
  const pA = successesA / n;
  const pB = successesB / n;
  const d = pA - pB;
  return {
    lower: d - Math.hypot(pA - a.lower!, b.upper! - pB),
    upper: d + Math.hypot(a.upper! - pA, pB - b.lower!),
  };
}

/** Paired cells as Newcombe writes them: e both, f only A, g only B, h neither. */
function paired(e: number, f: number, g: number, h: number) {
  return pairedDifference(e + f + g + h, e + f, e + g, f, g);
}

describe('wilson', () => {
  it('matches the published interval for 81/263 (Newcombe 1998, Table I)', () => {
    const r = wilson(81, 263);
    expect(r.value).toBeCloseTo(81 / 263, 12);
    expect(r.lower).toBeCloseTo(0.2553, 4);
    expect(r.upper).toBeCloseTo(0.3662, 4);
  });

  it('0/10: lower is 0, upper is z²/(n + z²) ≈ 0.2775', () => {
    const r = wilson(0, 10);
    expect(r.value).toBe(0);
    expect(r.lower).toBe(0);
    expect(r.upper).toBeCloseTo(0.2775, 4);
    expect(r.upper).toBeCloseTo((Z_95 * Z_95) / (10 + Z_95 * Z_95), 12);
  });

  it('10/10: upper is 1, lower ≈ 0.7225', () => {
    const r = wilson(10, 10);
    expect(r.value).toBe(1);
    expect(r.upper).toBe(1);
    expect(r.lower).toBeCloseTo(0.7225, 4);
  });

  it('contains the estimate and stays in [0, 1]', () => {
    for (const [k, n] of [
      [1, 1],
      [1, 2],
      [3, 7],
      [99, 100],
      [1, 100_000],
      [49_999, 100_000],
    ] as const) {
      const r = wilson(k, n);
      expect(r.lower!).toBeGreaterThanOrEqual(0);
      expect(r.upper!).toBeLessThanOrEqual(1);
      expect(r.lower!).toBeLessThanOrEqual(r.value!);
      expect(r.upper!).toBeGreaterThanOrEqual(r.value!);
    }
  });

  it('narrows with n at the same rate', () => {
    const small = wilson(30, 100);
    const large = wilson(3000, 10_000);
    expect(large.upper! - large.lower!).toBeLessThan((small.upper! - small.lower!) / 5);
  });

  it('uses the given z', () => {
    const r90 = wilson(81, 263, 1.6448536269514722);
    const r95 = wilson(81, 263);
    expect(r90.upper! - r90.lower!).toBeLessThan(r95.upper! - r95.lower!);
  });

  it('gives nulls for n = 0', () => {
    expect(wilson(0, 0)).toEqual({ value: null, lower: null, upper: null });
  });

  it('rejects impossible counts, naming them', () => {
    expect(() => wilson(11, 10)).toThrow(/11 of 10/);
    expect(() => wilson(-1, 10)).toThrow(RangeError);
    expect(() => wilson(0, -1)).toThrow(RangeError);
    expect(() => wilson(0, Number.NaN)).toThrow(RangeError);
  });
});

describe('pairedDifference', () => {
  it('the difference is (aOnly − bOnly) / n', () => {
    const r = paired(36, 12, 2, 0);
    expect(r.difference).toBeCloseTo((12 - 2) / 50, 15);
    const s = paired(59, 6, 16, 80);
    expect(s.difference).toBeCloseTo((6 - 16) / 161, 15);
  });

  it('matches Newcombe 1998 (paired), Table III, first example: e=36 f=12 g=2 h=0', () => {
    // Published method 10 limits: 0.0569 to 0.3404.
    const r = paired(36, 12, 2, 0);
    expect(Math.abs(r.lower! - 0.0569)).toBeLessThanOrEqual(0.00005);
    expect(Math.abs(r.upper! - 0.3404)).toBeLessThanOrEqual(0.00005);
  });

  it('matches the published Newcombe interval for Cavo et al. (2012): 59, 6, 16, 80', () => {
    // Fagerland, Lydersen & Laake, Statistical Analysis of Contingency Tables (2017),
    // ch. 8: Newcombe square-and-add (method 10) estimate −0.0621, 95 % CI −0.1186 to
    // −0.0046. Here e·h > f·g, so method 10's continuity correction of phi applies:
    // its numerator e·h − f·g is replaced by max(e·h − f·g − n/2, 0).
    const r = paired(59, 6, 16, 80);
    expect(r.difference).toBeCloseTo(-0.0621, 4);
    expect(Math.abs(r.lower! - -0.1186)).toBeLessThanOrEqual(0.00005);
    expect(Math.abs(r.upper! - -0.0046)).toBeLessThanOrEqual(0.00005);
  });

  it('never gives a zero-width interval from a finite sample (e=27 f=0 g=0 h=27)', () => {
    // With phi used uncorrected, perfect agreement at p = 0.5 gives phi = 1 and the
    // interval collapses to [0, 0]; Newcombe's method 10 gives about ±0.035 here.
    const r = paired(27, 0, 0, 27);
    expect(r.difference).toBe(0);
    expect(r.upper! - r.lower!).toBeGreaterThan(0.01);
  });

  it('the interval contains the difference and stays in [-1, 1]', () => {
    const cases: [number, number, number, number][] = [
      [36, 12, 2, 0],
      [20, 12, 2, 16],
      [2, 97, 1, 0],
      [0, 30, 0, 0],
      [54, 0, 0, 0],
      [0, 0, 0, 54],
      [53, 0, 0, 1],
      [0, 0, 30, 0],
      [900, 40, 10, 50],
      [9000, 3, 80, 917],
    ];
    for (const [e, f, g, h] of cases) {
      const r = paired(e, f, g, h);
      const label = `${e} ${f} ${g} ${h}`;
      expect(r.lower!, label).toBeLessThanOrEqual(r.difference!);
      expect(r.upper!, label).toBeGreaterThanOrEqual(r.difference!);
      expect(r.lower!, label).toBeGreaterThanOrEqual(-1);
      expect(r.upper!, label).toBeLessThanOrEqual(1);
    }
  });

  it('is antisymmetric: swapping A and B mirrors the interval', () => {
    const ab = pairedDifference(1000, 950, 900, 70, 20);
    const ba = pairedDifference(1000, 900, 950, 20, 70);
    expect(ba.difference).toBeCloseTo(-ab.difference!, 15);
    expect(ba.lower).toBeCloseTo(-ab.upper!, 12);
    expect(ba.upper).toBeCloseTo(-ab.lower!, 12);
  });

  it('identical strategies give a difference of 0 and a narrow interval', () => {
    const n = 10_000;
    const r = pairedDifference(n, 9000, 9000, 0, 0);
    const u = unpaired(n, 9000, 9000);
    expect(r.difference).toBe(0);
    expect(r.lower!).toBeLessThanOrEqual(0);
    expect(r.upper!).toBeGreaterThanOrEqual(0);
    expect(r.upper! - r.lower!).toBeLessThan(0.005);
    expect(r.upper! - r.lower!).toBeLessThan((u.upper - u.lower) / 4);
  });

  it('with high agreement the paired interval is narrower than the unpaired one', () => {
    // 1000 jobs, rates 0.95 and 0.90, disagreeing on only 70 jobs.
    const n = 1000;
    const r = pairedDifference(n, 950, 900, 60, 10);
    const u = unpaired(n, 950, 900);
    expect(r.difference).toBeCloseTo(0.05, 12);
    expect(r.upper! - r.lower!).toBeLessThan(u.upper - u.lower);
    expect(r.lower!).toBeGreaterThan(u.lower);
    expect(r.upper!).toBeLessThan(u.upper);
  });

  it('with negatively correlated outcomes the paired interval is wider than the unpaired one', () => {
    // e·h − f·g < 0: A succeeds mostly where B fails.
    const r = paired(5, 45, 40, 10);
    const u = unpaired(100, 50, 45);
    expect(r.upper! - r.lower!).toBeGreaterThan(u.upper - u.lower);
  });

  it('gives nulls for n = 0', () => {
    expect(pairedDifference(0, 0, 0, 0, 0)).toEqual({
      difference: null,
      lower: null,
      upper: null,
    });
  });

  it('rejects inconsistent counts', () => {
    // both = a − aOnly must equal b − bOnly.
    expect(() => pairedDifference(100, 50, 50, 10, 0)).toThrow(/inconsistent counts/);
    // aOnly larger than A's successes.
    expect(() => pairedDifference(100, 5, 10, 6, 11)).toThrow(/inconsistent/);
    // More successes than jobs (neither < 0).
    expect(() => pairedDifference(10, 10, 10, 0, 5)).toThrow(/n=10/);
  });
});

describe('pairedMeanDifference', () => {
  it('is the mean ± z·s/√n of the differences, computed from exact sums', () => {
    const d = [1_500_000, -250_000, 3_000_000, 0, 750_000]; // µs
    const n = d.length;
    const mean = d.reduce((a, x) => a + x, 0) / n;
    const sd = Math.sqrt(d.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
    const r = pairedMeanDifference(
      n,
      d.reduce((a, x) => a + BigInt(x), 0n),
      d.reduce((a, x) => a + BigInt(x) * BigInt(x), 0n),
    );
    expect(r.pairs).toBe(5);
    expect(r.meanSeconds).toBe(Math.round(mean) / 1e6);
    expect(r.lower).toBeCloseTo((mean - (Z_95 * sd) / Math.sqrt(n)) / 1e6, 6);
    expect(r.upper).toBeCloseTo((mean + (Z_95 * sd) / Math.sqrt(n)) / 1e6, 6);
  });

  it('gives a zero-width interval for constant differences and nulls without pairs', () => {
    const c = 123_456_789_012;
    const r = pairedMeanDifference(1000, BigInt(c) * 1000n, BigInt(c) * BigInt(c) * 1000n);
    expect([r.meanSeconds, r.lower, r.upper]).toEqual([c / 1e6, c / 1e6, c / 1e6]);
    expect(pairedMeanDifference(0, 0n, 0n)).toEqual({
      pairs: 0,
      meanSeconds: null,
      lower: null,
      upper: null,
    });
    expect(() => pairedMeanDifference(2, 10n, 1n)).toThrow(/inconsistent/);
  });
});

import { describe, it, expect } from 'vitest';
import { BUILTIN_DEVICES } from './catalogue';
import {
  compileDistribution,
  DistributionKind,
  medianMicros,
  normalQuantile,
  normalQuantileFast,
  sampleMicros,
  type TimeDistribution,
} from './distribution';

const Z975 = 1.959963984540054;

describe('normalQuantile', () => {
  it('is 0 at 0.5', () => {
    expect(Math.abs(normalQuantile(0.5))).toBeLessThan(1e-9);
  });

  it('matches z at 0.975 and 0.025', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(Z975, 6);
    expect(normalQuantile(0.025)).toBeCloseTo(-Z975, 6);
  });

  it('matches known quantiles in the central region and both tails', () => {
    const known: [number, number][] = [
      [0.95, 1.6448536269514722],
      [0.9, 1.2815515655446004],
      [0.75, 0.6744897501960817],
      [0.99, 2.3263478740408408],
      [0.999, 3.090232306167813],
      [0.01, -2.3263478740408408],
      [0.001, -3.090232306167813],
    ];
    for (const [u, z] of known) {
      expect(Math.abs(normalQuantile(u) - z)).toBeLessThan(1e-6);
    }
  });

  it('is symmetric', () => {
    for (const u of [1e-9, 1e-4, 0.001, 0.01, 0.02, 0.02425, 0.1, 0.3, 0.45, 0.4999]) {
      expect(Math.abs(normalQuantile(u) + normalQuantile(1 - u))).toBeLessThan(1e-6);
    }
  });

  it('is strictly increasing over a grid, across the region boundaries', () => {
    const grid: number[] = [];
    for (let i = 1; i < 10_000; i++) {
      grid.push(i / 10_000);
    }
    // Fine steps around the switch between the tail and central formulas.
    for (const edge of [0.02425, 0.97575]) {
      for (let i = -50; i <= 50; i++) {
        grid.push(edge + i * 1e-7);
      }
    }
    grid.sort((a, b) => a - b);
    const notIncreasing: number[] = [];
    let previous = -Infinity;
    let prevU = 0;
    for (const u of grid) {
      if (u === prevU) {
        continue;
      }
      const z = normalQuantile(u);
      if (!(z > previous)) {
        notIncreasing.push(u);
      }
      previous = z;
      prevU = u;
    }
    expect(notIncreasing).toEqual([]);
  });

  it('stays finite and accurate far in the tails (1e-10)', () => {
    const z = -6.361340902404056; // qnorm(1e-10)
    expect(Math.abs(normalQuantile(1e-10) - z)).toBeLessThan(1e-6);
    expect(Math.abs(normalQuantile(1 - 1e-10) + z)).toBeLessThan(1e-5);
  });
});

describe('normalQuantileFast', () => {
  it('is within 2e-5 of normalQuantile across (0, 1)', () => {
    let worst = 0;
    for (let i = 1; i < 100_000; i++) {
      const u = i / 100_000;
      worst = Math.max(worst, Math.abs(normalQuantileFast(u) - normalQuantile(u)));
    }
    expect(worst).toBeLessThan(2e-5);
  });

  it('equals normalQuantile on the table nodes and in the tails', () => {
    for (const k of [64, 100, 1000, 2048, 3000, 4031]) {
      expect(normalQuantileFast(k / 4096)).toBe(normalQuantile(k / 4096));
    }
    for (const u of [1e-10, 1e-4, 0.01, 1 / 64 - 1e-9, 1 - 1 / 64, 0.99, 1 - 1e-10]) {
      expect(normalQuantileFast(u)).toBe(normalQuantile(u));
    }
  });

  it('is 0 at 0.5, symmetric and non-decreasing', () => {
    expect(normalQuantileFast(0.5)).toBe(0);
    const decreasing: number[] = [];
    let asymmetry = 0;
    let previous = -Infinity;
    for (let i = 1; i < 50_000; i++) {
      const u = i / 50_000;
      const z = normalQuantileFast(u);
      if (z < previous) {
        decreasing.push(u);
      }
      asymmetry = Math.max(asymmetry, Math.abs(z + normalQuantileFast(1 - u)));
      previous = z;
    }
    expect(decreasing).toEqual([]);
    expect(asymmetry).toBeLessThan(2e-5);
  });
});

describe('compileDistribution and sampleMicros', () => {
  it('constant: the same microseconds for every u', () => {
    const d = compileDistribution({ kind: 'constant', ms: 2.5 }, 'x');
    expect(d.kind).toBe(DistributionKind.Constant);
    for (const u of [1e-9, 0.3, 0.5, 0.999999]) {
      expect(sampleMicros(d, u)).toBe(2500);
    }
  });

  it('uniform: min + u × width', () => {
    const d = compileDistribution({ kind: 'uniform', minMs: 10, maxMs: 30 }, 'x');
    expect(d.kind).toBe(DistributionKind.Uniform);
    expect(sampleMicros(d, 0.25)).toBe(15_000);
    expect(sampleMicros(d, 0.5)).toBe(20_000);
    expect(sampleMicros(d, 1e-12)).toBe(10_000);
  });

  it('uniform with min = max is a constant', () => {
    const d = compileDistribution({ kind: 'uniform', minMs: 4, maxMs: 4 }, 'x');
    expect(sampleMicros(d, 0.9)).toBe(4000);
  });

  it('exponential: the median is mean × ln 2', () => {
    const d = compileDistribution({ kind: 'exponential', meanMs: 100 }, 'x');
    expect(d.kind).toBe(DistributionKind.Exponential);
    expect(sampleMicros(d, 0.5)).toBe(Math.round(100_000 * Math.LN2));
    expect(medianMicros(d)).toBe(69_315);
    // Larger u, shorter time: inversion of the survival function.
    expect(sampleMicros(d, 0.9)).toBeLessThan(sampleMicros(d, 0.1));
  });

  it('lognormal: u = 0.5 gives the median and u = 0.95 gives p95', () => {
    const d = compileDistribution({ kind: 'lognormal', medianMs: 800, p95Ms: 2000 }, 'x');
    expect(d.kind).toBe(DistributionKind.Lognormal);
    expect(Math.abs(sampleMicros(d, 0.5) - 800_000)).toBeLessThanOrEqual(1);
    expect(Math.abs(sampleMicros(d, 0.95) / 2_000_000 - 1)).toBeLessThan(0.001);
  });

  it('lognormal with p95 = median is a constant', () => {
    const d = compileDistribution({ kind: 'lognormal', medianMs: 20, p95Ms: 20 }, 'x');
    expect(sampleMicros(d, 0.01)).toBe(20_000);
    expect(sampleMicros(d, 0.99)).toBe(20_000);
  });

  it('empirical: picks sorted values by floor(u × n), sorting numerically', () => {
    const spec: TimeDistribution = { kind: 'empirical', valuesMs: [100, 9, 20, 5] };
    const d = compileDistribution(spec, 'x');
    expect(d.kind).toBe(DistributionKind.Empirical);
    expect(Array.from(d.values)).toEqual([5000, 9000, 20_000, 100_000]);
    expect(sampleMicros(d, 0.1)).toBe(5000); // floor(0.4) = 0
    expect(sampleMicros(d, 0.2499)).toBe(5000);
    expect(sampleMicros(d, 0.25)).toBe(9000); // floor(1) = 1
    expect(sampleMicros(d, 0.5)).toBe(20_000);
    expect(sampleMicros(d, 0.74)).toBe(20_000);
    expect(sampleMicros(d, 0.75)).toBe(100_000);
    expect(sampleMicros(d, 0.999999)).toBe(100_000);
    // The spec's array is not reordered.
    expect(spec.valuesMs).toEqual([100, 9, 20, 5]);
  });

  it('every sample is an integer number of microseconds', () => {
    const dists: TimeDistribution[] = [
      { kind: 'constant', ms: 0.0004 },
      { kind: 'uniform', minMs: 0.1, maxMs: 0.7 },
      { kind: 'exponential', meanMs: 3.3 },
      { kind: 'lognormal', medianMs: 1.1, p95Ms: 7.7 },
      { kind: 'empirical', valuesMs: [0.0011, 2.2225] },
    ];
    for (const spec of dists) {
      const d = compileDistribution(spec, 'x');
      for (const u of [0.001, 0.123, 0.5, 0.77, 0.999]) {
        expect(Number.isInteger(sampleMicros(d, u))).toBe(true);
      }
    }
  });
});

describe('compileDistribution errors', () => {
  it('uniform with maxMs below minMs names the path and both values', () => {
    expect(() =>
      compileDistribution({ kind: 'uniform', minMs: 30, maxMs: 10 }, 'drivers.x.probeMs'),
    ).toThrow(/drivers\.x\.probeMs.*maxMs 10.*minMs 30/);
  });

  it('lognormal with p95Ms below medianMs names the path and both values', () => {
    expect(() =>
      compileDistribution({ kind: 'lognormal', medianMs: 100, p95Ms: 50 }, 'devices.nic.initMs'),
    ).toThrow(/devices\.nic\.initMs.*p95Ms 50.*medianMs 100/);
  });

  it('empty empirical names the field', () => {
    expect(() => compileDistribution({ kind: 'empirical', valuesMs: [] }, 'a.b')).toThrow(
      /a\.b\.valuesMs/,
    );
  });

  it('negative values name the field path and the value', () => {
    expect(() => compileDistribution({ kind: 'constant', ms: -1 }, 'a.b')).toThrow(/a\.b\.ms.*-1/);
    expect(() => compileDistribution({ kind: 'uniform', minMs: -2, maxMs: 5 }, 'a.b')).toThrow(
      /a\.b\.minMs.*-2/,
    );
    expect(() => compileDistribution({ kind: 'empirical', valuesMs: [1, 2, -3] }, 'a.b')).toThrow(
      /a\.b\.valuesMs\[2\].*-3/,
    );
    expect(() => compileDistribution({ kind: 'exponential', meanMs: -4 }, 'a.b')).toThrow(
      /a\.b\.meanMs.*-4/,
    );
    expect(() =>
      compileDistribution({ kind: 'lognormal', medianMs: -5, p95Ms: 10 }, 'a.b'),
    ).toThrow(/a\.b\.medianMs.*-5/);
  });

  it('rejects zero where a positive value is needed, and non-finite values', () => {
    expect(() => compileDistribution({ kind: 'exponential', meanMs: 0 }, 'a')).toThrow(
      /a\.meanMs.*got 0/,
    );
    expect(() => compileDistribution({ kind: 'lognormal', medianMs: 0, p95Ms: 1 }, 'a')).toThrow(
      /a\.medianMs/,
    );
    expect(() => compileDistribution({ kind: 'constant', ms: Infinity }, 'a')).toThrow(
      /a\.ms.*Infinity/,
    );
    expect(() => compileDistribution({ kind: 'constant', ms: Number.NaN }, 'a')).toThrow(
      /a\.ms.*NaN/,
    );
  });

  it('rejects an unknown kind', () => {
    expect(() =>
      compileDistribution({ kind: 'pareto' } as unknown as TimeDistribution, 'a.b'),
    ).toThrow(/a\.b: unknown distribution/);
  });
});

describe('shifted distributions (minMs)', () => {
  it('a lognormal with minMs never draws below it and keeps its stated median and p95', () => {
    const d = compileDistribution(
      { kind: 'lognormal', medianMs: 150, p95Ms: 700, minMs: 100 },
      'flr',
    );
    expect(sampleMicros(d, 1e-12)).toBeGreaterThanOrEqual(100_000);
    expect(sampleMicros(d, 0.5)).toBe(150_000);
    expect(sampleMicros(d, 0.95) / 1000).toBeCloseTo(700, 0);
  });

  it('an exponential with minMs is minMs plus the rest of its mean', () => {
    const d = compileDistribution({ kind: 'exponential', meanMs: 300, minMs: 100 }, 'e');
    expect(sampleMicros(d, 1 - 1e-12)).toBe(100_000);
    // The median of minMs + Exp(mean 200): 100 + 200·ln 2.
    expect(sampleMicros(d, 0.5) / 1000).toBeCloseTo(100 + 200 * Math.LN2, 2);
  });

  it('refuses a median or mean at or below minMs', () => {
    expect(() =>
      compileDistribution({ kind: 'lognormal', medianMs: 100, p95Ms: 700, minMs: 100 }, 'x.flr'),
    ).toThrow(/x\.flr: medianMs 100 must be above minMs 100/);
    expect(() => compileDistribution({ kind: 'exponential', meanMs: 50, minMs: 60 }, 'y')).toThrow(
      /meanMs 50 must be above minMs 60/,
    );
  });

  it('every built-in FLR takes at least the 100 ms the PCIe spec requires', () => {
    const flrs = Object.entries(BUILTIN_DEVICES).filter(([, m]) => m.flr !== null);
    expect(flrs.length).toBeGreaterThan(3);
    for (const [name, model] of flrs) {
      const d = compileDistribution(model.flr!.durationMs, `${name}.flr`);
      // The shortest draw the distribution can give (its 1e-12 quantile).
      expect(sampleMicros(d, 1e-12), name).toBeGreaterThanOrEqual(100_000);
    }
  });
});

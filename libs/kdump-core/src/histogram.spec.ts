import { describe, it, expect } from 'vitest';
import {
  bucketLowerMicros,
  bucketMidpointMicros,
  bucketOf,
  BUCKETS,
  HISTOGRAM_STRIDE,
  histogramCount,
  normaliseSum,
  OCTAVES,
  QUANTILE_RELATIVE_ERROR,
  quantileMicros,
  recordMicros,
  SUB_BUCKETS,
  SUM_HI,
  SUM_LO,
  sumMicros,
  summarise,
} from './histogram';
import { keyedStream, StreamPurpose } from './prng';

const LIMB = 2 ** 32;

/** Log-uniform values in [1, 2^40) from a seeded stream, half of them integers. */
function randomMicros(count: number, seed: number): number[] {
  const s = keyedStream(seed, 0, 0, StreamPurpose.Crash);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const v = 2 ** (OCTAVES * s.nextUniform());
    out.push(i % 2 === 0 ? Math.max(1, Math.floor(v)) : v);
  }
  return out;
}

describe('layout constants', () => {
  it('has 40 octaves of 32 sub-buckets, then the two sum limbs', () => {
    expect(SUB_BUCKETS).toBe(32);
    expect(BUCKETS).toBe(1280);
    expect(SUM_LO).toBe(BUCKETS);
    expect(SUM_HI).toBe(BUCKETS + 1);
    expect(HISTOGRAM_STRIDE).toBe(BUCKETS + 2);
    expect(QUANTILE_RELATIVE_ERROR).toBe(1 / 64);
  });
});

describe('bucketOf', () => {
  it('puts values below 1 µs in the first bucket', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(0.5)).toBe(0);
    expect(bucketOf(0.999)).toBe(0);
  });

  it('indexes by octave and top five mantissa bits', () => {
    expect(bucketOf(1)).toBe(0);
    expect(bucketOf(1.03)).toBe(0); // 1 + 0.96/32: still sub-bucket 0
    expect(bucketOf(1.03125)).toBe(1); // 1 + 1/32
    expect(bucketOf(1.99)).toBe(31);
    expect(bucketOf(2)).toBe(32);
    expect(bucketOf(3)).toBe(32 + 16);
    // 1e6 = 2^19 × 1.9073...; floor(0.9073 × 32) = 29
    expect(bucketOf(1e6)).toBe(19 * 32 + 29);
  });

  it('puts 2^40 µs and above in the last bucket', () => {
    expect(bucketOf(2 ** 40 - 1)).toBe(BUCKETS - 1);
    expect(bucketOf(2 ** 40)).toBe(BUCKETS - 1);
    expect(bucketOf(2 ** 41 + 12345)).toBe(BUCKETS - 1);
    expect(bucketOf(1e15)).toBe(BUCKETS - 1);
    expect(bucketOf(Number.MAX_SAFE_INTEGER)).toBe(BUCKETS - 1);
  });

  it('is monotonic in the value', () => {
    const values = randomMicros(5000, 11).sort((a, b) => a - b);
    for (let i = 1; i < values.length; i++) {
      expect(bucketOf(values[i]!)).toBeGreaterThanOrEqual(bucketOf(values[i - 1]!));
    }
  });
});

describe('bucket bounds', () => {
  it('bucket lower bounds increase and the first one is 1 µs', () => {
    expect(bucketLowerMicros(0)).toBe(1);
    expect(bucketLowerMicros(BUCKETS)).toBe(2 ** 40);
    for (let b = 1; b <= BUCKETS; b++) {
      expect(bucketLowerMicros(b)).toBeGreaterThan(bucketLowerMicros(b - 1));
    }
  });

  it('every bucket starts at its own lower bound', () => {
    for (let b = 0; b < BUCKETS; b++) {
      expect(bucketOf(bucketLowerMicros(b))).toBe(b);
    }
  });

  it('lower(bucketOf(v)) <= v < lower(bucketOf(v) + 1) for random v in [1, 2^40)', () => {
    const failures: number[] = [];
    for (const v of randomMicros(20_000, 42)) {
      const b = bucketOf(v);
      if (!(bucketLowerMicros(b) <= v && v < bucketLowerMicros(b + 1))) {
        failures.push(v);
      }
    }
    expect(failures).toEqual([]);
  });

  it('the midpoint is within QUANTILE_RELATIVE_ERROR of any value in the bucket', () => {
    let worst = 0;
    for (const v of randomMicros(20_000, 43)) {
      const mid = bucketMidpointMicros(bucketOf(v));
      worst = Math.max(worst, Math.abs(mid - v) / v);
    }
    expect(worst).toBeLessThanOrEqual(QUANTILE_RELATIVE_ERROR);
    // The bound is tight: the lower edge of the first bucket of an octave.
    expect(Math.abs(bucketMidpointMicros(0) - 1)).toBeCloseTo(QUANTILE_RELATIVE_ERROR, 12);
  });
});

describe('recordMicros and sums', () => {
  it('counts each value in its bucket', () => {
    const slots = new Float64Array(HISTOGRAM_STRIDE);
    recordMicros(slots, 0, 5);
    recordMicros(slots, 0, 5);
    recordMicros(slots, 0, 1e6);
    expect(slots[bucketOf(5)]).toBe(2);
    expect(slots[bucketOf(1e6)]).toBe(1);
    expect(histogramCount(slots, 0)).toBe(3);
    expect(sumMicros(slots, 0)).toBe(1e6 + 10);
  });

  it('keeps the sum exact across the 2^32 limb', () => {
    const slots = new Float64Array(HISTOGRAM_STRIDE);
    recordMicros(slots, 0, 3e9);
    recordMicros(slots, 0, 3e9);
    recordMicros(slots, 0, 3e9);
    expect(sumMicros(slots, 0)).toBe(9e9);
    expect(slots[SUM_HI]).toBe(2);
    expect(slots[SUM_LO]).toBe(9e9 - 2 * LIMB);
    expect(slots[SUM_LO]).toBeLessThan(LIMB);
  });

  it('keeps a long run of sums exact in its limbs', () => {
    const slots = new Float64Array(HISTOGRAM_STRIDE);
    const v = 2 ** 31 + 7; // odd, so every partial sum has low bits set
    const n = 5000;
    for (let i = 0; i < n; i++) {
      recordMicros(slots, 0, v);
    }
    const fromLimbs = BigInt(slots[SUM_HI]!) * BigInt(LIMB) + BigInt(slots[SUM_LO]!);
    expect(fromLimbs).toBe(BigInt(v) * BigInt(n));
    expect(slots[SUM_LO]).toBeLessThan(LIMB);
  });

  it('keeps a sum beyond 2^53 µs exact in its limbs', () => {
    const slots = new Float64Array(HISTOGRAM_STRIDE);
    const v = 2 ** 52 + 1;
    for (let i = 0; i < 4; i++) {
      recordMicros(slots, 0, v);
    }
    const fromLimbs = BigInt(slots[SUM_HI]!) * BigInt(LIMB) + BigInt(slots[SUM_LO]!);
    expect(fromLimbs).toBe(BigInt(v) * 4n);
    expect(slots[SUM_LO]).toBe(4);
    expect(slots[BUCKETS - 1]).toBe(4);
  });

  it('records at an offset without touching other histograms', () => {
    const slots = new Float64Array(3 * HISTOGRAM_STRIDE);
    recordMicros(slots, HISTOGRAM_STRIDE, 1234);
    expect(histogramCount(slots, 0)).toBe(0);
    expect(histogramCount(slots, HISTOGRAM_STRIDE)).toBe(1);
    expect(histogramCount(slots, 2 * HISTOGRAM_STRIDE)).toBe(0);
    expect(sumMicros(slots, HISTOGRAM_STRIDE)).toBe(1234);
    expect(sumMicros(slots, 0)).toBe(0);
  });

  it('normaliseSum moves whole limbs to the high slot and keeps the total', () => {
    const slots = new Float64Array(HISTOGRAM_STRIDE);
    slots[SUM_LO] = 3 * LIMB + 17;
    slots[SUM_HI] = 4;
    normaliseSum(slots, 0);
    expect(slots[SUM_LO]).toBe(17);
    expect(slots[SUM_HI]).toBe(7);
    normaliseSum(slots, 0);
    expect(slots[SUM_LO]).toBe(17);
    expect(slots[SUM_HI]).toBe(7);
  });
});

describe('quantileMicros', () => {
  const oneToThousand = () => {
    const slots = new Float64Array(HISTOGRAM_STRIDE);
    for (let v = 1; v <= 1000; v++) {
      recordMicros(slots, 0, v);
    }
    return slots;
  };

  it('reports nearest-rank quantiles within 1.6 % for 1..1000 µs', () => {
    const slots = oneToThousand();
    const p50 = quantileMicros(slots, 0, 0.5)!;
    const p99 = quantileMicros(slots, 0, 0.99)!;
    const p100 = quantileMicros(slots, 0, 1)!;
    expect(Math.abs(p50 / 500 - 1)).toBeLessThanOrEqual(0.016);
    expect(Math.abs(p99 / 990 - 1)).toBeLessThanOrEqual(0.016);
    expect(Math.abs(p100 / 1000 - 1)).toBeLessThanOrEqual(0.016);
    expect(p50).toBe(bucketMidpointMicros(bucketOf(500)));
    expect(p99).toBe(bucketMidpointMicros(bucketOf(990)));
  });

  it('is within the bound of the exact order statistic for random data', () => {
    const values = randomMicros(5001, 99).map((v) => Math.floor(v));
    const slots = new Float64Array(HISTOGRAM_STRIDE);
    values.forEach((v) => recordMicros(slots, 0, v));
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.01, 0.1, 0.5, 0.9, 0.95, 0.99, 1]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
      const reported = quantileMicros(slots, 0, q)!;
      expect(Math.abs(reported - exact) / exact).toBeLessThanOrEqual(QUANTILE_RELATIVE_ERROR);
    }
  });

  it('is null for an empty histogram', () => {
    const slots = new Float64Array(HISTOGRAM_STRIDE);
    expect(quantileMicros(slots, 0, 0.5)).toBeNull();
  });

  it('rejects q outside (0, 1]', () => {
    const slots = oneToThousand();
    expect(() => quantileMicros(slots, 0, 0)).toThrow(/got 0/);
    expect(() => quantileMicros(slots, 0, 1.5)).toThrow(/got 1\.5/);
    expect(() => quantileMicros(slots, 0, Number.NaN)).toThrow(RangeError);
  });
});

describe('summarise', () => {
  it('returns count, mean and quantiles in seconds', () => {
    const slots = new Float64Array(HISTOGRAM_STRIDE);
    for (let v = 1; v <= 1000; v++) {
      recordMicros(slots, 0, v * 1000); // 1 ms .. 1 s
    }
    const s = summarise(slots, 0);
    expect(s.count).toBe(1000);
    expect(s.meanSeconds).toBe(0.5005);
    expect(Math.abs(s.p50Seconds! / 0.5 - 1)).toBeLessThanOrEqual(0.016);
    expect(Math.abs(s.p95Seconds! / 0.95 - 1)).toBeLessThanOrEqual(0.016);
    expect(Math.abs(s.p99Seconds! / 0.99 - 1)).toBeLessThanOrEqual(0.016);
    expect(s.p50Seconds).toBe(Math.round(quantileMicros(slots, 0, 0.5)!) / 1e6);
  });

  it('rounds to the microsecond', () => {
    const slots = new Float64Array(HISTOGRAM_STRIDE);
    recordMicros(slots, 0, 1);
    recordMicros(slots, 0, 2);
    const s = summarise(slots, 0);
    expect(s.meanSeconds).toBe(2e-6); // 1.5 µs rounds to 2 µs
  });

  it('gives nulls for an empty histogram', () => {
    const slots = new Float64Array(HISTOGRAM_STRIDE);
    expect(summarise(slots, 0)).toEqual({
      count: 0,
      meanSeconds: null,
      p50Seconds: null,
      p95Seconds: null,
      p99Seconds: null,
    });
  });

  it('uses the exact sum for the mean, past the 2^32 limb', () => {
    const slots = new Float64Array(HISTOGRAM_STRIDE);
    recordMicros(slots, 0, 3e9);
    recordMicros(slots, 0, 3e9);
    recordMicros(slots, 0, 3e9);
    expect(summarise(slots, 0).meanSeconds).toBe(3000);
  });
});

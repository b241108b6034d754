/**
 * Fixed log-scale histograms of integer microseconds.
 *
 * Layout: 40 octaves (1 µs to 2^40 µs ≈ 12.7 days) of 32 linear sub-buckets each,
 * HDR-histogram style. A value's bucket comes straight from its float64 exponent
 * and top five mantissa bits. Each bucket spans at most 1/32 of its lower bound,
 * and a quantile is reported at the bucket's midpoint, so a reported quantile is
 * within 1/64 (1.6 %) of the true order statistic. Values below 1 µs count in the
 * first bucket; values of 2^40 µs and above count in the last one.
 *
 * A histogram occupies `HISTOGRAM_STRIDE` slots of a Float64Array: the bucket
 * counts, then the sum of the recorded values as two 32-bit limbs (low, high),
 * so the sum stays an exact integer far beyond 2^53 µs. Every slot holds an
 * integer, so adding histograms slot by slot is exact, commutative and associative.
 */

// Module-private copies for the hot path: an exported const is read through the
// exports object on every use once compiled to CommonJS.
const SUB_BITS = 5;
const SUBS = 1 << SUB_BITS;
const OCTAVE_COUNT = 40;
const BUCKET_COUNT = OCTAVE_COUNT * SUBS;
const LO = BUCKET_COUNT;
const HI = BUCKET_COUNT + 1;

export const SUB_BUCKET_BITS = SUB_BITS;
export const SUB_BUCKETS = SUBS;
export const OCTAVES = OCTAVE_COUNT;
export const BUCKETS = BUCKET_COUNT;
/** Slot of the low limb of the sum, relative to the histogram's start. */
export const SUM_LO = BUCKETS;
/** Slot of the high limb of the sum. */
export const SUM_HI = BUCKETS + 1;
/** Slots one histogram occupies. */
export const HISTOGRAM_STRIDE = BUCKETS + 2;
/** Largest relative error of a reported quantile (half a bucket). */
export const QUANTILE_RELATIVE_ERROR = 1 / (2 * SUB_BUCKETS);

const LIMB = 4294967296;
const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);
// The exponent lives in the high word: index 1 on little-endian hosts, 0 on big-endian.
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** Bucket index of a value in µs. */
export function bucketOf(micros: number): number {
  if (micros < 1) {
    return 0;
  }
  scratch[0] = micros;
  const hi = scratchWords[HIGH_WORD]!;
  const octave = (hi >>> 20) - 1023;
  if (octave >= OCTAVE_COUNT) {
    return BUCKET_COUNT - 1;
  }
  return (octave << SUB_BITS) | ((hi >>> (20 - SUB_BITS)) & (SUBS - 1));
}

/** Inclusive lower bound of a bucket, µs. */
export function bucketLowerMicros(bucket: number): number {
  const octave = bucket >>> SUB_BITS;
  const sub = bucket & (SUBS - 1);
  return 2 ** octave * (1 + sub / SUBS);
}

/** The value a quantile landing in this bucket reports: the bucket's midpoint, µs. */
export function bucketMidpointMicros(bucket: number): number {
  const octave = bucket >>> SUB_BITS;
  const sub = bucket & (SUBS - 1);
  return 2 ** octave * (1 + (sub + 0.5) / SUBS);
}

/**
 * Records one value into the histogram starting at `base` of `slots`.
 * @param micros a non-negative integer number of microseconds
 */
export function recordMicros(slots: Float64Array, base: number, micros: number): void {
  slots[base + bucketOf(micros)]! += 1;
  const lo = slots[base + LO]! + micros;
  if (lo >= LIMB) {
    const carry = Math.floor(lo / LIMB);
    slots[base + HI]! += carry;
    slots[base + LO] = lo - carry * LIMB;
  } else {
    slots[base + LO] = lo;
  }
}

/** Moves whole multiples of 2^32 from the low limb of every sum to its high limb. */
export function normaliseSum(slots: Float64Array, base: number): void {
  const lo = slots[base + LO]!;
  if (lo >= LIMB) {
    const carry = Math.floor(lo / LIMB);
    slots[base + HI]! += carry;
    slots[base + LO] = lo - carry * LIMB;
  }
}

/** Summary of one histogram, in seconds. */
export interface HistogramSummary {
  count: number;
  meanSeconds: number | null;
  p50Seconds: number | null;
  p95Seconds: number | null;
  p99Seconds: number | null;
}

/** Count of values recorded in the histogram at `base`. */
export function histogramCount(slots: Float64Array, base: number): number {
  let n = 0;
  for (let i = 0; i < BUCKET_COUNT; i++) {
    n += slots[base + i]!;
  }
  return n;
}

/**
 * Nearest-rank quantile (the smallest value with at least q·n values at or below
 * it), reported at its bucket's midpoint. Null for an empty histogram.
 */
export function quantileMicros(slots: Float64Array, base: number, q: number): number | null {
  if (!(q > 0 && q <= 1)) {
    throw new RangeError(`quantile must be in (0, 1], got ${q}`);
  }
  const n = histogramCount(slots, base);
  if (n === 0) {
    return null;
  }
  const rank = Math.ceil(q * n);
  let cumulative = 0;
  for (let i = 0; i < BUCKET_COUNT; i++) {
    cumulative += slots[base + i]!;
    if (cumulative >= rank) {
      return bucketMidpointMicros(i);
    }
  }
  return bucketMidpointMicros(BUCKET_COUNT - 1);
}

/** Exact sum of recorded values, µs (a float; exact while below 2^53). */
export function sumMicros(slots: Float64Array, base: number): number {
  return slots[base + HI]! * LIMB + slots[base + LO]!;
}

/** Rounds seconds to the microsecond so report numbers print short and stable. */
function seconds(micros: number): number {
  return Math.round(micros) / 1e6;
}

/** Count, mean and p50/p95/p99 of a histogram in seconds. */
export function summarise(slots: Float64Array, base: number): HistogramSummary {
  const count = histogramCount(slots, base);
  if (count === 0) {
    return { count, meanSeconds: null, p50Seconds: null, p95Seconds: null, p99Seconds: null };
  }
  return {
    count,
    meanSeconds: seconds(sumMicros(slots, base) / count),
    p50Seconds: seconds(quantileMicros(slots, base, 0.5)!),
    p95Seconds: seconds(quantileMicros(slots, base, 0.95)!),
    p99Seconds: seconds(quantileMicros(slots, base, 0.99)!),
  };
}

/**
 * Time distributions of the model. Every draw is by inversion of one uniform in
 * (0, 1), so one draw consumes exactly one uniform: the layout of a crash's
 * draws is fixed and common random numbers line up across strategies.
 * Samples are integer microseconds.
 */

/** A time distribution as written in a spec, in milliseconds. */
export type TimeDistribution =
  | { kind: 'constant'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  | { kind: 'exponential'; meanMs: number; minMs?: number }
  | { kind: 'lognormal'; medianMs: number; p95Ms: number; minMs?: number }
  | { kind: 'empirical'; valuesMs: number[] };

/** Kind codes of a compiled distribution. */
export const enum DistributionKind {
  Constant = 0,
  Uniform = 1,
  Exponential = 2,
  Lognormal = 3,
  Empirical = 4,
}

/** z of the standard normal at 0.95. */
const Z95 = 1.6448536269514722;

/** Acklam's rational function for the lower tail, at q = sqrt(-2 ln u). */
function lowerTail(q: number): number {
  return (
    (((((-7.784894002430293e-3 * q - 3.223964580411365e-1) * q - 2.400758277161838) * q -
      2.549732539343734) *
      q +
      4.374664141464968) *
      q +
      2.938163982698783) /
    ((((7.784695709041462e-3 * q + 3.224671290700398e-1) * q + 2.445134137142996) * q +
      3.754408661907416) *
      q +
      1)
  );
}

/**
 * Quantile function of the standard normal (Acklam's rational approximation,
 * relative error < 1.15e-9). Central region is a pure rational function; only the
 * 5 % tails pay for a log and a square root.
 */
export function normalQuantile(u: number): number {
  if (u < 0.02425) {
    return lowerTail(Math.sqrt(-2 * Math.log(u)));
  }
  if (u > 0.97575) {
    return -lowerTail(Math.sqrt(-2 * Math.log(1 - u)));
  }
  const q = u - 0.5;
  const r = q * q;
  return (
    ((((((-3.969683028665376e1 * r + 2.209460984245205e2) * r - 2.759285104469687e2) * r +
      1.38357751867269e2) *
      r -
      3.066479806614716e1) *
      r +
      2.506628277459239) *
      q) /
    (((((-5.447609879822406e1 * r + 1.615858368580409e2) * r - 1.556989798598866e2) * r +
      6.680131188771972e1) *
      r -
      1.328068155288572e1) *
      r +
      1)
  );
}

/** A one-slot array for the value-taking forms: the implementations read their uniform from an array. */
const ONE_UNIFORM = new Float64Array(1);

/** Intervals of the standard normal quantile table. */
const NORMAL_TABLE_INTERVALS = 4096;
/** The table serves u in [1/64, 1 − 1/64]; the tails, where Φ⁻¹ curves hard, are computed exactly. */
const TABLE_FIRST = NORMAL_TABLE_INTERVALS / 64;
/** Φ⁻¹ at k / 4096, k = 1 .. 4095 (the ends are infinite and never used). */
const NORMAL_TABLE = (() => {
  const t = new Float64Array(NORMAL_TABLE_INTERVALS + 1);
  for (let k = 1; k < NORMAL_TABLE_INTERVALS; k++) {
    t[k] = normalQuantile(k / NORMAL_TABLE_INTERVALS);
  }
  return t;
})();

/**
 * Φ⁻¹(u) for sampling: linear interpolation in a 4096-interval table for u in
 * [1/64, 1 − 1/64] (absolute error below 2e-5 there), the exact rational
 * approximation in the tails. Deterministic, and cheaper than the rational
 * function on every draw.
 */
export function normalQuantileFast(u: number): number {
  ONE_UNIFORM[0] = u;
  return normalQuantileFastAt(ONE_UNIFORM, 0);
}

/**
 * {@link normalQuantileFast} of `uniforms[slot]`: the one implementation, which
 * the lognormal draw calls with the job's uniforms (see {@link sampleMicrosAt}).
 */
function normalQuantileFastAt(uniforms: Float64Array, slot: number): number {
  const u = uniforms[slot]!;
  const x = u * NORMAL_TABLE_INTERVALS;
  const i = x | 0;
  if (i < TABLE_FIRST || i >= NORMAL_TABLE_INTERVALS - TABLE_FIRST) {
    return normalQuantile(u);
  }
  const lo = NORMAL_TABLE[i]!;
  return lo + (x - i) * (NORMAL_TABLE[i + 1]! - lo);
}

/**
 * A compiled distribution: a kind code and two parameters, plus a sorted table
 * for empirical ones. Plain data so it can be copied into worker threads.
 */
export interface CompiledDistribution {
  kind: number;
  /** constant: µs; uniform: min µs; exponential: mean µs; lognormal: mu of ln(µs). */
  a: number;
  /** uniform: width µs; lognormal: sigma of ln(µs). */
  b: number;
  /** exponential, lognormal: the shortest time, µs, added to every draw (0 unshifted). */
  c: number;
  /** empirical: sorted values in µs. */
  values: Float64Array;
}

const EMPTY = new Float64Array(0);

/** Validates and compiles a distribution; throws with the offending values. */
export function compileDistribution(d: TimeDistribution, where: string): CompiledDistribution {
  switch (d.kind) {
    case 'constant':
      requireNonNegative(d.ms, `${where}.ms`);
      return { kind: DistributionKind.Constant, a: d.ms * 1000, b: 0, c: 0, values: EMPTY };
    case 'uniform':
      requireNonNegative(d.minMs, `${where}.minMs`);
      if (!(d.maxMs >= d.minMs)) {
        throw new RangeError(`${where}: maxMs ${d.maxMs} is below minMs ${d.minMs}`);
      }
      return {
        kind: DistributionKind.Uniform,
        a: d.minMs * 1000,
        b: (d.maxMs - d.minMs) * 1000,
        c: 0,
        values: EMPTY,
      };
    case 'exponential': {
      requirePositive(d.meanMs, `${where}.meanMs`);
      const min = d.minMs ?? 0;
      requireNonNegative(min, `${where}.minMs`);
      if (!(d.meanMs > min)) {
        throw new RangeError(`${where}: meanMs ${d.meanMs} must be above minMs ${min}`);
      }
      // Shifted: minMs plus an exponential of the rest of the mean.
      return {
        kind: DistributionKind.Exponential,
        a: (d.meanMs - min) * 1000,
        b: 0,
        c: min * 1000,
        values: EMPTY,
      };
    }
    case 'lognormal': {
      requirePositive(d.medianMs, `${where}.medianMs`);
      if (!(d.p95Ms >= d.medianMs)) {
        throw new RangeError(`${where}: p95Ms ${d.p95Ms} is below medianMs ${d.medianMs}`);
      }
      const min = d.minMs ?? 0;
      requireNonNegative(min, `${where}.minMs`);
      if (!(d.medianMs > min)) {
        throw new RangeError(`${where}: medianMs ${d.medianMs} must be above minMs ${min}`);
      }
      // Shifted: minMs plus a lognormal whose median and p95 are those stated, less minMs
      // (quantiles commute with the shift, so the whole time keeps the stated median and p95).
      const mu = Math.log((d.medianMs - min) * 1000);
      const sigma = (Math.log(Math.max(d.p95Ms - min, d.medianMs - min) * 1000) - mu) / Z95;
      return { kind: DistributionKind.Lognormal, a: mu, b: sigma, c: min * 1000, values: EMPTY };
    }
    case 'empirical': {
      if (d.valuesMs.length === 0) {
        throw new RangeError(`${where}.valuesMs: needs at least one value`);
      }
      d.valuesMs.forEach((v, i) => requireNonNegative(v, `${where}.valuesMs[${i}]`));
      const values = Float64Array.from(d.valuesMs, (v) => v * 1000).sort();
      return { kind: DistributionKind.Empirical, a: 0, b: 0, c: 0, values };
    }
    default: {
      const never: never = d;
      throw new TypeError(`${where}: unknown distribution ${JSON.stringify(never)}`);
    }
  }
}

function requireNonNegative(v: number, where: string): void {
  if (!(v >= 0) || !Number.isFinite(v)) {
    throw new RangeError(`${where} must be a finite number >= 0, got ${v}`);
  }
}

function requirePositive(v: number, where: string): void {
  if (!(v > 0) || !Number.isFinite(v)) {
    throw new RangeError(`${where} must be a finite number > 0, got ${v}`);
  }
}

/**
 * Draws one value in integer microseconds by inverting the distribution at `u`.
 * @param u a uniform in (0, 1)
 */
export function sampleMicros(d: CompiledDistribution, u: number): number {
  ONE_UNIFORM[0] = u;
  return sampleMicrosAt(d, ONE_UNIFORM, 0);
}

/**
 * {@link sampleMicros} at the uniform `uniforms[slot]`. The hot path's form: a
 * uniform is never a small integer, so handing one to a function V8 did not
 * inline boxes it in a fresh heap number; an array and an index do not.
 */
export function sampleMicrosAt(
  d: CompiledDistribution,
  uniforms: Float64Array,
  slot: number,
): number {
  const u = uniforms[slot]!;
  // Values are never negative, so floor(x + 0.5) rounds as Math.round does, and costs
  // a fraction of it on V8. Kind codes are literals: module constants would be
  // property loads on every draw.
  switch (d.kind) {
    case 0: // constant
      return Math.floor(d.a + 0.5);
    case 1: // uniform
      return Math.floor(d.a + d.b * u + 0.5);
    case 2: // exponential
      return Math.floor(d.c - d.a * Math.log(u) + 0.5);
    case 3: // lognormal
      return Math.floor(d.c + Math.exp(d.a + d.b * normalQuantileFastAt(uniforms, slot)) + 0.5);
    default: {
      const v = d.values;
      return Math.floor(v[Math.floor(u * v.length)]! + 0.5);
    }
  }
}

/** Median of a compiled distribution in µs (for docs and tests). */
export function medianMicros(d: CompiledDistribution): number {
  return sampleMicros(d, 0.5);
}

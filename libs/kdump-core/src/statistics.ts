/**
 * Interval estimates for the report: Wilson score intervals for rates, and
 * Newcombe's hybrid score interval (method 10 of Newcombe 1998) for the
 * difference of two paired rates, which uses the discordant counts that common
 * random numbers make small.
 */

/** z for a two-sided 95 % interval. */
export const Z_95 = 1.959963984540054;

/** A rate with its 95 % interval. */
export interface RateInterval {
  value: number | null;
  lower: number | null;
  upper: number | null;
}

/** Wilson score interval of `successes` out of `n`. Nulls when n = 0. */
export function wilson(successes: number, n: number, z = Z_95): RateInterval {
  if (
    !Number.isFinite(n) ||
    !Number.isFinite(successes) ||
    n < 0 ||
    successes < 0 ||
    successes > n
  ) {
    throw new RangeError(`wilson: need 0 <= successes <= n, got ${successes} of ${n}`);
  }
  if (n === 0) {
    return { value: null, lower: null, upper: null };
  }
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return {
    value: p,
    lower: Math.max(0, successes === 0 ? 0 : centre - half),
    upper: Math.min(1, successes === n ? 1 : centre + half),
  };
}

/** A paired difference of two rates with its 95 % interval. */
export interface DifferenceInterval {
  difference: number | null;
  lower: number | null;
  upper: number | null;
}

/**
 * Difference of paired proportions pA − pB over n paired jobs, from the jobs
 * where only A succeeded (`aOnly`), only B did (`bOnly`), and the successes of
 * each. Newcombe's method 10: Wilson intervals of each rate combined with the
 * correlation of the pairs (phi), which shrinks the interval when the
 * strategies agree on most jobs.
 */
export function pairedDifference(
  n: number,
  successesA: number,
  successesB: number,
  aOnly: number,
  bOnly: number,
  z = Z_95,
): DifferenceInterval {
  const counts = [n, successesA, successesB, aOnly, bOnly];
  if (!counts.every((c) => Number.isInteger(c) && c >= 0)) {
    throw new RangeError(
      `pairedDifference: counts must be non-negative integers, got ${counts.join(', ')}`,
    );
  }
  if (n === 0) {
    return { difference: null, lower: null, upper: null };
  }
  const both = successesA - aOnly;
  const neither = n - successesA - bOnly;
  if (both < 0 || neither < 0 || successesB - bOnly !== both) {
    throw new RangeError(
      `pairedDifference: inconsistent counts n=${n} a=${successesA} b=${successesB} aOnly=${aOnly} bOnly=${bOnly}`,
    );
  }
  const pA = successesA / n;
  const pB = successesB / n;
  const d = pA - pB;
  const wa = wilson(successesA, n, z);
  const wb = wilson(successesB, n, z);
  const l1 = wa.lower!;
  const u1 = wa.upper!;
  const l2 = wb.lower!;
  const u2 = wb.upper!;
  // phi: correlation of the paired outcomes, with Newcombe's continuity correction
  // of a positive cross product; 0 when a margin is empty.
  const margins = successesA * (n - successesA) * successesB * (n - successesB);
  const cross = both * neither - aOnly * bOnly;
  const corrected = cross > 0 ? Math.max(cross - n / 2, 0) : cross;
  const phi = margins > 0 ? corrected / Math.sqrt(margins) : 0;
  const dl = Math.sqrt(
    Math.max(0, (pA - l1) ** 2 - 2 * phi * (pA - l1) * (u2 - pB) + (u2 - pB) ** 2),
  );
  const du = Math.sqrt(
    Math.max(0, (u1 - pA) ** 2 - 2 * phi * (u1 - pA) * (pB - l2) + (pB - l2) ** 2),
  );
  return { difference: d, lower: Math.max(-1, d - dl), upper: Math.min(1, d + du) };
}

/** A paired difference of mean times with its 95 % interval, in seconds. */
export interface MeanDifferenceInterval {
  /** Jobs where both times exist. */
  pairs: number;
  meanSeconds: number | null;
  lower: number | null;
  upper: number | null;
}

/**
 * Mean of paired differences d (µs) from their exact sums over `n` jobs, with
 * the normal 95 % interval mean ± z·s/√n (s the sample standard deviation; the
 * jobs are many, so z stands for t). The variance n·Σd² − (Σd)² is computed
 * exactly in integers, so near-constant differences do not cancel to noise.
 * Nulls without pairs; a zero-width interval for one pair.
 */
export function pairedMeanDifference(
  n: number,
  sumMicros: bigint,
  sumSquaresMicros: bigint,
  z = Z_95,
): MeanDifferenceInterval {
  if (!Number.isInteger(n) || n < 0 || sumSquaresMicros < 0n) {
    throw new RangeError(
      `pairedMeanDifference: need n >= 0 and Σd² >= 0, got n=${n} Σd²=${sumSquaresMicros}`,
    );
  }
  if (n === 0) {
    return { pairs: 0, meanSeconds: null, lower: null, upper: null };
  }
  const spread = BigInt(n) * sumSquaresMicros - sumMicros * sumMicros;
  if (spread < 0n) {
    throw new RangeError(
      `pairedMeanDifference: inconsistent sums n=${n} Σd=${sumMicros} Σd²=${sumSquaresMicros}`,
    );
  }
  const mean = Number(sumMicros) / n;
  const half = n > 1 ? z * Math.sqrt(Number(spread) / (n * (n - 1)) / n) : 0;
  const s = (us: number) => Math.round(us) / 1e6;
  return { pairs: n, meanSeconds: s(mean), lower: s(mean - half), upper: s(mean + half) };
}

/**
 * 95 % interval of a Poisson mean from one observed count `n` (the score
 * interval: n + z²/2 ± z·√(n + z²/4)), in counts.
 */
export function poissonInterval(n: number, z = Z_95): { lower: number; upper: number } {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`poissonInterval: need a count, got ${n}`);
  }
  const centre = n + (z * z) / 2;
  const half = z * Math.sqrt(n + (z * z) / 4);
  return { lower: Math.max(0, centre - half), upper: centre + half };
}

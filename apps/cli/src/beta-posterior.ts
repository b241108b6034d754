/**
 * Beta posteriors of odds from counts: with a uniform Beta(1, 1) prior, k
 * successes in n trials give Beta(1 + k, 1 + n − k). Pure arithmetic: the
 * regularised incomplete beta by its continued fraction (Lentz), its inverse by
 * bisection.
 */

/** A fitted probability: posterior mean and equal-tailed credible interval. */
export interface BetaPosterior {
  successes: number;
  trials: number;
  /** Posterior mean (k + 1) / (n + 2). */
  mean: number;
  /** Equal-tailed 95 % credible interval. */
  lower: number;
  upper: number;
}

function logGamma(x: number): number {
  // Lanczos approximation, g = 7, n = 9.
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) {
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  }
  const xm = x - 1;
  let a = c[0]!;
  const t = xm + 7.5;
  for (let i = 1; i < 9; i++) {
    a += c[i]! / (xm + i);
  }
  return 0.5 * Math.log(2 * Math.PI) + (xm + 0.5) * Math.log(t) - t + Math.log(a);
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = Math.abs(d) < tiny ? tiny : d;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = 1 + aa / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = 1 + aa / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-14) {
      break;
    }
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b), the Beta(a, b) CDF at x. */
export function betaCdf(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) {
    throw new RangeError(`beta parameters must be positive, got a=${a} b=${b}`);
  }
  if (x <= 0) {
    return 0;
  }
  if (x >= 1) {
    return 1;
  }
  const front = Math.exp(
    logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x),
  );
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(x, a, b)) / a
    : 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** The Beta(a, b) quantile at p, by bisection (to 1e-10). */
export function betaQuantile(p: number, a: number, b: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 100 && hi - lo > 1e-10; i++) {
    const mid = (lo + hi) / 2;
    if (betaCdf(mid, a, b) < p) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return (lo + hi) / 2;
}

/** The Beta(1 + k, 1 + n − k) posterior of odds seen k times in n trials. */
export function betaPosterior(successes: number, trials: number): BetaPosterior {
  if (
    !(Number.isInteger(successes) && Number.isInteger(trials)) ||
    successes < 0 ||
    successes > trials
  ) {
    throw new RangeError(`need integers 0 <= successes <= trials, got ${successes} of ${trials}`);
  }
  const a = 1 + successes;
  const b = 1 + trials - successes;
  return {
    successes,
    trials,
    mean: a / (a + b),
    lower: betaQuantile(0.025, a, b),
    upper: betaQuantile(0.975, a, b),
  };
}

/**
 * Erlang C: the M/M/c queue in closed form (Poisson arrivals at rate λ,
 * exponential service at rate μ per server, c servers, first come first
 * served, nobody leaves). A shared dump target with Poisson crashes and
 * exponential transfers is such a queue, so the domain simulation is held to
 * these formulas.
 */

/** Closed-form figures of an M/M/c queue. */
export interface ErlangC {
  /** Offered load a = λ/μ, in Erlangs. */
  offeredLoad: number;
  /** Utilisation ρ = a/c (< 1 for a stable queue). */
  utilisation: number;
  /** Probability that an arrival waits: C(c, a). */
  probabilityOfWait: number;
  /** Mean wait in the queue, W_q = C(c, a) / (cμ − λ), in the unit of 1/μ. */
  meanWait: number;
  /** P(W_q > t) = C(c, a)·e^{−(cμ−λ)t}. */
  waitExceeds(t: number): number;
}

/**
 * Erlang C for arrival rate `lambda` and service rate `mu` (same time unit) on
 * `c` servers. Throws unless λ < cμ (an unstable queue has no steady state).
 */
export function erlangC(lambda: number, mu: number, c: number): ErlangC {
  if (!(lambda > 0 && mu > 0) || !Number.isInteger(c) || c < 1) {
    throw new RangeError(`Erlang C needs λ > 0, μ > 0 and c ≥ 1, got λ=${lambda} μ=${mu} c=${c}`);
  }
  const a = lambda / mu;
  const rho = a / c;
  if (rho >= 1) {
    throw new RangeError(
      `M/M/${c} with load ${a.toFixed(3)} Erlangs is unstable (ρ = ${rho.toFixed(3)} ≥ 1)`,
    );
  }
  // Erlang B by its recurrence (stable for large c), then C from B.
  let b = 1;
  for (let k = 1; k <= c; k++) {
    b = (a * b) / (k + a * b);
  }
  const pWait = b / (1 - rho * (1 - b));
  const drain = c * mu - lambda;
  return {
    offeredLoad: a,
    utilisation: rho,
    probabilityOfWait: pWait,
    meanWait: pWait / drain,
    waitExceeds: (t: number) => (t <= 0 ? pWait : pWait * Math.exp(-drain * t)),
  };
}

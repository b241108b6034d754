/**
 * Builds the report from a merged aggregate. A pure function of the aggregate
 * and the compiled experiment, so the same spec and seed give the same report
 * bytes however the fleet was sharded or where it ran.
 */
import { buildCouplingReport } from './coupling-report';
import { Counter, CULPRIT_REASONS, Hist, Paired, pairedSums, type Aggregate } from './aggregate';
import { culpritName, type CompiledExperiment } from './compile';
import { basisFields, type CulpritPlace } from './report-basis';
import { BUCKETS, bucketMidpointMicros, histogramCount, summarise, sumMicros } from './histogram';
import { rolloutReport } from './rollout-report';
import { rolloutPlanOf } from './rollout-waves';
import { FAILURE_REASON_MEANINGS, FAILURE_REASONS, type FailureReason } from './outcome';
import type {
  CrashStrategyResult,
  FailureBasis,
  PairResult,
  PerYear,
  ProfileResult,
  RebootStrategyResult,
  Report,
  RunInfo,
  TimeSummaryJson,
  Verdict,
  VerdictEntry,
} from './report-schema';
import {
  pairedDifference,
  pairedMeanDifference,
  poissonInterval,
  wilson,
  Z_95,
} from './statistics';

const CRASH = 0;
const REBOOT = 1;

/** Every built-in default that is not a published figure, said once. */
const ASSUMPTIONS = [
  'No fleet-wide kdump success rate is published: every failure odds in the catalogue (post-crash device states, driver reactions, reset recovery, DMAR fatality, stale CPUs, purgatory mismatch, capture kernel loaded) is an assumption; override them under catalogue in the spec.',
  'Dump throughput, capture kernel base boot time and driver memory needs are assumptions within published ranges (`fleetsim catalogue` lists each figure with its source).',
];

/**
 * Probability levels of every time summary's `cdfSeconds`, increasing: enough
 * points to draw a distribution function (every 5 % plus both tails), few enough
 * to keep the report small. Level 0 stands for the smallest value, 1 for the largest.
 */
export const CDF_LEVELS: readonly number[] = Object.freeze([
  0, 0.01, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8,
  0.85, 0.9, 0.95, 0.99, 0.999, 1,
]);

/** Builds the report; `run` is attached only when given. */
export function buildReport(model: CompiledExperiment, agg: Aggregate, run?: RunInfo): Report {
  const { spec } = model.resolved;
  const report: Report = {
    schemaVersion: 3,
    experiment: {
      name: spec.name,
      description: spec.description ?? null,
      seed: spec.seed,
      servers: model.servers,
      fleet: spec.fleet.map((f) => ({ profile: f.profile, count: f.count })),
      strategies: model.strategies.map((s) => s.name),
      baseline: model.strategies[model.baseline]!.name,
      deviceClasses: [...model.deviceClasses],
    },
    assumptions: [...ASSUMPTIONS],
    basis: [
      ...(model.crashes ? failureBasis(model, agg, CRASH) : []),
      ...(model.reboots ? failureBasis(model, agg, REBOOT) : []),
    ],
    cdfLevels: [...CDF_LEVELS],
    crash: model.crashes
      ? {
          jobs: jobs(agg, CRASH),
          verdict: verdict(model, agg, CRASH),
          strategies: model.strategies.map((_, s) => crashResult(model, agg, s)),
          byProfile: byProfile(model, agg, CRASH),
          perYear: perYear(model, agg),
          pairs: pairs(model, agg, CRASH),
        }
      : null,
    reboot: model.reboots
      ? {
          path: model.reboots.viaKexec ? 'kexec' : 'firmware',
          jobs: jobs(agg, REBOOT),
          verdict: verdict(model, agg, REBOOT),
          strategies: model.strategies.map((_, s) => rebootResult(model, agg, s)),
          byProfile: byProfile(model, agg, REBOOT),
          pairs: pairs(model, agg, REBOOT),
        }
      : null,
  };
  const plan = rolloutPlanOf(model);
  if (plan) {
    if (!agg.rollout) {
      throw new RangeError(
        'the spec has a rollout but the aggregate carries no roll-out tally (rollout-reboots.ts tallyRollout)',
      );
    }
    report.rollout = rolloutReport(
      plan,
      agg.rollout,
      model.strategies.map((s) => s.name),
      model.reboots?.viaKexec ? 'kexec' : 'firmware',
    );
  }
  if (agg.coupling) {
    report.coupling = buildCouplingReport(model, agg.coupling, (slots, base) =>
      timeSummary({ layout: agg.layout, slots }, base),
    );
  }
  if (run) {
    report.run = run;
  }
  return report;
}

function counter(agg: Aggregate, s: number, kind: number, c: number): number {
  return agg.slots[agg.layout.counter(s, kind, c)]!;
}

function jobs(agg: Aggregate, kind: number): number {
  return agg.layout.strategies.length > 0 ? counter(agg, 0, kind, Counter.Jobs) : 0;
}

function reasons(agg: Aggregate, s: number, kind: number): Partial<Record<FailureReason, number>> {
  const out: Partial<Record<FailureReason, number>> = {};
  FAILURE_REASONS.forEach((r, i) => {
    const v = counter(agg, s, kind, Counter.Reasons + i);
    if (v > 0) {
      out[r] = v;
    }
  });
  return out;
}

/** Rounds to the microsecond, as the summary's quantiles are. */
function seconds(micros: number): number {
  return Math.round(micros) / 1e6;
}

/**
 * Nearest-rank quantiles at every level of {@link CDF_LEVELS} in one pass over
 * the buckets (level 0 is rank 1, the smallest value), at bucket midpoints like
 * the summary's p50/p95/p99. Empty for an empty histogram.
 */
function cdfSeconds(slots: Float64Array, base: number): number[] {
  const n = histogramCount(slots, base);
  if (n === 0) {
    return [];
  }
  const out: number[] = [];
  let bucket = -1;
  let cumulative = 0;
  for (const q of CDF_LEVELS) {
    // The same rank as quantileMicros, so the p50/p95/p99 levels agree with the summary.
    const rank = Math.max(1, Math.ceil(q * n));
    while (cumulative < rank) {
      bucket++;
      cumulative += slots[base + bucket]!;
    }
    out.push(seconds(bucketMidpointMicros(bucket)));
  }
  return out;
}

/** Count, mean, p50/p95/p99 and the CDF series of the histogram at `base`. */
function timeSummary(agg: Aggregate, base: number): TimeSummaryJson {
  return { ...summarise(agg.slots, base), cdfSeconds: cdfSeconds(agg.slots, base) };
}

/** Failures of the culprit-naming reasons of block (s, kind), by culprit name. */
function culprits(
  agg: Aggregate,
  s: number,
  kind: number,
): Partial<Record<FailureReason, Record<string, number>>> {
  const out: Partial<Record<FailureReason, Record<string, number>>> = {};
  const names = agg.layout.culprits;
  for (const reason of CULPRIT_REASONS) {
    const byCulprit: Record<string, number> = {};
    names.forEach((name, c) => {
      const v = agg.slots[agg.layout.culpritSlot(s, kind, reason, c)]!;
      if (v > 0) {
        byCulprit[name] = v;
      }
    });
    if (Object.keys(byCulprit).length > 0) {
      out[FAILURE_REASONS[reason]!] = byCulprit;
    }
  }
  return out;
}

/**
 * Every failure that happened to a job kind, by reason and culprit, with the
 * catalogue figures it rests on; most frequent first (ties by reason, culprit).
 */
function failureBasis(model: CompiledExperiment, agg: Aggregate, kind: number): FailureBasis[] {
  const { resolved } = model;
  const places = new Map<string, CulpritPlace>();
  for (const p of model.profiles) {
    p.deviceNames.forEach((d, i) => {
      const name = culpritName(d, p.driverNames[i]!);
      if (!places.has(name)) {
        const model_ = resolved.profiles[p.name]!.buses.flatMap((b) => b.devices)[i]!.model;
        places.set(name, { profile: p.name, model: model_, driver: p.driverNames[i]! });
      }
    });
  }
  const profiles = model.profiles.map((p) => p.name);
  const out: FailureBasis[] = [];
  FAILURE_REASONS.forEach((reason, r) => {
    let total = 0;
    const byCulprit = new Map<string, number>();
    for (let s = 0; s < model.strategies.length; s++) {
      total += counter(agg, s, kind, Counter.Reasons + r);
      agg.layout.culprits.forEach((name, c) => {
        const slot = agg.layout.culpritSlot(s, kind, r, c);
        if (slot >= 0 && agg.slots[slot]! > 0) {
          byCulprit.set(name, (byCulprit.get(name) ?? 0) + agg.slots[slot]!);
        }
      });
    }
    if (total === 0) {
      return;
    }
    const entry = (culprit: string | null, jobs: number): FailureBasis => ({
      kind: kind === CRASH ? 'crash' : 'reboot',
      reason,
      meaning: FAILURE_REASON_MEANINGS[reason],
      culprit,
      jobs,
      fields: basisFields(
        resolved,
        r,
        culprit === null ? null : places.get(culprit)!,
        profiles,
        model.causeNames,
      ),
    });
    if (byCulprit.size === 0) {
      out.push(entry(null, total));
    } else {
      for (const [name, jobs] of byCulprit) {
        out.push(entry(name, jobs));
      }
    }
  });
  return out.sort(
    (a, b) =>
      b.jobs - a.jobs ||
      a.reason.localeCompare(b.reason) ||
      (a.culprit ?? '').localeCompare(b.culprit ?? ''),
  );
}

function deviceTimes(model: CompiledExperiment, agg: Aggregate, s: number, kind: number) {
  const out: Record<string, TimeSummaryJson> = {};
  model.deviceClasses.forEach((c, i) => {
    out[c] = timeSummary(agg, agg.layout.histogram(s, kind, Hist.DeviceReinit + i));
  });
  return out;
}

function crashResult(model: CompiledExperiment, agg: Aggregate, s: number): CrashStrategyResult {
  const n = counter(agg, s, CRASH, Counter.Jobs);
  const ok = counter(agg, s, CRASH, Counter.Successes);
  const h = (hist: number) => timeSummary(agg, agg.layout.histogram(s, CRASH, hist));
  return {
    strategy: model.strategies[s]!.name,
    jobs: n,
    captured: ok,
    captureRate: wilson(ok, n),
    failureReasons: reasons(agg, s, CRASH),
    failureCulprits: culprits(agg, s, CRASH),
    captureKernelBootSeconds: h(Hist.KernelBoot),
    dumpSeconds: h(Hist.Dump),
    downtimeSeconds: h(Hist.Downtime),
    deviceReinitSeconds: deviceTimes(model, agg, s, CRASH),
  };
}

function rebootResult(model: CompiledExperiment, agg: Aggregate, s: number): RebootStrategyResult {
  const n = counter(agg, s, REBOOT, Counter.Jobs);
  const ok = counter(agg, s, REBOOT, Counter.Successes);
  const h = (hist: number) => timeSummary(agg, agg.layout.histogram(s, REBOOT, hist));
  return {
    strategy: model.strategies[s]!.name,
    jobs: n,
    inService: ok,
    inServiceRate: wilson(ok, n),
    failureReasons: reasons(agg, s, REBOOT),
    failureCulprits: culprits(agg, s, REBOOT),
    kernelBootSeconds: h(Hist.KernelBoot),
    downtimeSeconds: h(Hist.Downtime),
    deviceReinitSeconds: deviceTimes(model, agg, s, REBOOT),
  };
}

function pairs(model: CompiledExperiment, agg: Aggregate, kind: number): PairResult[] {
  const out: PairResult[] = [];
  const S = model.strategies.length;
  for (let a = 0; a < S; a++) {
    for (let b = a + 1; b < S; b++) {
      const n = counter(agg, a, kind, Counter.Jobs);
      const aOnly = agg.slots[agg.layout.pair(kind, a, b)]!;
      const bOnly = agg.slots[agg.layout.pair(kind, b, a)]!;
      const d = pairedDifference(
        n,
        counter(agg, a, kind, Counter.Successes),
        counter(agg, b, kind, Counter.Successes),
        aOnly,
        bOnly,
      );
      out.push({
        a: model.strategies[a]!.name,
        b: model.strategies[b]!.name,
        aOnly,
        bOnly,
        difference: d.difference,
        lower: d.lower,
        upper: d.upper,
      });
    }
  }
  return out;
}

/** Paired difference of the rates of strategies a and b (a − b) on the same jobs. */
function rateDifference(agg: Aggregate, kind: number, a: number, b: number) {
  const d = pairedDifference(
    counter(agg, a, kind, Counter.Jobs),
    counter(agg, a, kind, Counter.Successes),
    counter(agg, b, kind, Counter.Successes),
    a === b ? 0 : agg.slots[agg.layout.pair(kind, a, b)]!,
    a === b ? 0 : agg.slots[agg.layout.pair(kind, b, a)]!,
  );
  return { difference: d.difference, lower: d.lower, upper: d.upper };
}

function meanDifference(agg: Aggregate, kind: number, s: number, metric: number) {
  const sums = pairedSums(agg.slots, agg.layout.paired(kind, s, metric));
  return pairedMeanDifference(sums.count, sums.sum, sums.sumSquares);
}

/**
 * Strategies ranked by rate (ties in spec order), the best and those whose paired
 * difference from it contains 0, and each one's differences from the baseline.
 */
function verdict(model: CompiledExperiment, agg: Aggregate, kind: number): Verdict {
  const S = model.strategies.length;
  const base = model.baseline;
  const n = counter(agg, 0, kind, Counter.Jobs);
  const successes = (s: number) => counter(agg, s, kind, Counter.Successes);
  const order = [...Array(S).keys()].sort((a, b) => successes(b) - successes(a) || a - b);
  const best = order[0]!;
  const meanings: Verdict['meanings'] = {};
  const ranking = order.map((s, i): VerdictEntry => {
    const vsBest = rateDifference(agg, kind, best, s);
    const tied = s === best || (vsBest.lower !== null && vsBest.lower <= 0 && vsBest.upper! >= 0);
    const failureShares = Object.entries(reasons(agg, s, kind))
      .map(([reason, jobs]) => ({ reason: reason as FailureReason, jobs: jobs!, share: jobs! / n }))
      .sort((a, b) => b.jobs - a.jobs || a.reason.localeCompare(b.reason));
    for (const f of failureShares) {
      meanings[f.reason] = FAILURE_REASON_MEANINGS[f.reason];
    }
    return {
      strategy: model.strategies[s]!.name,
      rank: i + 1,
      rate: wilson(successes(s), n),
      best: s === best,
      tiedWithBest: tied,
      baseline: s === base,
      vsBaseline: {
        rate: rateDifference(agg, kind, s, base),
        downtimeSeconds: meanDifference(agg, kind, s, Paired.Downtime),
        kernelBootSeconds: meanDifference(agg, kind, s, Paired.KernelBoot),
      },
      failureShares,
    };
  });
  const sortedMeanings: Verdict['meanings'] = {};
  for (const r of FAILURE_REASONS) {
    if (meanings[r] !== undefined) {
      sortedMeanings[r] = meanings[r];
    }
  }
  return {
    baseline: model.strategies[base]!.name,
    best: model.strategies[best]!.name,
    tiedWithBest: ranking.filter((r) => r.tiedWithBest && !r.best).map((r) => r.strategy),
    ranking,
    meanings: sortedMeanings,
  };
}

/** Results per server profile × strategy, from the profile blocks. */
function byProfile(model: CompiledExperiment, agg: Aggregate, kind: number): ProfileResult[] {
  const layout = agg.layout;
  return layout.profiles.map((profile, p) => {
    const strategies = model.strategies.map((strategy, s) => {
      const c = (i: number) => agg.slots[layout.profileCounter(p, s, kind, i)]!;
      const failureReasons: Partial<Record<FailureReason, number>> = {};
      FAILURE_REASONS.forEach((r, i) => {
        const v = c(Counter.Reasons + i);
        if (v > 0) {
          failureReasons[r] = v;
        }
      });
      const h = (hist: number) => timeSummary(agg, layout.profileHistogram(p, s, kind, hist));
      return {
        strategy: strategy.name,
        jobs: c(Counter.Jobs),
        successes: c(Counter.Successes),
        rate: wilson(c(Counter.Successes), c(Counter.Jobs)),
        failureReasons,
        kernelBootSeconds: h(Hist.KernelBoot),
        downtimeSeconds: h(Hist.Downtime),
      };
    });
    return { profile, jobs: strategies[0]?.jobs ?? 0, strategies };
  });
}

const HOURS_PER_YEAR = 8766;

/**
 * Per 1,000 servers per year. A rate spec: the simulated crashes over the
 * simulated server-years, counts with Poisson intervals, downtime with a
 * compound-Poisson one. A perServer spec with an assumed rate r: the fleet's
 * servers × perServer crashes stand for servers × perServer / r server-years,
 * so crashes are exactly 1,000·r, captured and lost are the capture rate's
 * Wilson interval × 1,000·r, and downtime is the mean downtime per crash (±
 * z·sd/√n) × 1,000·r. Null for a perServer spec without a rate.
 */
function perYear(model: CompiledExperiment, agg: Aggregate): PerYear | null {
  const crash = model.resolved.spec.events.crash;
  if (!crash) {
    return null;
  }
  const rateSpec = crash.ratePerServerYear !== undefined && crash.horizonDays !== undefined;
  const assumed =
    !rateSpec && crash.perServer !== undefined && crash.perServer > 0
      ? crash.assumedRatePerServerYear
      : undefined;
  if (!rateSpec && assumed === undefined) {
    return null;
  }
  const rate = rateSpec ? crash.ratePerServerYear! : assumed!;
  const serverYears = rateSpec
    ? (model.servers * crash.horizonDays!) / 365
    : (model.servers * crash.perServer!) / assumed!;
  const per = 1000 / serverYears;
  const scaled = (n: number) => {
    const i = poissonInterval(n);
    return { value: n * per, lower: i.lower * per, upper: i.upper * per };
  };
  return {
    ratePerServerYear: rate,
    from: rateSpec ? 'rate' : 'assumed-rate',
    serverYears,
    strategies: model.strategies.map((strategy, s) => {
      const n = counter(agg, s, CRASH, Counter.Jobs);
      const ok = counter(agg, s, CRASH, Counter.Successes);
      const base = agg.layout.histogram(s, CRASH, Hist.Downtime);
      let squares = 0;
      for (let b = 0; b < BUCKETS; b++) {
        const c = agg.slots[base + b]!;
        if (c > 0) {
          squares += c * bucketMidpointMicros(b) ** 2;
        }
      }
      const totalHours = sumMicros(agg.slots, base) / 3.6e9;
      let crashes: { value: number; lower: number; upper: number };
      let captured: { value: number; lower: number; upper: number };
      let lost: { value: number; lower: number; upper: number };
      let downtimeHours: { value: number; lower: number; upper: number };
      if (rateSpec) {
        const halfHours = (Z_95 * Math.sqrt(squares)) / 3.6e9;
        crashes = scaled(n);
        captured = scaled(ok);
        lost = scaled(n - ok);
        downtimeHours = {
          value: totalHours * per,
          lower: Math.max(0, totalHours - halfHours) * per,
          upper: (totalHours + halfHours) * per,
        };
      } else {
        // n crashes are exactly rate × serverYears: scale shares and means, not counts.
        const k = 1000 * rate;
        const w = wilson(ok, n);
        crashes = { value: k, lower: k, upper: k };
        captured = { value: (ok / n) * k, lower: w.lower! * k, upper: w.upper! * k };
        lost = { value: ((n - ok) / n) * k, lower: (1 - w.upper!) * k, upper: (1 - w.lower!) * k };
        const meanHours = totalHours / n;
        const meanSquareHours = squares / n / 3.6e9 ** 2;
        const sdHours = Math.sqrt(Math.max(0, meanSquareHours - meanHours ** 2));
        const half = (Z_95 * sdHours) / Math.sqrt(n);
        downtimeHours = {
          value: meanHours * k,
          lower: Math.max(0, meanHours - half) * k,
          upper: (meanHours + half) * k,
        };
      }
      // Per server: hours down per year over the hours of a year.
      const availability = (hours: number) => 1 - hours / 1000 / HOURS_PER_YEAR;
      const nines = (a: number) => (a >= 1 ? null : -Math.log10(1 - a));
      const a = {
        value: availability(downtimeHours.value),
        lower: availability(downtimeHours.upper),
        upper: availability(downtimeHours.lower),
      };
      return {
        strategy: strategy.name,
        crashes,
        captured,
        lost,
        downtimeHours,
        availability: a,
        nines: { value: nines(a.value), lower: nines(a.lower), upper: nines(a.upper) },
      };
    }),
  };
}

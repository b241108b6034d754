/**
 * Fail-if thresholds: conditions on a report that fail a pipeline, from the
 * spec's `thresholds:` or `fleetsim run --fail-if`. Grammar (one condition):
 *
 *     METRIC(STRATEGY[, PROFILE]) OP VALUE
 *
 * OP is one of < <= > >=; VALUE a number, for rates optionally with `%`
 * (0.95 = 95%), for times with a unit `ms`, `s` (default), `m` or `h`, and
 * for differences with `pp` (percentage points). The condition is a failure:
 * `capture(whitelist) < 0.95` fails when whitelist captures less than 95 %.
 * Parse errors and unknown names are refusals (data), not exceptions.
 */
import { didYouMean } from './did-you-mean';
import type { Report } from './report-schema';

export { didYouMean, editDistance } from './did-you-mean';

type Unit = 'rate' | 'seconds' | 'difference' | 'count';

interface MetricDefinition {
  unit: Unit;
  /** What it measures, for `--help` and errors. */
  means: string;
  /** Profile-scoped evaluation is possible. */
  perProfile: boolean;
}

/** Every metric a threshold can name. */
export const THRESHOLD_METRICS: Readonly<Record<string, MetricDefinition>> = Object.freeze({
  capture: { unit: 'rate', means: 'capture rate of crashes', perProfile: true },
  capture_lower: { unit: 'rate', means: 'lower bound of its 95 % interval', perProfile: true },
  capture_upper: { unit: 'rate', means: 'upper bound of its 95 % interval', perProfile: true },
  capture_vs_baseline: {
    unit: 'difference',
    means: 'capture rate minus the baseline’s on the same crashes',
    perProfile: false,
  },
  in_service: { unit: 'rate', means: 'in-service rate of planned reboots', perProfile: true },
  downtime_mean: { unit: 'seconds', means: 'mean crash downtime', perProfile: true },
  downtime_p50: { unit: 'seconds', means: 'median crash downtime', perProfile: false },
  downtime_p95: { unit: 'seconds', means: '95th percentile of crash downtime', perProfile: true },
  downtime_p99: { unit: 'seconds', means: '99th percentile of crash downtime', perProfile: false },
  boot_p95: {
    unit: 'seconds',
    means: '95th percentile of capture kernel boot',
    perProfile: true,
  },
  lost_per_1000_year: {
    unit: 'count',
    means:
      'dumps lost per 1,000 servers per year (rate specs, or perServer with assumedRatePerServerYear)',
    perProfile: false,
  },
});

export type ThresholdOp = '<' | '<=' | '>' | '>=';

export interface Threshold {
  /** The condition as written. */
  text: string;
  metric: string;
  strategy: string;
  profile: string | null;
  op: ThresholdOp;
  /** In the metric's unit: a share 0..1, seconds, a difference -1..1, or a count. */
  value: number;
}

export type ThresholdParse = { ok: true; threshold: Threshold } | { ok: false; message: string };

const PATTERN =
  /^\s*([a-z0-9_]+)\s*\(\s*([a-z0-9][a-z0-9_.+-]*)\s*(?:,\s*([a-z0-9][a-z0-9_.+-]*)\s*)?\)\s*(<=|>=|<|>)\s*([-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*(%|pp|ms|s|m|h)?\s*$/i;

const GRAMMAR = 'METRIC(STRATEGY[, PROFILE]) OP VALUE, e.g. capture(whitelist) < 0.95';

/** Parses one condition. */
export function parseThreshold(text: string): ThresholdParse {
  const m = PATTERN.exec(text);
  if (!m) {
    return { ok: false, message: `threshold "${text}" does not read as ${GRAMMAR}` };
  }
  const [, metric, strategy, profile, op, number, unit] = m;
  const def = THRESHOLD_METRICS[metric!];
  if (!def) {
    return {
      ok: false,
      message: `threshold "${text}": unknown metric "${metric}"${didYouMean(metric!, Object.keys(THRESHOLD_METRICS))} (known: ${Object.keys(THRESHOLD_METRICS).join(', ')})`,
    };
  }
  if (profile !== undefined && !def.perProfile) {
    return {
      ok: false,
      message: `threshold "${text}": ${metric} is fleet-wide only (per profile: ${Object.keys(
        THRESHOLD_METRICS,
      )
        .filter((k) => THRESHOLD_METRICS[k]!.perProfile)
        .join(', ')})`,
    };
  }
  let value = Number(number);
  const u = unit?.toLowerCase();
  const allowed: Record<Unit, (string | undefined)[]> = {
    rate: [undefined, '%'],
    seconds: [undefined, 'ms', 's', 'm', 'h'],
    difference: [undefined, 'pp', '%'],
    count: [undefined],
  };
  if (!allowed[def.unit].includes(u)) {
    return {
      ok: false,
      message: `threshold "${text}": ${metric} takes ${allowed[def.unit].map((x) => x ?? 'a plain number').join(', ')}, not "${unit}"`,
    };
  }
  if (u === '%' || u === 'pp') {
    value /= 100;
  } else if (u === 'ms') {
    value /= 1000;
  } else if (u === 'm') {
    value *= 60;
  } else if (u === 'h') {
    value *= 3600;
  }
  if (def.unit === 'rate' && !(value >= 0 && value <= 1)) {
    return {
      ok: false,
      message: `threshold "${text}": a rate is between 0 and 1 (or 0% and 100%), got ${number}${unit ?? ''}`,
    };
  }
  return {
    ok: true,
    threshold: {
      text: text.trim(),
      metric: metric!,
      strategy: strategy!,
      profile: profile ?? null,
      op: op as ThresholdOp,
      value,
    },
  };
}

/** Refusals for names a threshold uses that the spec does not have. */
export function thresholdNameErrors(
  t: Threshold,
  strategies: readonly string[],
  profiles: readonly string[],
): string[] {
  const out: string[] = [];
  if (!strategies.includes(t.strategy)) {
    out.push(
      `threshold "${t.text}": unknown strategy "${t.strategy}"${didYouMean(t.strategy, strategies)} (the spec's: ${strategies.join(', ')})`,
    );
  }
  if (t.profile !== null && !profiles.includes(t.profile)) {
    out.push(
      `threshold "${t.text}": unknown profile "${t.profile}"${didYouMean(t.profile, profiles)} (the spec's: ${profiles.join(', ')})`,
    );
  }
  return out;
}

/** One threshold checked against a report. */
export interface ThresholdResult {
  threshold: Threshold;
  /** The metric's value in the report, or null where the report has none. */
  actual: number | null;
  failed: boolean;
  /** One line: what was checked and what it found. */
  message: string;
}

/** The metric's value in the report (null where it has none: no such job kind, no jobs). */
export function thresholdActual(report: Report, t: Threshold): number | null {
  const crash = report.crash;
  const reboot = report.reboot;
  const profileOf = (kind: 'crash' | 'reboot') =>
    report[kind]?.byProfile
      .find((p) => p.profile === t.profile)
      ?.strategies.find((s) => s.strategy === t.strategy) ?? null;
  const fleet = crash?.strategies.find((s) => s.strategy === t.strategy) ?? null;
  const inProfile = t.profile === null ? null : profileOf('crash');
  if (t.profile !== null && t.metric !== 'in_service' && !inProfile) {
    return null;
  }
  switch (t.metric) {
    case 'capture':
      return inProfile ? inProfile.rate.value : (fleet?.captureRate.value ?? null);
    case 'capture_lower':
      return inProfile ? inProfile.rate.lower : (fleet?.captureRate.lower ?? null);
    case 'capture_upper':
      return inProfile ? inProfile.rate.upper : (fleet?.captureRate.upper ?? null);
    case 'capture_vs_baseline':
      return (
        crash?.verdict.ranking.find((e) => e.strategy === t.strategy)?.vsBaseline.rate.difference ??
        null
      );
    case 'in_service': {
      if (t.profile !== null) {
        return profileOf('reboot')?.rate.value ?? null;
      }
      return reboot?.strategies.find((s) => s.strategy === t.strategy)?.inServiceRate.value ?? null;
    }
    case 'downtime_mean':
      return inProfile
        ? inProfile.downtimeSeconds.meanSeconds
        : (fleet?.downtimeSeconds.meanSeconds ?? null);
    case 'downtime_p50':
      return fleet?.downtimeSeconds.p50Seconds ?? null;
    case 'downtime_p95':
      return inProfile
        ? inProfile.downtimeSeconds.p95Seconds
        : (fleet?.downtimeSeconds.p95Seconds ?? null);
    case 'downtime_p99':
      return fleet?.downtimeSeconds.p99Seconds ?? null;
    case 'boot_p95':
      return inProfile
        ? inProfile.kernelBootSeconds.p95Seconds
        : (fleet?.captureKernelBootSeconds.p95Seconds ?? null);
    case 'lost_per_1000_year':
      return crash?.perYear?.strategies.find((s) => s.strategy === t.strategy)?.lost.value ?? null;
    default:
      return null;
  }
}

function holds(actual: number, op: ThresholdOp, value: number): boolean {
  switch (op) {
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
  }
}

/**
 * Checks every threshold. A threshold whose metric the report lacks (a
 * reboot metric in a crash-only run, per-year figures without a rate) fails:
 * a pipeline should not pass on a check that could not be made.
 */
export function evaluateThresholds(
  report: Report,
  thresholds: readonly Threshold[],
): ThresholdResult[] {
  return thresholds.map((t) => {
    const actual = thresholdActual(report, t);
    if (actual === null) {
      return {
        threshold: t,
        actual,
        failed: true,
        message: `FAIL ${t.text}: the report has no ${t.metric} for ${t.strategy}${t.profile ? ` on ${t.profile}` : ''}`,
      };
    }
    const failed = holds(actual, t.op, t.value);
    return {
      threshold: t,
      actual,
      failed,
      message: `${failed ? 'FAIL' : 'ok  '} ${t.text}: ${t.metric} is ${Number(actual.toPrecision(6))}`,
    };
  });
}

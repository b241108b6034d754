/**
 * Sweeps: "what if X were different?" The experiment runs once per point of the
 * `sweep:` block's values (cartesian or zipped), each point a full experiment
 * with the same seed and fleet, so every point meets the same crashes (draws are
 * keyed by seed, server, event and purpose, never by catalogue values): the
 * differences between points are the values' doing, not luck's.
 */
import { runStepsHere, type DecisionSteps, type PointRequest } from './decision-runs';
import { accepted, refused, type Refusable } from './refusal';
import type { Report } from './report-schema';
import type { ResolvedSpec } from './spec';
import {
  parseSpecPath,
  resolveWithValues,
  specValueAt,
  SpecPathError,
  type SpecPath,
} from './spec-path';
import type { SweepDefinition } from './spec-schema';

/** Most points a sweep may have (each is a whole experiment). */
export const MAX_SWEEP_POINTS = 1000;

export type SweepValue = number | string | boolean;

/** One point of a sweep: a value for each parameter. */
export interface SweepPoint {
  index: number;
  /** `path=value` pairs, short enough for a chart legend or a metric label. */
  label: string;
  values: Record<string, SweepValue>;
}

/** A rate with its 95 % Wilson interval, as in a report. */
export interface RateJson {
  value: number | null;
  lower: number | null;
  upper: number | null;
}

/** One strategy at one point. */
export interface SweepRow {
  strategy: string;
  jobs: number;
  /** Captured dumps (crash) or servers back in service (reboot). */
  successes: number;
  rate: RateJson;
  failureReasons: Record<string, number>;
  /** Median downtime in seconds, or null. */
  downtimeP50Seconds: number | null;
}

/** What a sweep found for one strategy against the target. */
export interface SweepTargetResult {
  strategy: string;
  /** The point that meets the target with the smallest value, or null when none does. */
  point: number | null;
  value: SweepValue | null;
}

/** The sweep document (`fleetsim sweep --format json`). */
export interface SweepReport {
  kind: 'fleetsim-sweep';
  schemaVersion: 1;
  experiment: { name: string; seed: number; servers: number; strategies: string[] };
  /** What the rate measures: dump capture after crashes, or back in service after reboots. */
  measure: 'capture' | 'in-service';
  mode: 'cartesian' | 'zip';
  parameters: { path: string; values: SweepValue[]; specValue: unknown }[];
  points: (SweepPoint & { rows: SweepRow[] })[];
  target:
    (Required<NonNullable<SweepDefinition['target']>> & { results: SweepTargetResult[] }) | null;
}

/** Thrown by {@link prepareSweep} and {@link sweepPoints} for a sweep block {@link checkSweep} refuses. */
export class SweepError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'SweepError';
  }
}

/** What is wrong with the sweep's parameter lists as a whole (uneven zip, too many points), or null. */
function pointsProblem(def: SweepDefinition): string | null {
  const params = def.parameters;
  if ((def.mode ?? 'cartesian') === 'zip') {
    const n = params[0]!.values.length;
    const uneven = params.find((p) => p.values.length !== n);
    return uneven
      ? `sweep.parameters: zip needs lists of one length; ${params[0]!.path} has ${n}, ${uneven.path} has ${uneven.values.length}`
      : null;
  }
  const total = params.reduce((t, p) => t * p.values.length, 1);
  return total > MAX_SWEEP_POINTS
    ? `sweep.parameters: ${total} points in all, more than ${MAX_SWEEP_POINTS}: use zip or fewer values`
    : null;
}

/**
 * The sweep's points in order: cartesian (last parameter fastest) or zipped.
 * @throws SweepError for lists {@link checkSweep} refuses
 */
export function sweepPoints(def: SweepDefinition): SweepPoint[] {
  const mode = def.mode ?? 'cartesian';
  const params = def.parameters;
  const combos: SweepValue[][] = [];
  const problem = pointsProblem(def);
  if (problem) {
    throw new SweepError([problem]);
  }
  if (mode === 'zip') {
    for (let i = 0; i < params[0]!.values.length; i++) {
      combos.push(params.map((p) => p.values[i]!));
    }
  } else {
    const walk = (i: number, acc: SweepValue[]) => {
      if (i === params.length) {
        combos.push(acc);
        return;
      }
      for (const v of params[i]!.values) {
        walk(i + 1, [...acc, v]);
      }
    };
    walk(0, []);
  }
  return combos.map((combo, index) => {
    const values: Record<string, SweepValue> = {};
    params.forEach((p, i) => (values[p.path] = combo[i]!));
    return {
      index,
      label: params.map((p, i) => `${shortPath(p.path)}=${String(combo[i])}`).join(' '),
      values,
    };
  });
}

/** The last two parts of a path: enough to tell parameters apart in a legend. */
export function shortPath(path: string): string {
  const parts = path.split('.');
  return parts.slice(-2).join('.');
}

/** One prepared point: its spec, resolved and ready to run. */
export interface PreparedPoint {
  point: SweepPoint;
  resolved: ResolvedSpec;
}

/** A sweep ready to run: each point's spec resolved, each path parsed. */
export interface PreparedSweep {
  points: PreparedPoint[];
  paths: SpecPath[];
}

/**
 * {@link checkSweep} for a sweep block known to be good.
 * @throws SweepError naming each problem {@link checkSweep} refuses
 */
export function prepareSweep(resolved: ResolvedSpec, def: SweepDefinition): PreparedSweep {
  const checked = checkSweep(resolved, def);
  if (!checked.ok) {
    throw new SweepError(checked.refusal.problems ?? [checked.refusal.message]);
  }
  return checked.value;
}

/**
 * Checks every path, the parameter lists and every point's spec before
 * anything runs; refuses (`invalid-sweep`) with every problem, each naming its
 * path (and what exists there) or its point.
 */
export function checkSweep(resolved: ResolvedSpec, def: SweepDefinition): Refusable<PreparedSweep> {
  const problems: string[] = [];
  const refuse = () =>
    refused({ code: 'invalid-sweep', message: problems.join('\n'), path: 'sweep', problems });
  const paths: SpecPath[] = [];
  def.parameters.forEach((p, i) => {
    try {
      paths.push(parseSpecPath(resolved, p.path));
    } catch (e) {
      if (!(e instanceof SpecPathError)) {
        throw e;
      }
      problems.push(`sweep.parameters[${i}].path: ${e.message}`);
    }
  });
  const minimise = def.target?.minimise;
  if (minimise !== undefined && !def.parameters.some((p) => p.path === minimise)) {
    problems.push(
      `sweep.target.minimise: "${minimise}" is not a parameter of the sweep (parameters: ${def.parameters.map((p) => p.path).join(', ')})`,
    );
  }
  // The lists as a whole, once the paths are right (as the points would be cut).
  const listProblem = problems.length === 0 ? pointsProblem(def) : null;
  if (listProblem) {
    problems.push(listProblem);
  }
  if (problems.length > 0) {
    return refuse();
  }
  const points = sweepPoints(def).map((point) => {
    const r = resolveWithValues(
      resolved,
      paths.map((path) => ({ path, value: point.values[path.path] })),
    );
    if (!r.ok) {
      problems.push(
        ...r.errors.map(
          (e) => `sweep point ${point.index} (${point.label}): ${e.path}: ${e.message}`,
        ),
      );
      return null;
    }
    return { point, resolved: r.resolved };
  });
  if (problems.length > 0) {
    return refuse();
  }
  return accepted({ points: points as PreparedPoint[], paths });
}

/** A report's rows for the sweep table: crash results, or reboot results without crashes. */
export function rowsOfReport(report: Report): SweepRow[] {
  if (report.crash) {
    return report.crash.strategies.map((s) => ({
      strategy: s.strategy,
      jobs: s.jobs,
      successes: s.captured,
      rate: s.captureRate,
      failureReasons: s.failureReasons as Record<string, number>,
      downtimeP50Seconds: s.downtimeSeconds.p50Seconds,
    }));
  }
  return (report.reboot?.strategies ?? []).map((s) => ({
    strategy: s.strategy,
    jobs: s.jobs,
    successes: s.inService,
    rate: s.inServiceRate,
    failureReasons: s.failureReasons as Record<string, number>,
    downtimeP50Seconds: s.downtimeSeconds.p50Seconds,
  }));
}

/**
 * Builds the sweep document from each point's report (run embedded, on threads
 * or on a coordinator: the reports are the same).
 */
export function buildSweepReport(
  resolved: ResolvedSpec,
  def: SweepDefinition,
  paths: readonly SpecPath[],
  points: readonly SweepPoint[],
  reports: readonly Report[],
): SweepReport {
  const withRows = points.map((p, i) => ({ ...p, rows: rowsOfReport(reports[i]!) }));
  const strategies = [...new Set(withRows.flatMap((p) => p.rows.map((r) => r.strategy)))];
  const target = def.target
    ? {
        captureRateAtLeast: def.target.captureRateAtLeast,
        minimise: def.target.minimise ?? def.parameters[0]!.path,
        bound: def.target.bound ?? 'value',
      }
    : null;
  return {
    kind: 'fleetsim-sweep',
    schemaVersion: 1,
    experiment: {
      name: resolved.spec.name,
      seed: resolved.spec.seed,
      servers: resolved.servers,
      // Every strategy of any point (a sweep may move the strategy list itself).
      strategies,
    },
    measure: reports[0]?.crash ? 'capture' : 'in-service',
    mode: def.mode ?? 'cartesian',
    parameters: def.parameters.map((p, i) => ({
      path: p.path,
      values: p.values,
      specValue: specValueAt(resolved, paths[i]!) ?? null,
    })),
    points: withRows,
    target: target ? { ...target, results: findTarget(withRows, strategies, target) } : null,
  };
}

function findTarget(
  points: readonly (SweepPoint & { rows: SweepRow[] })[],
  strategies: readonly string[],
  target: { captureRateAtLeast: number; minimise: string; bound: 'value' | 'lower' },
): SweepTargetResult[] {
  return strategies.map((name) => {
    let best: { point: number; value: SweepValue } | null = null;
    for (const p of points) {
      const row = p.rows.find((r) => r.strategy === name);
      const rate = row ? (target.bound === 'lower' ? row.rate.lower : row.rate.value) : null;
      if (rate === null || rate < target.captureRateAtLeast) {
        continue;
      }
      const v = p.values[target.minimise]!;
      if (best === null || compareValues(v, best.value) < 0) {
        best = { point: p.index, value: v };
      }
    }
    return { strategy: name, point: best?.point ?? null, value: best?.value ?? null };
  });
}

function compareValues(a: SweepValue, b: SweepValue): number {
  if (typeof a === 'number' && typeof b === 'number') {
    return a - b;
  }
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** The point requests of prepared sweep points (each point's values, in parameter order). */
export function sweepRequests(def: SweepDefinition, points: readonly SweepPoint[]): PointRequest[] {
  return points.map((p) => ({
    label: p.label,
    values: def.parameters.map((param) => ({ path: param.path, value: p.values[param.path] })),
  }));
}

/**
 * A sweep as one batch of points (see decision-runs.ts). Every point is
 * checked before the batch is yielded.
 * @throws SweepError naming each bad path or point
 */
export function* sweepSteps(
  resolved: ResolvedSpec,
  def: SweepDefinition,
): DecisionSteps<SweepReport> {
  const { points, paths } = prepareSweep(resolved, def);
  const swept = points.map((p) => p.point);
  const reports = yield sweepRequests(def, swept);
  return buildSweepReport(resolved, def, paths, swept, reports);
}

/**
 * Runs a sweep in this thread, point after point.
 * @param onPoint called after each point with points done and total
 */
export function runSweep(
  resolved: ResolvedSpec,
  def: SweepDefinition,
  options: { onPoint?: (done: number, total: number) => void } = {},
): SweepReport {
  let total: number | undefined;
  return runStepsHere(resolved, sweepSteps(resolved, def), (_r, done) =>
    options.onPoint?.(done, (total ??= sweepPoints(def).length)),
  );
}

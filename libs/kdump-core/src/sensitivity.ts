/**
 * "Which assumption does the answer hang on?" Every catalogue figure the fleet
 * uses whose `sources` entry says "assumption" is moved, one at a time, to the
 * low and the high end of a range — odds ×1/k and ×k (log-odds ∓ ln k), times,
 * memory and other quantities ÷k and ×k, k = 2 by default — and the experiment
 * runs again on the same crashes. The swing of each strategy's capture rate,
 * and whether the ranking of strategies by capture rate changes, say which
 * assumptions the verdict rests on.
 */
import { runStepsHere, type DecisionSteps, type PointRequest } from './decision-runs';
import { accepted, refused, type Refusable } from './refusal';
import type { Report } from './report-schema';
import type { ResolvedSpec } from './spec';
import { rowsOfReport, type RateJson } from './sweep';

/** A figure marked as an assumption, as the fleet uses it. */
export interface AssumptionParameter {
  /** `catalogue.<kind>.<entry>.<field>` (the field as its `sources` key names it). */
  path: string;
  source: string;
  value: unknown;
}

/** One strategy's capture rate at the base and at each end of a parameter's range. */
export interface SensitivityRow {
  strategy: string;
  base: RateJson;
  low: RateJson;
  high: RateJson;
  /** Largest minus smallest observed rate of the three. */
  swing: number;
}

export interface SensitivityResult {
  path: string;
  source: string;
  baseValue: unknown;
  lowValue: unknown;
  highValue: unknown;
  rows: SensitivityRow[];
  /** The largest swing of any strategy. */
  maxSwing: number;
  /** Strategies by capture rate, best first, at each end; null when it matches the base. */
  rankingLow: string[] | null;
  rankingHigh: string[] | null;
  /** The best strategy changes at an end. */
  bestChanges: boolean;
}

/** The `fleetsim sensitivity` document. */
export interface SensitivityReport {
  kind: 'fleetsim-sensitivity';
  schemaVersion: 1;
  experiment: { name: string; seed: number; servers: number; strategies: string[] };
  measure: 'capture' | 'in-service';
  factor: number;
  /** Strategies by capture rate at the base, best first. */
  ranking: string[];
  base: { strategy: string; rate: RateJson }[];
  /** Moved parameters, largest swing first. */
  results: SensitivityResult[];
  /** Assumptions not moved: the reason (a yes/no, a name, odds of 0 or 1, or over the bound). */
  notMoved: { path: string; why: string }[];
  runs: number;
}

const KINDS = ['profiles', 'devices', 'drivers', 'crashCauses'] as const;

/** Catalogue entries the fleet uses, by kind. */
function entriesInUse(resolved: ResolvedSpec): Record<(typeof KINDS)[number], string[]> {
  const profiles = [...new Set(resolved.spec.fleet.map((f) => f.profile))];
  const devices = [
    ...new Set(
      profiles.flatMap((p) =>
        resolved.profiles[p]!.buses.flatMap((b) => b.devices.map((d) => d.model)),
      ),
    ),
  ];
  const drivers = [...new Set(devices.map((d) => resolved.devices[d]!.driver))];
  const crashCauses = Object.entries(resolved.spec.events.crash?.causes ?? {})
    .filter(([, w]) => w > 0)
    .map(([c]) => c);
  return { profiles, devices, drivers, crashCauses };
}

function valueAt(entry: unknown, parts: readonly string[]): unknown {
  let v = entry;
  for (const p of parts) {
    if (Array.isArray(v)) {
      return v.map((item) => valueAt(item, [p]));
    }
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  }
  return v;
}

/** Every assumption-marked figure of the catalogue entries the fleet uses. */
export function assumptionParameters(resolved: ResolvedSpec): AssumptionParameter[] {
  const out: AssumptionParameter[] = [];
  const inUse = entriesInUse(resolved);
  for (const kind of KINDS) {
    for (const name of inUse[kind]) {
      const entry = resolved[kind][name] as { sources?: Record<string, string> };
      for (const [field, source] of Object.entries(entry.sources ?? {})) {
        if (/assumption/i.test(source)) {
          out.push({
            path: `catalogue.${kind}.${name}.${field}`,
            source,
            value: valueAt(entry, field.split('.')),
          });
        }
      }
    }
  }
  return out;
}

/** Odds of p multiplied by `factor` (p = 0 and p = 1 stay). */
export function scaleOdds(p: number, factor: number): number {
  if (p <= 0 || p >= 1) {
    return p;
  }
  const odds = (p / (1 - p)) * factor;
  return odds / (1 + odds);
}

const QUANTITY = /(Ms|MiB|GiB|KiB|Percent|PerSecond|PerTiB|PerGiB)$/;
const REACTION = ['cope', 'failProbe', 'oops', 'panic'];
const STATES = ['inFlightDma', 'pendingInterrupt', 'staleRing', 'wedged'];

function round(x: number): number {
  return Number(x.toPrecision(12));
}

/**
 * A figure moved by `factor` (> 1: the high end; < 1: the low end), by what it
 * is: a probability by its odds, a reaction by the odds of not coping, the
 * post-crash state odds by the odds of any dirty state (shares kept), a time
 * distribution or a quantity by the factor. Undefined when it cannot move.
 */
export function moveValue(field: string, value: unknown, factor: number): unknown {
  if (typeof value === 'number') {
    if (QUANTITY.test(field)) {
      const v = value * factor;
      return round(field.endsWith('Percent') ? Math.min(100, v) : v);
    }
    if (field === 'cpus') {
      return Math.max(1, Math.min(8192, Math.round(value * factor)));
    }
    if (value >= 0 && value <= 1) {
      return round(scaleOdds(value, factor));
    }
    return round(value * factor);
  }
  if (Array.isArray(value)) {
    return value.map((v) => moveValue(field, v, factor));
  }
  if (value === null || typeof value !== 'object') {
    return undefined;
  }
  const obj = value as Record<string, unknown>;
  if (typeof obj.kind === 'string') {
    // A time distribution: every duration by the factor.
    const out: Record<string, unknown> = { kind: obj.kind };
    for (const [k, v] of Object.entries(obj)) {
      if (k !== 'kind') {
        out[k] = Array.isArray(v)
          ? v.map((x: number) => round(x * factor))
          : round((v as number) * factor);
      }
    }
    return out;
  }
  const keys = Object.keys(obj);
  const shares = (names: string[], total: number, moved: number) =>
    Object.fromEntries(
      names.map((k) => [k, total > 0 ? round(((obj[k] as number) / total) * moved) : 0]),
    );
  if (REACTION.every((k) => keys.includes(k)) && keys.length === REACTION.length) {
    const bad = 1 - (obj.cope as number);
    const moved = scaleOdds(bad, factor);
    const rest = shares(['failProbe', 'oops', 'panic'], bad, moved);
    const sum = (rest.failProbe as number) + (rest.oops as number) + (rest.panic as number);
    return { cope: round(1 - sum), ...rest };
  }
  if (field.endsWith('postCrashState') && STATES.every((k) => keys.includes(k))) {
    const dirty = STATES.reduce((t, k) => t + (obj[k] as number), 0);
    return shares(STATES, dirty, scaleOdds(dirty, factor));
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const m = moveValue(k, v, factor);
    out[k] = m === undefined ? v : m;
  }
  return out;
}

/** The entry's top-level field with the sub-field `parts` moved (every item of a list). */
function movedTop(entry: unknown, parts: readonly string[], factor: number): unknown {
  const top = (entry as Record<string, unknown>)[parts[0]!];
  const walk = (v: unknown, rest: readonly string[], field: string): unknown => {
    if (rest.length === 0) {
      return moveValue(field, v, factor);
    }
    if (Array.isArray(v)) {
      const items = v.map((item) => walk(item, rest, field));
      return items.some((x) => x === undefined) ? undefined : items;
    }
    if (v === null || typeof v !== 'object') {
      return undefined;
    }
    const inner = walk((v as Record<string, unknown>)[rest[0]!], rest.slice(1), rest[0]!);
    return inner === undefined ? undefined : { ...(v as object), [rest[0]!]: inner };
  };
  return walk(top, parts.slice(1), parts[0]!);
}

function ranking(report: Report): string[] {
  const rows = rowsOfReport(report);
  return [...rows]
    .sort((a, b) => (b.rate.value ?? -1) - (a.rate.value ?? -1))
    .map((r) => r.strategy);
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export interface SensitivityOptions {
  /** k: the low end is ÷k, the high end ×k (odds, times, quantities). Default 2. */
  factor?: number;
  /** Most parameters to move (those the base run's failures rest on first). Default 40. */
  maxParameters?: number;
  /** Only parameters whose path contains one of these strings. */
  only?: readonly string[];
}

/** The options of a sensitivity run, with their defaults, or the refusal of one out of range. */
export function checkSensitivityOptions(
  options: SensitivityOptions = {},
): Refusable<{ factor: number; maxParameters: number }> {
  const factor = options.factor ?? 2;
  const maxParameters = options.maxParameters ?? 40;
  if (!(factor > 1)) {
    return refused({
      code: 'invalid-option',
      message: `factor must be above 1, got ${factor}`,
      path: 'factor',
    });
  }
  if (!(Number.isInteger(maxParameters) && maxParameters >= 1)) {
    return refused({
      code: 'invalid-option',
      message: `max parameters must be a whole number >= 1, got ${maxParameters}`,
      path: 'maxParameters',
    });
  }
  return accepted({ factor, maxParameters });
}

/** Label of the base point of a sensitivity run. */
export const SENSITIVITY_BASE = 'base';

/**
 * The base experiment, then (one batch) each assumption at each end of its
 * range; all on the same crashes (same seed and fleet). See decision-runs.ts.
 * @throws RangeError for options {@link checkSensitivityOptions} refuses
 */
export function* sensitivitySteps(
  resolved: ResolvedSpec,
  options: SensitivityOptions = {},
): DecisionSteps<SensitivityReport> {
  const checked = checkSensitivityOptions(options);
  if (!checked.ok) {
    throw new RangeError(checked.refusal.message);
  }
  const { factor, maxParameters } = checked.value;
  const [baseReport] = (yield [{ label: SENSITIVITY_BASE, values: [] }]) as [Report];
  // Failures of the base run first: their figures are the likeliest to swing it.
  const inBasis = new Set(
    baseReport.basis.flatMap((b) =>
      b.fields.filter((f) => f.basis === 'assumption').map((f) => `catalogue.${f.path}`),
    ),
  );
  const rank = (path: string) =>
    [...inBasis].some((b) => b === path || b.startsWith(`${path}.`) || path.startsWith(`${b}.`))
      ? 0
      : 1;
  const notMoved: { path: string; why: string }[] = [];
  const candidates: {
    param: AssumptionParameter;
    low: unknown;
    high: unknown;
    top: string;
    lowTop: unknown;
    highTop: unknown;
  }[] = [];
  for (const param of assumptionParameters(resolved)) {
    if (options.only && !options.only.some((s) => param.path.includes(s))) {
      continue;
    }
    const [, kind, ...rest] = param.path.split('.');
    const entryName = Object.keys(resolved[kind as (typeof KINDS)[number]])
      .filter((n) => rest.join('.').startsWith(`${n}.`))
      .sort((a, b) => b.length - a.length)[0]!;
    const fieldParts = rest
      .join('.')
      .slice(entryName.length + 1)
      .split('.');
    const entry = resolved[kind as (typeof KINDS)[number]][entryName];
    const lowTop = movedTop(entry, fieldParts, 1 / factor);
    const highTop = movedTop(entry, fieldParts, factor);
    const low = valueAt({ [fieldParts[0]!]: lowTop }, fieldParts);
    const high = valueAt({ [fieldParts[0]!]: highTop }, fieldParts);
    const unchanged =
      JSON.stringify(low) === JSON.stringify(param.value) &&
      JSON.stringify(high) === JSON.stringify(param.value);
    if (lowTop === undefined || highTop === undefined || unchanged) {
      notMoved.push({
        path: param.path,
        why:
          lowTop === undefined
            ? `not a number, odds or time (${JSON.stringify(param.value)})`
            : 'odds of 0 or 1 do not move on the log-odds scale',
      });
      continue;
    }
    candidates.push({
      param,
      low,
      high,
      top: `catalogue.${kind}.${entryName}.${fieldParts[0]}`,
      lowTop,
      highTop,
    });
  }
  candidates.sort((a, b) => rank(a.param.path) - rank(b.param.path));
  for (const c of candidates.slice(maxParameters)) {
    notMoved.push({ path: c.param.path, why: `over --max-parameters ${maxParameters}` });
  }
  const chosen = candidates.slice(0, maxParameters);
  const total = 1 + chosen.length * 2;
  const baseRows = rowsOfReport(baseReport);
  const baseRanking = ranking(baseReport);
  const requests: PointRequest[] = chosen.flatMap((c) => [
    { label: `${c.param.path} ÷${factor}`, values: [{ path: c.top, value: c.lowTop }] },
    { label: `${c.param.path} ×${factor}`, values: [{ path: c.top, value: c.highTop }] },
  ]);
  const moved = requests.length > 0 ? yield requests : [];
  const results: SensitivityResult[] = chosen.map((c, i) => {
    const lowReport = moved[2 * i]!;
    const highReport = moved[2 * i + 1]!;
    const lowRows = rowsOfReport(lowReport);
    const highRows = rowsOfReport(highReport);
    const rows = baseRows.map((b, i) => {
      const vals = [b.rate.value, lowRows[i]!.rate.value, highRows[i]!.rate.value].filter(
        (v): v is number => v !== null,
      );
      return {
        strategy: b.strategy,
        base: b.rate,
        low: lowRows[i]!.rate,
        high: highRows[i]!.rate,
        swing: vals.length > 0 ? Math.max(...vals) - Math.min(...vals) : 0,
      };
    });
    const rl = ranking(lowReport);
    const rh = ranking(highReport);
    return {
      path: c.param.path,
      source: c.param.source,
      baseValue: c.param.value,
      lowValue: c.low,
      highValue: c.high,
      rows,
      maxSwing: Math.max(...rows.map((r) => r.swing)),
      rankingLow: same(rl, baseRanking) ? null : rl,
      rankingHigh: same(rh, baseRanking) ? null : rh,
      bestChanges: rl[0] !== baseRanking[0] || rh[0] !== baseRanking[0],
    };
  });
  results.sort((a, b) => b.maxSwing - a.maxSwing || (a.path < b.path ? -1 : 1));
  return {
    kind: 'fleetsim-sensitivity',
    schemaVersion: 1,
    experiment: {
      name: resolved.spec.name,
      seed: resolved.spec.seed,
      servers: resolved.servers,
      strategies: resolved.strategies.map((s) => s.name),
    },
    measure: baseReport.crash ? 'capture' : 'in-service',
    factor,
    ranking: baseRanking,
    base: baseRows.map((r) => ({ strategy: r.strategy, rate: r.rate })),
    results,
    notMoved,
    runs: total,
  };
}

/**
 * Runs the base experiment and, for each assumption, one run at each end of
 * its range, in this thread.
 * @param onRun called after each run (the base run is run 1) with the moved path (null: base)
 */
export function runSensitivity(
  resolved: ResolvedSpec,
  options: SensitivityOptions & {
    onRun?: (done: number, path: string | null) => void;
  } = {},
): SensitivityReport {
  return runStepsHere(resolved, sensitivitySteps(resolved, options), (request, done) =>
    options.onRun?.(done, request.values.length === 0 ? null : request.values[0]!.path),
  );
}

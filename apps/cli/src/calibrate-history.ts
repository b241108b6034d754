/**
 * A fleet's own kdump history → odds with intervals (beta posteriors), pure.
 *
 * The history format (CSV with a header line, or JSON: an array of these
 * objects, or `{ "crashes": [...] }`), one row per crash:
 *
 * | field | required | meaning |
 * |---|---|---|
 * | profile | yes | the server profile (a catalogue name: compute-2s, or your own) |
 * | strategy | yes | the reset strategy the capture kernel ran (none, reset_devices, ...) |
 * | captured | yes | true/false (or 1/0, yes/no): was a dump written |
 * | reason | when not captured | a failure reason of the report: capture-kernel-oom, dump-target-missing, ... |
 * | captureKernelBootMs | no | crash to capture kernel up |
 * | dumpMs | no | makedumpfile start to end |
 * | downtimeMs | no | crash to back in service |
 */
import {
  BUILTIN_PROFILES,
  FAILURE_REASONS,
  type FailureReason,
} from '../../../libs/kdump-core/src';
import { betaPosterior, type BetaPosterior } from './beta-posterior';

export interface HistoryRow {
  profile: string;
  strategy: string;
  captured: boolean;
  reason: FailureReason | null;
  captureKernelBootMs: number | null;
  dumpMs: number | null;
  downtimeMs: number | null;
}

export interface HistoryFit {
  profile: string;
  strategy: string;
  crashes: number;
  capture: BetaPosterior;
  /** Odds of each failure reason seen (or asked for) among all crashes. */
  reasons: Partial<Record<FailureReason, BetaPosterior>>;
  times: Partial<
    Record<
      'captureKernelBootMs' | 'dumpMs' | 'downtimeMs',
      { count: number; medianMs: number; p95Ms: number }
    >
  >;
}

/** A refusal with the row (1-based data line) and field that caused it. */
export class HistoryFormatError extends Error {}

const TIME_FIELDS = ['captureKernelBootMs', 'dumpMs', 'downtimeMs'] as const;

function parseBool(v: unknown, where: string): boolean {
  if (typeof v === 'boolean') {
    return v;
  }
  const s = String(v).trim().toLowerCase();
  if (['true', '1', 'yes', 'y'].includes(s)) {
    return true;
  }
  if (['false', '0', 'no', 'n'].includes(s)) {
    return false;
  }
  throw new HistoryFormatError(`${where}: captured must be true or false, got "${String(v)}"`);
}

function parseTime(v: unknown, where: string): number | null {
  if (v === undefined || v === null || v === '') {
    return null;
  }
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    throw new HistoryFormatError(
      `${where}: a time must be a number of ms >= 0, got "${String(v)}"`,
    );
  }
  return n;
}

/** Validates one record (from CSV or JSON). */
export function historyRow(rec: Record<string, unknown>, where: string): HistoryRow {
  const str = (k: string) => {
    const v = rec[k];
    if (typeof v !== 'string' || v.trim() === '') {
      throw new HistoryFormatError(`${where}: ${k} is required`);
    }
    return v.trim();
  };
  const captured = parseBool(rec.captured, where);
  const rawReason = typeof rec.reason === 'string' ? rec.reason.trim() : '';
  let reason: FailureReason | null = null;
  if (!captured) {
    if (!(FAILURE_REASONS as readonly string[]).includes(rawReason)) {
      throw new HistoryFormatError(
        `${where}: reason "${rawReason}" is not one of ${FAILURE_REASONS.join(', ')}`,
      );
    }
    reason = rawReason as FailureReason;
  }
  const row: HistoryRow = {
    profile: str('profile'),
    strategy: str('strategy'),
    captured,
    reason,
    captureKernelBootMs: null,
    dumpMs: null,
    downtimeMs: null,
  };
  for (const f of TIME_FIELDS) {
    row[f] = parseTime(rec[f], `${where}: ${f}`);
  }
  return row;
}

/** Parses CSV (a header line, comma separated, no quoted commas) into rows. */
export function parseHistoryCsv(text: string, file: string): HistoryRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
  if (lines.length === 0) {
    throw new HistoryFormatError(`${file}: empty`);
  }
  const header = lines[0]!.split(',').map((h) => h.trim());
  for (const need of ['profile', 'strategy', 'captured']) {
    if (!header.includes(need)) {
      throw new HistoryFormatError(`${file}: the header line has no "${need}" column`);
    }
  }
  return lines.slice(1).map((line, i) => {
    const cells = line.split(',');
    const rec: Record<string, unknown> = {};
    header.forEach((h, j) => (rec[h] = cells[j]?.trim() ?? ''));
    return historyRow(rec, `${file} line ${i + 2}`);
  });
}

/** Parses the JSON form: an array of records or `{ crashes: [...] }`. */
export function parseHistoryJson(value: unknown, file: string): HistoryRow[] {
  const list = Array.isArray(value) ? value : (value as { crashes?: unknown } | null)?.crashes;
  if (!Array.isArray(list)) {
    throw new HistoryFormatError(`${file}: expected an array of crashes or { "crashes": [...] }`);
  }
  return list.map((rec, i) => {
    if (rec === null || typeof rec !== 'object') {
      throw new HistoryFormatError(`${file} crash ${i + 1}: not an object`);
    }
    return historyRow(rec as Record<string, unknown>, `${file} crash ${i + 1}`);
  });
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Fits capture odds and failure-reason odds per (profile, strategy). */
export function fitHistory(rows: HistoryRow[]): HistoryFit[] {
  const groups = new Map<string, HistoryRow[]>();
  for (const r of rows) {
    const k = `${r.profile}\u0000${r.strategy}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, g]) => {
      const reasons: HistoryFit['reasons'] = {};
      // The kdump-level reasons always get a fit (zero seen is information too).
      const wanted = new Set<FailureReason>([
        'capture-kernel-not-loaded',
        'purgatory-digest-mismatch',
        'capture-kernel-oom',
        ...g.map((r) => r.reason).filter((r): r is FailureReason => r !== null),
      ]);
      for (const reason of FAILURE_REASONS.filter((r) => wanted.has(r))) {
        reasons[reason] = betaPosterior(g.filter((r) => r.reason === reason).length, g.length);
      }
      const times: HistoryFit['times'] = {};
      for (const f of TIME_FIELDS) {
        const xs = g
          .map((r) => r[f])
          .filter((v): v is number => v !== null)
          .sort((a, b) => a - b);
        if (xs.length > 0) {
          times[f] = { count: xs.length, medianMs: quantile(xs, 0.5), p95Ms: quantile(xs, 0.95) };
        }
      }
      return {
        profile: g[0]!.profile,
        strategy: g[0]!.strategy,
        crashes: g.length,
        capture: betaPosterior(g.filter((r) => r.captured).length, g.length),
        reasons,
        times,
      };
    });
}

const f4 = (v: number) => Number(v.toFixed(4));

/**
 * The fit as a catalogue block: for each built-in profile in the history, a
 * `<profile>-fleet` profile whose kdump odds (capture kernel loaded, purgatory
 * mismatch) and capture-kernel boot time come from the history, pooled over
 * strategies (those odds do not depend on the strategy).
 */
export function historyCatalogue(
  fits: HistoryFit[],
  rows: HistoryRow[],
  files: string[],
): Record<string, unknown> {
  const profiles: Record<string, unknown> = {};
  for (const profile of [...new Set(fits.map((f) => f.profile))].sort()) {
    const base = BUILTIN_PROFILES[profile];
    if (!base) {
      continue;
    }
    const mine = rows.filter((r) => r.profile === profile);
    const notLoaded = betaPosterior(
      mine.filter((r) => r.reason === 'capture-kernel-not-loaded').length,
      mine.length,
    );
    const mismatch = betaPosterior(
      mine.filter((r) => r.reason === 'purgatory-digest-mismatch').length,
      mine.length,
    );
    const boots = mine
      .map((r) => r.captureKernelBootMs)
      .filter((v): v is number => v !== null)
      .sort((a, b) => a - b);
    const kdump: Record<string, unknown> = {
      ...base.kdump,
      captureKernelLoaded: f4(1 - notLoaded.mean),
      purgatoryDigestMismatch: f4(mismatch.mean),
    };
    if (boots.length >= 2) {
      kdump.captureKernelBootMs = {
        kind: 'lognormal',
        medianMs: quantile(boots, 0.5),
        p95Ms: Math.max(quantile(boots, 0.95), quantile(boots, 0.5)),
      };
    }
    profiles[`${profile}-fleet`] = {
      extends: profile,
      kdump,
      source:
        `fleet history ${files.join(', ')}: ${mine.length} crashes; capture kernel not loaded ${notLoaded.successes} ` +
        `(beta posterior mean ${notLoaded.mean.toFixed(4)}, 95 % ${notLoaded.lower.toFixed(4)}-${notLoaded.upper.toFixed(4)}), ` +
        `purgatory mismatch ${mismatch.successes} (mean ${mismatch.mean.toFixed(4)}, 95 % ${mismatch.lower.toFixed(4)}-${mismatch.upper.toFixed(4)})` +
        (boots.length >= 2
          ? `; capture kernel boot: median and p95 of ${boots.length} crashes`
          : '') +
        `; the rest: the built-in ${profile}.`,
    };
  }
  return { catalogue: { profiles } };
}

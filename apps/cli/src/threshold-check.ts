/**
 * `fleetsim run`'s fail-if thresholds: the spec's `thresholds:` and every
 * `--fail-if`, checked for grammar and names before the run (a bad one exits
 * 2), and against the report after it (a failed one exits 3, after the report
 * is written).
 */
import {
  evaluateThresholds,
  parseThreshold,
  thresholdNameErrors,
  type Report,
  type Threshold,
} from '../../../libs/kdump-core/src';
import type { CliIo } from './cli-io';

/** Exit status of a run whose report was written but a threshold failed. */
export const THRESHOLD_FAILED_EXIT = 3;

export type ThresholdSetup = { ok: true; thresholds: Threshold[] } | { ok: false; lines: string[] };

/**
 * Parses the spec's thresholds and the `--fail-if` ones (spec first), and checks
 * their strategy and profile names against the spec's when given.
 */
export function collectThresholds(
  fromSpec: readonly string[] | undefined,
  failIf: readonly string[] | undefined,
  names?: { strategies: readonly string[]; profiles: readonly string[] },
): ThresholdSetup {
  const lines: string[] = [];
  const thresholds: Threshold[] = [];
  const all = [
    ...(fromSpec ?? []).map((text, i) => ({ text, where: `thresholds[${i}]` })),
    ...(failIf ?? []).map((text) => ({ text, where: '--fail-if' })),
  ];
  for (const { text, where } of all) {
    const parsed = parseThreshold(text);
    if (!parsed.ok) {
      lines.push(`fleetsim: ${where}: ${parsed.message}`);
      continue;
    }
    const wrong = names
      ? thresholdNameErrors(parsed.threshold, names.strategies, names.profiles)
      : [];
    if (wrong.length > 0) {
      lines.push(...wrong.map((w) => `fleetsim: ${where}: ${w}`));
      continue;
    }
    thresholds.push(parsed.threshold);
  }
  return lines.length > 0 ? { ok: false, lines } : { ok: true, thresholds };
}

/**
 * Checks the thresholds against the written report: one line each on stderr,
 * and {@link THRESHOLD_FAILED_EXIT} when any failed (0 otherwise, or without any).
 */
export function checkThresholds(
  report: Report,
  thresholds: readonly Threshold[],
  io: CliIo,
): number {
  if (thresholds.length === 0) {
    return 0;
  }
  const names = {
    strategies: report.experiment.strategies,
    profiles: [...new Set(report.experiment.fleet.map((f) => f.profile))],
  };
  const unknown = thresholds.flatMap((t) =>
    thresholdNameErrors(t, names.strategies, names.profiles),
  );
  if (unknown.length > 0) {
    io.err(unknown.map((u) => `fleetsim: ${u}\n`).join(''));
    return 2;
  }
  const results = evaluateThresholds(report, thresholds);
  io.err(results.map((r) => `fleetsim: threshold ${r.message}\n`).join(''));
  const failed = results.filter((r) => r.failed).length;
  if (failed > 0) {
    io.err(
      `fleetsim: ${failed} of ${results.length} threshold(s) failed: exit ${THRESHOLD_FAILED_EXIT}\n`,
    );
    return THRESHOLD_FAILED_EXIT;
  }
  return 0;
}

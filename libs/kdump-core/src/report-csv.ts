/**
 * The report as CSV for spreadsheets (RFC 4180, comma-separated, CRLF-free):
 * one row per job kind × profile × strategy, the whole fleet first (profile
 * `*`), then each server profile. Rates are shares 0..1, times seconds.
 */
import type { MeanDifferenceJson, Report, TimeSummaryJson, Verdict } from './report-schema';

/** The CSV header, in column order. */
export const CSV_COLUMNS = [
  'kind',
  'profile',
  'strategy',
  'baseline',
  'rank',
  'verdict',
  'jobs',
  'successes',
  'rate',
  'rate_lower',
  'rate_upper',
  'rate_vs_baseline',
  'rate_vs_baseline_lower',
  'rate_vs_baseline_upper',
  'downtime_mean_s',
  'downtime_p50_s',
  'downtime_p95_s',
  'downtime_p99_s',
  'downtime_vs_baseline_s',
  'downtime_vs_baseline_lower_s',
  'downtime_vs_baseline_upper_s',
  'kernel_boot_p50_s',
  'kernel_boot_p95_s',
  'kernel_boot_vs_baseline_s',
  'kernel_boot_vs_baseline_lower_s',
  'kernel_boot_vs_baseline_upper_s',
  'captured_per_1000_year',
  'lost_per_1000_year',
  'downtime_hours_per_1000_year',
] as const;

function cell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) {
    return '';
  }
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const times = (t: TimeSummaryJson) => [t.meanSeconds, t.p50Seconds, t.p95Seconds, t.p99Seconds];
const mean = (d: MeanDifferenceJson | undefined) =>
  d ? [d.meanSeconds, d.lower, d.upper] : [null, null, null];

/** One row per kind × profile × strategy; a header line first; ends in a newline. */
export function formatReportCsv(report: Report): string {
  const lines: string[] = [CSV_COLUMNS.join(',')];
  const push = (row: (string | number | null | undefined)[]) => lines.push(row.map(cell).join(','));
  const verdictOf = (v: Verdict, strategy: string) =>
    v.ranking.find((e) => e.strategy === strategy)!;
  const mark = (v: Verdict, strategy: string) => {
    const e = verdictOf(v, strategy);
    return e.best ? 'best' : e.tiedWithBest ? 'tie with best' : '';
  };
  const c = report.crash;
  if (c) {
    for (const s of c.strategies) {
      const e = verdictOf(c.verdict, s.strategy);
      const y = c.perYear?.strategies.find((x) => x.strategy === s.strategy);
      push([
        'crash',
        '*',
        s.strategy,
        e.baseline ? 'yes' : '',
        e.rank,
        mark(c.verdict, s.strategy),
        s.jobs,
        s.captured,
        s.captureRate.value,
        s.captureRate.lower,
        s.captureRate.upper,
        e.vsBaseline.rate.difference,
        e.vsBaseline.rate.lower,
        e.vsBaseline.rate.upper,
        ...times(s.downtimeSeconds),
        ...mean(e.vsBaseline.downtimeSeconds),
        s.captureKernelBootSeconds.p50Seconds,
        s.captureKernelBootSeconds.p95Seconds,
        ...mean(e.vsBaseline.kernelBootSeconds),
        y?.captured.value,
        y?.lost.value,
        y?.downtimeHours.value,
      ]);
    }
  }
  const r = report.reboot;
  if (r) {
    for (const s of r.strategies) {
      const e = verdictOf(r.verdict, s.strategy);
      push([
        'reboot',
        '*',
        s.strategy,
        e.baseline ? 'yes' : '',
        e.rank,
        mark(r.verdict, s.strategy),
        s.jobs,
        s.inService,
        s.inServiceRate.value,
        s.inServiceRate.lower,
        s.inServiceRate.upper,
        e.vsBaseline.rate.difference,
        e.vsBaseline.rate.lower,
        e.vsBaseline.rate.upper,
        ...times(s.downtimeSeconds),
        ...mean(e.vsBaseline.downtimeSeconds),
        s.kernelBootSeconds.p50Seconds,
        s.kernelBootSeconds.p95Seconds,
        ...mean(e.vsBaseline.kernelBootSeconds),
        null,
        null,
        null,
      ]);
    }
  }
  for (const [kind, section] of [
    ['crash', c],
    ['reboot', r],
  ] as const) {
    for (const p of section?.byProfile ?? []) {
      for (const s of p.strategies) {
        push([
          kind,
          p.profile,
          s.strategy,
          s.strategy === report.experiment.baseline ? 'yes' : '',
          null,
          null,
          s.jobs,
          s.successes,
          s.rate.value,
          s.rate.lower,
          s.rate.upper,
          null,
          null,
          null,
          ...times(s.downtimeSeconds),
          null,
          null,
          null,
          s.kernelBootSeconds.p50Seconds,
          s.kernelBootSeconds.p95Seconds,
          null,
          null,
          null,
          null,
          null,
          null,
        ]);
      }
    }
  }
  return lines.join('\n') + '\n';
}

/**
 * Human-readable renderings of a report: an aligned text table for terminals
 * and Markdown for design reviews (the HTML report reuses the same sections and
 * cells). Pure string functions of the report.
 */
import type { PairResult, RateIntervalJson, Report, TimeSummaryJson } from './report-schema';

type Row = string[];

/** A share 0..1 as a percentage with one decimal (`56.0%`); `-` for null. */
export function formatPercent(v: number | null): string {
  return v === null ? '-' : `${(v * 100).toFixed(1)}%`;
}

const pct = formatPercent;

/** A rate with its 95 % interval: `56.0% [54.3%, 57.8%]`; `-` without jobs. */
export function formatRateInterval(r: RateIntervalJson): string {
  return r.value === null ? '-' : `${pct(r.value)} [${pct(r.lower)}, ${pct(r.upper)}]`;
}

const rate = formatRateInterval;

/** Simulated seconds in the unit that reads best: `120ms`, `1.9s`, `3.4m`, `1.2h`; `-` for null. */
export function formatSeconds(v: number | null): string {
  if (v === null) {
    return '-';
  }
  if (v >= 3600) {
    return `${(v / 3600).toFixed(1)}h`;
  }
  if (v >= 60) {
    return `${(v / 60).toFixed(1)}m`;
  }
  if (v >= 1) {
    return `${v.toFixed(1)}s`;
  }
  return `${(v * 1000).toFixed(0)}ms`;
}

const secs = formatSeconds;

function quantiles(t: TimeSummaryJson): string {
  return t.count === 0
    ? '-'
    : `${secs(t.p50Seconds)} / ${secs(t.p95Seconds)} / ${secs(t.p99Seconds)}`;
}

function topReasons(reasons: Record<string, number | undefined>, jobs: number, limit = 2): string {
  const entries = Object.entries(reasons)
    .filter((e): e is [string, number] => typeof e[1] === 'number')
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (entries.length === 0) {
    return '-';
  }
  return entries
    .slice(0, limit)
    .map(([r, n]) => `${r} ${pct(n / jobs)}`)
    .join(', ');
}

function diff(p: PairResult): string {
  if (p.difference === null) {
    return '-';
  }
  const sign = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}`;
  const significant = p.lower! > 0 || p.upper! < 0;
  return `${sign(p.difference)} pp [${sign(p.lower!)}, ${sign(p.upper!)}]${significant ? ' *' : ''}`;
}

/** What a section's rows are: one per strategy of a job kind, or one per pair. */
export type ReportSectionKind =
  'crash' | 'crash-device-reinit' | 'crash-pairs' | 'reboot' | 'reboot-pairs';

/** One table of a report rendering: cells are already formatted text. */
export interface ReportSection {
  kind: ReportSectionKind;
  title: string;
  header: Row;
  /** Per-strategy sections: one row per strategy in report order, the strategy first. */
  rows: Row[];
}

type Section = ReportSection;

/**
 * The introduction lines, tables and notes every human-readable rendering
 * shows, in order: text, Markdown and HTML differ only in layout.
 */
export function reportSections(report: Report): {
  intro: string[];
  sections: ReportSection[];
  notes: string[];
} {
  const e = report.experiment;
  const intro = [
    `Experiment ${e.name}: ${e.servers.toLocaleString('en-US')} servers (${e.fleet
      .map((f) => `${f.count.toLocaleString('en-US')} × ${f.profile}`)
      .join(', ')}), seed ${e.seed}`,
  ];
  const out: Section[] = [];
  if (report.crash) {
    const c = report.crash;
    intro.push(
      `Crash jobs: ${c.jobs.toLocaleString('en-US')} per strategy; every strategy meets the same crashes.`,
    );
    out.push({
      kind: 'crash',
      title: 'Crashes down the kdump path',
      header: [
        'strategy',
        'captured',
        'capture rate [95% CI]',
        'capture kernel boot p50/p95/p99',
        'downtime p50/p95/p99',
        'top failure reasons',
      ],
      rows: c.strategies.map((s) => [
        s.strategy,
        `${s.captured}/${s.jobs}`,
        rate(s.captureRate),
        quantiles(s.captureKernelBootSeconds),
        quantiles(s.downtimeSeconds),
        topReasons(s.failureReasons, s.jobs),
      ]),
    });
    out.push({
      kind: 'crash-device-reinit',
      title: 'Device reinitialisation p50/p95/p99 (crashes)',
      header: ['strategy', ...e.deviceClasses],
      rows: c.strategies.map((s) => [
        s.strategy,
        ...e.deviceClasses.map((d) => quantiles(s.deviceReinitSeconds[d]!)),
      ]),
    });
    out.push({
      kind: 'crash-pairs',
      title: 'Paired differences in capture rate (a − b, same crashes; * = interval excludes 0)',
      header: ['a', 'b', 'only a', 'only b', 'difference [95% CI]'],
      rows: c.pairs.map((p) => [p.a, p.b, String(p.aOnly), String(p.bOnly), diff(p)]),
    });
  }
  if (report.reboot) {
    const r = report.reboot;
    intro.push(`Planned ${r.path} reboots: ${r.jobs.toLocaleString('en-US')} per strategy.`);
    out.push({
      kind: 'reboot',
      title: `Planned ${r.path} reboots`,
      header: [
        'strategy',
        'in service',
        'in-service rate [95% CI]',
        'kernel boot p50/p95/p99',
        'downtime p50/p95/p99',
        'top failure reasons',
      ],
      rows: r.strategies.map((s) => [
        s.strategy,
        `${s.inService}/${s.jobs}`,
        rate(s.inServiceRate),
        quantiles(s.kernelBootSeconds),
        quantiles(s.downtimeSeconds),
        topReasons(s.failureReasons, s.jobs),
      ]),
    });
    out.push({
      kind: 'reboot-pairs',
      title: `Paired differences in in-service rate (a − b, same ${r.path} reboots; * = interval excludes 0)`,
      header: ['a', 'b', 'only a', 'only b', 'difference [95% CI]'],
      rows: r.pairs.map((p) => [p.a, p.b, String(p.aOnly), String(p.bOnly), diff(p)]),
    });
  }
  return { intro, sections: out, notes: report.assumptions };
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

/** The one line saying how the run went, or null for a report without `run`. */
export function reportRunLine(report: Report): string | null {
  const r = report.run;
  if (!r) {
    return null;
  }
  return `Run: ${r.mode}, ${plural(r.shards, 'shard')} of up to ${plural(r.shardSize, 'server')} on ${plural(r.threads, 'thread')}, ${r.wallSeconds.toFixed(2)} s wall (fleetsim ${r.fleetsimVersion} on ${r.host}).`;
}

/** An aligned plain-text rendering for terminals. */
export function formatReportTable(report: Report): string {
  const { intro, sections: secs_, notes } = reportSections(report);
  const lines = [...intro, ''];
  for (const s of secs_) {
    lines.push(s.title);
    const widths = s.header.map((h, i) => Math.max(h.length, ...s.rows.map((r) => r[i]!.length)));
    const line = (r: Row) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd();
    lines.push(line(s.header), widths.map((w) => '-'.repeat(w)).join('  '));
    s.rows.forEach((r) => lines.push(line(r)));
    lines.push('');
  }
  lines.push(...notes.map((n) => `Note: ${n}`));
  const run = reportRunLine(report);
  if (run) {
    lines.push(run);
  }
  return lines.join('\n') + '\n';
}

/** Markdown, for pasting into a design review. */
export function formatReportMarkdown(report: Report): string {
  const { intro, sections: secs_, notes } = reportSections(report);
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  const lines = [`# kdump fleet simulation: ${report.experiment.name}`, '', ...intro, ''];
  for (const s of secs_) {
    lines.push(`## ${s.title}`, '');
    lines.push(`| ${s.header.map(esc).join(' | ')} |`);
    lines.push(`|${s.header.map(() => ' --- ').join('|')}|`);
    s.rows.forEach((r) => lines.push(`| ${r.map(esc).join(' | ')} |`));
    lines.push('');
  }
  lines.push('## Assumptions', '', ...notes.map((n) => `- ${n}`), '');
  const run = reportRunLine(report);
  if (run) {
    lines.push(run, '');
  }
  return lines.join('\n');
}

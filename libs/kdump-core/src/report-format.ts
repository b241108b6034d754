/**
 * Human-readable renderings of a report: an aligned text table for terminals
 * and Markdown for design reviews (the HTML report reuses the same sections and
 * cells). Pure string functions of the report.
 */
import type {
  FailureBasis,
  PairResult,
  RateIntervalJson,
  Report,
  TimeSummaryJson,
} from './report-schema';

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

/**
 * A strategy's most frequent failures, each at its culprit where it has one:
 * `capture-kernel-oom at eth0 (i40e) 12.3%`.
 */
function topCulprits(
  reasons: Record<string, number | undefined>,
  byCulprit: Record<string, Record<string, number> | undefined>,
  jobs: number,
  limit = 3,
): string {
  const entries: [string, number][] = [];
  for (const [reason, n] of Object.entries(reasons)) {
    const culprits = byCulprit[reason];
    if (typeof n !== 'number') {
      continue;
    }
    let named = 0;
    for (const [culprit, k] of Object.entries(culprits ?? {})) {
      entries.push([`${reason} at ${culprit}`, k]);
      named += k;
    }
    if (n > named) {
      entries.push([reason, n - named]);
    }
  }
  entries.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return entries.length === 0
    ? '-'
    : entries
        .slice(0, limit)
        .map(([what, n]) => `${what} ${pct(n / jobs)}`)
        .join(', ');
}

/**
 * The figures a failure rests on: `drivers.nvidia.memoryMiB = 40 (assumption)`;
 * values too long for a table cell (odds tables) are in the JSON report.
 */
function restsOn(b: FailureBasis): string {
  return b.fields
    .map((f) => `${f.path}${f.value.length <= 12 ? ` = ${f.value}` : ''} (${f.basis})`)
    .join('; ');
}

/** Failures shown in the basis table: the most frequent, at most this many. */
const BASIS_ROWS = 12;

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
  | 'crash'
  | 'crash-culprits'
  | 'crash-device-reinit'
  | 'crash-pairs'
  | 'reboot'
  | 'reboot-culprits'
  | 'reboot-pairs'
  | 'basis';

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
      kind: 'crash-culprits',
      title:
        'Why captures failed: top failures with their culprit device (driver), as shares of crashes',
      header: ['strategy', 'top failures'],
      rows: c.strategies.map((s) => [
        s.strategy,
        topCulprits(s.failureReasons, s.failureCulprits, s.jobs),
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
      kind: 'reboot-culprits',
      title: `Why ${r.path} reboots failed: top failures with their culprit device (driver)`,
      header: ['strategy', 'top failures'],
      rows: r.strategies.map((s) => [
        s.strategy,
        topCulprits(s.failureReasons, s.failureCulprits, s.jobs),
      ]),
    });
    out.push({
      kind: 'reboot-pairs',
      title: `Paired differences in in-service rate (a − b, same ${r.path} reboots; * = interval excludes 0)`,
      header: ['a', 'b', 'only a', 'only b', 'difference [95% CI]'],
      rows: r.pairs.map((p) => [p.a, p.b, String(p.aOnly), String(p.bOnly), diff(p)]),
    });
  }
  if (report.basis.length > 0) {
    const shown = report.basis.slice(0, BASIS_ROWS);
    const more = report.basis.length - shown.length;
    out.push({
      kind: 'basis',
      title: `What the failures rest on: the catalogue figures behind each (source: cited; assumption: no public figure; spec: set in the spec)${
        more > 0
          ? `; the ${shown.length} most frequent of ${report.basis.length}, all in the JSON report`
          : ''
      }`,
      header: ['failure', 'culprit', 'jobs', 'meaning', 'rests on'],
      rows: shown.map((b) => [
        b.kind === 'crash' ? b.reason : `${b.reason} (reboot)`,
        b.culprit ?? '-',
        String(b.jobs),
        b.meaning,
        restsOn(b),
      ]),
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

/**
 * Human-readable renderings of a report: an aligned text table for terminals
 * and Markdown for design reviews (the HTML report reuses the same sections and
 * cells). Pure string functions of the report.
 */
import type {
  CouplingReport,
  FailureBasis,
  EstimateJson,
  MeanDifferenceJson,
  PerYear,
  ProfileResult,
  RateIntervalJson,
  Report,
  TimeSummaryJson,
  Verdict,
  VerdictEntry,
} from './report-schema';
import {
  rolloutIntro,
  rolloutStrategyTable,
  rolloutVerdict,
  rolloutWaveTable,
} from './rollout-format';

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

/** A paired rate difference in percentage points: `+12.4 pp [11.1, 13.7]`; `-` for null. */
export function formatRateDifference(
  p: { difference: number | null; lower: number | null; upper: number | null },
  what = '',
): string {
  if (p.difference === null) {
    return '-';
  }
  const sign = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}`;
  return `${sign(p.difference)} pp${what ? ` ${what}` : ''} [${sign(p.lower!)}, ${sign(p.upper!)}]`;
}

function signedSeconds(v: number, digits: number): string {
  const text = v.toFixed(digits);
  return Number(text) > 0 ? `+${text}` : Number(text) === 0 ? text.replace(/^-/, '') : text;
}

/** A paired mean time difference: `+41 s [38, 44]`, `-0.35 s [-0.41, -0.29]`; `-` for null. */
export function formatMeanDifference(d: MeanDifferenceJson, what = ''): string {
  if (d.meanSeconds === null) {
    return '-';
  }
  const a = Math.max(Math.abs(d.lower!), Math.abs(d.upper!));
  const digits = a >= 100 ? 0 : a >= 1 ? 1 : 2;
  return `${signedSeconds(d.meanSeconds, digits)} s${what ? ` ${what}` : ''} [${signedSeconds(d.lower!, digits)}, ${signedSeconds(d.upper!, digits)}]`;
}

function verdictMark(e: VerdictEntry): string {
  const marks = [
    e.best ? 'best' : e.tiedWithBest ? 'tie with best' : '',
    e.baseline ? 'baseline' : '',
  ];
  return marks.filter((m) => m).join(', ') || '-';
}

/**
 * The verdict in sentences: the best strategy (and those tied with it), and what
 * the best costs against the baseline.
 */
function verdictLines(v: Verdict, job: string, rateWord: string, bootWord: string): string[] {
  const best = v.ranking[0]!;
  const tied =
    v.tiedWithBest.length === 0
      ? ''
      : `; tied with ${v.tiedWithBest.join(', ')} (the paired interval of the difference contains 0)`;
  const lines = [
    `Verdict (${job}): ${best.strategy} ${rateWord} most, ${formatRateInterval(best.rate)}${tied}.`,
  ];
  const against = (e: VerdictEntry) =>
    `${e.strategy} against the baseline ${v.baseline}: ${formatRateDifference(e.vsBaseline.rate, rateWord)}, ${formatMeanDifference(e.vsBaseline.downtimeSeconds, 'downtime')}, ${formatMeanDifference(e.vsBaseline.kernelBootSeconds, bootWord)}.`;
  if (best.baseline) {
    lines.push(`The baseline ${v.baseline} is the best.`);
  } else {
    lines.push(against(best));
  }
  return lines;
}

function verdictSection(
  kind: 'crash-verdict' | 'reboot-verdict',
  v: Verdict,
  job: string,
  rateHeader: string,
  bootHeader: string,
): ReportSection {
  return {
    kind,
    title: `Each strategy against the baseline ${v.baseline} (same ${job}; mean differences, 95% CI), best first`,
    header: [
      'strategy',
      `${rateHeader} [95% CI]`,
      `${rateHeader} vs baseline`,
      'downtime vs baseline',
      `${bootHeader} vs baseline`,
      'verdict',
    ],
    rows: v.ranking.map((e) => [
      e.strategy,
      rate(e.rate),
      e.baseline ? '-' : formatRateDifference(e.vsBaseline.rate),
      e.baseline ? '-' : formatMeanDifference(e.vsBaseline.downtimeSeconds),
      e.baseline ? '-' : formatMeanDifference(e.vsBaseline.kernelBootSeconds),
      verdictMark(e),
    ]),
  };
}

/** Failure reasons as shares of jobs for the best strategy and the baseline, with meanings. */
function failureShareSection(
  kind: 'crash-failures' | 'reboot-failures',
  v: Verdict,
  job: string,
): ReportSection | null {
  const shown = v.ranking.filter((e) => e.best || e.baseline);
  const reasons = Object.keys(v.meanings).filter((r) =>
    shown.some((e) => e.failureShares.some((f) => f.reason === r)),
  );
  if (reasons.length === 0) {
    return null;
  }
  const share = (e: VerdictEntry, r: string) => {
    const f = e.failureShares.find((x) => x.reason === r);
    return f ? pct(f.share) : '-';
  };
  const order = (r: string) =>
    -Math.max(...shown.map((e) => e.failureShares.find((f) => f.reason === r)?.share ?? 0));
  reasons.sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  return {
    kind,
    title: `Why ${job} failed, as shares of all ${job}`,
    header: [
      'failure',
      ...shown.map(
        (e) =>
          `${e.strategy} (${[e.best ? 'best' : '', e.baseline ? 'baseline' : ''].filter((m) => m).join(', ')})`,
      ),
      'what it means',
    ],
    rows: reasons.map((r) => [
      r,
      ...shown.map((e) => share(e, r)),
      v.meanings[r as keyof Verdict['meanings']]!,
    ]),
  };
}

/** An estimate with its interval: `47.5 [44.1, 51.1]` (no decimals from 100 up). */
export function formatEstimate(e: EstimateJson): string {
  const a = Math.max(Math.abs(e.value), Math.abs(e.upper));
  const digits = a >= 100 ? 0 : a >= 1 ? 1 : 3;
  const f = (v: number) => v.toFixed(digits);
  return `${f(e.value)} [${f(e.lower)}, ${f(e.upper)}]`;
}

function availabilityCell(y: PerYear['strategies'][number]): string {
  const n = y.nines;
  return `${(y.availability.value * 100).toFixed(4)}% (${n.value === null ? 'no downtime' : `${n.value.toFixed(2)} nines`})`;
}

function perYearSection(y: PerYear): ReportSection {
  return {
    kind: 'crash-per-year',
    title:
      y.from === 'rate'
        ? `Per 1,000 servers a year, at ${y.ratePerServerYear} crashes per server-year (${Math.round(y.serverYears).toLocaleString('en-US')} server-years simulated; 95% intervals cover simulation noise, not the rate's own uncertainty)`
        : `Per 1,000 servers a year, at an assumed ${y.ratePerServerYear} crashes per server-year (events.crash.assumedRatePerServerYear: the simulated crashes stand for ${Math.round(y.serverYears).toLocaleString('en-US')} server-years; crashes are rate × 1,000 exactly; 95% intervals cover simulation noise, not the rate's own uncertainty)`,
    header: [
      'strategy',
      'crashes',
      'dumps captured',
      'dumps lost',
      'crash downtime, hours',
      'availability (crashes only)',
    ],
    rows: y.strategies.map((s) => [
      s.strategy,
      formatEstimate(s.crashes),
      formatEstimate(s.captured),
      formatEstimate(s.lost),
      formatEstimate(s.downtimeHours),
      availabilityCell(s),
    ]),
  };
}

function perYearLine(y: PerYear | null, v: Verdict): string {
  if (!y) {
    return "Per year: absent — this spec gives crashes per server (perServer) and no rate; per-year figures need one: set events.crash.assumedRatePerServerYear (your fleet's crashes per server-year), or give ratePerServerYear with horizonDays instead of perServer.";
  }
  const of = (name: string) => y.strategies.find((s) => s.strategy === name)!;
  const say = (name: string) => {
    const s = of(name);
    return `${name} ${formatEstimate(s.captured)} dumps captured, ${formatEstimate(s.lost)} lost, ${formatEstimate(s.downtimeHours)} h crash downtime`;
  };
  return `Per 1,000 servers a year (${y.from === 'rate' ? '' : 'assumed '}${y.ratePerServerYear} crashes per server-year): ${say(v.best)}${v.best === v.baseline ? '' : `; baseline ${say(v.baseline)}`}.`;
}

/** One row per profile × strategy. */
function profileSection(
  kind: 'crash-profiles' | 'reboot-profiles',
  byProfile: ProfileResult[],
  job: string,
  rateHeader: string,
): ReportSection {
  return {
    kind,
    title: `Per server profile (${job})`,
    header: [
      'profile',
      'strategy',
      'jobs',
      `${rateHeader} [95% CI]`,
      'downtime mean',
      'downtime p95',
      'top failure reasons',
    ],
    rows: byProfile.flatMap((p) =>
      p.strategies.map((s) => [
        p.profile,
        s.strategy,
        String(s.jobs),
        rate(s.rate),
        secs(s.downtimeSeconds.meanSeconds),
        secs(s.downtimeSeconds.p95Seconds),
        topReasons(s.failureReasons, s.jobs),
      ]),
    ),
  };
}

/** What a section's rows are: one per strategy of a job kind, or one per pair. */
export type ReportSectionKind =
  | 'crash-verdict'
  | 'crash-failures'
  | 'crash'
  | 'crash-profiles'
  | 'crash-per-year'
  | 'crash-culprits'
  | 'crash-device-reinit'
  | 'reboot-verdict'
  | 'reboot-failures'
  | 'reboot'
  | 'reboot-profiles'
  | 'reboot-culprits'
  | 'rollout'
  | 'rollout-waves'
  | 'coupling'
  | 'storms'
  | 'basis';

/** One table of a report rendering: cells are already formatted text. */
export interface ReportSection {
  kind: ReportSectionKind;
  title: string;
  header: Row;
  /**
   * Per-strategy sections (see {@link isPerStrategySection}): one row per
   * strategy, the strategy first, in report order (verdicts: best first).
   */
  rows: Row[];
}

/** Whether a section's rows are one per strategy, the strategy name first. */
export function isPerStrategySection(kind: ReportSectionKind): boolean {
  return (
    !kind.endsWith('-failures') &&
    !kind.endsWith('-profiles') &&
    kind !== 'basis' &&
    kind !== 'rollout-waves' &&
    kind !== 'storms'
  );
}

type Section = ReportSection;

/**
 * The introduction lines, tables and notes every human-readable rendering
 * shows, in order: text, Markdown and HTML differ only in layout.
 */
export function reportSections(report: Report): {
  intro: string[];
  /** The verdict in sentences, shown before every table. */
  verdict: string[];
  sections: ReportSection[];
  notes: string[];
} {
  const verdict: string[] = [];
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
    verdict.push(...verdictLines(c.verdict, 'crashes', 'captured', 'capture kernel boot'));
    verdict.push(perYearLine(c.perYear, c.verdict));
    out.push(
      verdictSection('crash-verdict', c.verdict, 'crashes', 'capture rate', 'capture kernel boot'),
    );
    const failures = failureShareSection('crash-failures', c.verdict, 'crashes');
    if (failures) {
      out.push(failures);
    }
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
    if (c.byProfile.length > 1) {
      out.push(profileSection('crash-profiles', c.byProfile, 'crashes', 'capture rate'));
    }
    if (c.perYear) {
      out.push(perYearSection(c.perYear));
    }
  }
  if (report.reboot) {
    const r = report.reboot;
    intro.push(`Planned ${r.path} reboots: ${r.jobs.toLocaleString('en-US')} per strategy.`);
    const job = `${r.path} reboots`;
    verdict.push(...verdictLines(r.verdict, job, 'in service', 'kernel boot'));
    out.push(verdictSection('reboot-verdict', r.verdict, job, 'in-service rate', 'kernel boot'));
    const failures = failureShareSection('reboot-failures', r.verdict, job);
    if (failures) {
      out.push(failures);
    }
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
    if (r.byProfile.length > 1) {
      out.push(profileSection('reboot-profiles', r.byProfile, job, 'in-service rate'));
    }
  }
  if (report.rollout) {
    const r = report.rollout;
    intro.push(rolloutIntro(r));
    verdict.push(rolloutVerdict(r));
    out.push({
      kind: 'rollout',
      title: `Roll-out in waves (${r.path}): servers rebooted, not back, halt, wall clock and time saved against firmware reboots of the same waves`,
      ...rolloutStrategyTable(r),
    });
    const waves = rolloutWaveTable(r);
    out.push({
      kind: 'rollout-waves',
      title: `Roll-out wave by wave: servers not back in service (share), start → back in service${
        waves.more > 0
          ? `; the first ${waves.rows.length} of ${r.waves} waves, all in the JSON report`
          : ''
      }`,
      header: waves.header,
      rows: waves.rows,
    });
  }
  if (report.coupling) {
    const { intro: lines, sections } = couplingSections(report.coupling);
    intro.push(...lines);
    out.push(...sections);
  }
  if (report.basis.length > 0) {
    const shown = report.basis.slice(0, BASIS_ROWS);
    const more = report.basis.length - shown.length;
    out.push({
      kind: 'basis',
      title: `What the failures rest on: the catalogue figures behind each (source: cited; assumption: no public figure; spec: set in the spec; \`fleetsim catalogue NAME\` prints each figure with its full source, README "The built-in catalogue")${
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
  return { intro, verdict, sections: out, notes: report.assumptions };
}

/** The failure domains' intro lines and tables: per strategy, then per storm and strategy. */
function couplingSections(c: CouplingReport): { intro: string[]; sections: ReportSection[] } {
  const n = (v: number) => v.toLocaleString('en-US');
  const intro = [
    `Failure domains: ${n(c.serversInDomains)} servers in ${c.domains
      .map((d) => `${d.count} × ${d.name} (${n(d.servers)} servers, to ${d.dumpTarget})`)
      .join(', ')}; each domain dumps to a server of its own.`,
    ...c.dumpTargets.map(
      (t) =>
        `Dump target ${t.name}: ${t.protocol}, ${t.sessions} sessions of ${+t.sessionMiBps.toFixed(2)} MiB/s${
          t.transfer === 'measured' ? ' (measured transfer times)' : ''
        }, ${t.waitLimitSeconds === null ? 'no wait limit' : `gives up after ${secs(t.waitLimitSeconds)}`}, failure_action ${t.failureAction}.`,
    ),
  ];
  const sections: ReportSection[] = [
    {
      kind: 'coupling',
      title:
        'Crashes in failure domains, with the shared dump targets (the tables above keep the independent model)',
      header: [
        'strategy',
        'captured',
        'capture rate [95% CI]',
        'lost to contention',
        'waited (of served)',
        'wait p50/p95/p99',
        'mean wait',
        'downtime p50/p95/p99',
        'peak waiting',
      ],
      rows: c.strategies.map((s) => [
        s.strategy,
        `${s.captured}/${s.crashes}`,
        rate(s.captureRate),
        String(s.lostToContention),
        `${s.waited}/${s.dumps - s.lostToContention}`,
        quantiles(s.waitSeconds),
        secs(s.waitSeconds.meanSeconds),
        quantiles(s.downtimeSeconds),
        String(s.peakWaiting),
      ]),
    },
  ];
  if (c.storms.length > 0) {
    sections.push({
      kind: 'storms',
      title: 'Crash storms: when the last dump of each was captured',
      header: [
        'storm',
        'strategy',
        'crashes',
        'captured',
        'lost to contention',
        'last dump captured after',
      ],
      rows: c.storms.flatMap((t) =>
        t.strategies.map((s) => [
          `${t.name} (${stormWhen(t)}, ${+(t.share * 100).toFixed(1)}% of ${t.domains.join(', ')} in ${+t.windowMinutes.toFixed(1)} min${t.atHours === undefined ? '; last dump: worst occurrence' : ''})`,
          s.strategy,
          String(s.crashes),
          String(s.captured),
          String(s.lostToContention),
          secs(s.lastCaptureSeconds),
        ]),
      ),
    });
  }
  return { intro, sections };
}

/** A storm's time: `48 h`, or for a storm at a rate `24/domain-year: 5 occurrences`. */
function stormWhen(t: { atHours?: number; ratePerYear?: number; occurrences?: number }): string {
  return t.atHours !== undefined
    ? `${+t.atHours.toFixed(2)} h`
    : `${+t.ratePerYear!.toPrecision(3)}/domain-year: ${plural(t.occurrences ?? 0, 'occurrence')}`;
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
  const { intro, verdict, sections: secs_, notes } = reportSections(report);
  const lines = [...intro, '', ...verdict, ''];
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
  const { intro, verdict, sections: secs_, notes } = reportSections(report);
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  const lines = [
    `# kdump fleet simulation: ${report.experiment.name}`,
    '',
    ...intro,
    '',
    '## Verdict',
    '',
    ...verdict.map((v) => `- ${v}`),
    '',
  ];
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

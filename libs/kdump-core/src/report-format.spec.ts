import { describe, it, expect } from 'vitest';
import { runExperiment } from './experiment';
import {
  formatMeanDifference,
  formatPercent,
  formatRateDifference,
  formatRateInterval,
  formatReportMarkdown,
  formatReportTable,
  formatSeconds,
  isPerStrategySection,
  reportSections,
} from './report-format';
import type { Report } from './report-schema';
import { parseSpecOrThrow } from './spec';

const SPEC = `name: format-check
description: a small fleet for the formatters
seed: 5
fleet:
  - profile: compute-2s
    count: 120
  - profile: storage-2s
    count: 80
events:
  crash: { perServer: 1, causes: { panic: 1, hard-lockup: 1 } }
  reboot: { perServer: 1, path: kexec }
strategies: [none, device-reset, fallback]
`;

const CRASH_ONLY = `name: crash-only
seed: 9
fleet:
  - profile: gpu-node
    count: 40
events:
  crash: { perServer: 1, causes: { panic: 1 } }
strategies: [none, whitelist]
`;

const STRATEGIES = ['none', 'device-reset', 'fallback'];
const TITLES = [
  'Crashes down the kdump path',
  'Device reinitialisation p50/p95/p99 (crashes)',
  'Each strategy against the baseline none',
  'Planned kexec reboots',
];

const { report } = runExperiment(parseSpecOrThrow(SPEC));
const table = formatReportTable(report);
const markdown = formatReportMarkdown(report);

/** Cells of a Markdown table row, splitting on pipes that are not escaped. */
function markdownCells(row: string): string[] {
  return row
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** Groups of consecutive lines that start with `|`. */
function markdownTables(md: string): string[][] {
  const tables: string[][] = [];
  let current: string[] = [];
  for (const line of md.split('\n')) {
    if (line.startsWith('|')) {
      current.push(line);
    } else if (current.length > 0) {
      tables.push(current);
      current = [];
    }
  }
  if (current.length > 0) {
    tables.push(current);
  }
  return tables;
}

/**
 * Rows of the section whose title line is exactly `title` (text) or `## title`
 * (Markdown) whose first cell is `first`.
 */
function rowsStartingWith(text: string, title: string, first: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l === title || l === `## ${title}`);
  expect(start, `section "${title}"`).toBeGreaterThanOrEqual(0);
  const out: string[] = [];
  // Skip a blank line after a Markdown heading; stop at the blank line after the table.
  let i = start + 1;
  if (lines[i] === '') {
    i++;
  }
  for (; i < lines.length && lines[i] !== ''; i++) {
    if (lines[i]!.replace(/^\|\s*/, '').startsWith(`${first} `)) {
      out.push(lines[i]!);
    }
  }
  return out;
}

describe('the report under test', () => {
  it('has both job kinds and every strategy', () => {
    expect(report.crash?.strategies.map((s) => s.strategy)).toEqual(STRATEGIES);
    expect(report.reboot?.strategies.map((s) => s.strategy)).toEqual(STRATEGIES);
    expect(report.crash?.jobs).toBe(200);
    expect(report.assumptions.length).toBeGreaterThan(0);
  });
});

describe('formatReportTable', () => {
  it('names the experiment, its fleet and seed', () => {
    expect(table.split('\n')[0]).toBe(
      'Experiment format-check: 200 servers (120 × compute-2s, 80 × storage-2s), seed 5',
    );
    expect(table).toContain('Crash jobs: 200 per strategy');
    expect(table).toContain('Planned kexec reboots: 200 per strategy.');
  });

  it('has every section title and every strategy', () => {
    for (const t of TITLES) {
      expect(table).toContain(t);
    }
    for (const s of STRATEGIES) {
      expect(table).toContain(s);
    }
  });

  it('shows captured/jobs and in-service/jobs exactly as in the report', () => {
    for (const s of report.crash!.strategies) {
      const rows = rowsStartingWith(table, 'Crashes down the kdump path', s.strategy);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toContain(`${s.captured}/${s.jobs}`);
    }
    for (const s of report.reboot!.strategies) {
      const rows = rowsStartingWith(table, 'Planned kexec reboots', s.strategy);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toContain(`${s.inService}/${s.jobs}`);
    }
  });

  it('lists every strategy against the baseline, best first, with the verdict numbers', () => {
    const v = report.crash!.verdict;
    const rows = table
      .split('\n')
      .filter((l) => v.ranking.some((e) => l.startsWith(`${e.strategy} `)) && /vs|\[/.test(l));
    const firstRows = v.ranking.map((e) =>
      rows.findIndex((l) =>
        new RegExp(`^${e.strategy}\\s+${e.rate.value === null ? '-' : ''}`).test(l),
      ),
    );
    expect(firstRows).toEqual([...firstRows].sort((a, b) => a - b));
    const best = v.ranking[0]!;
    expect(table).toContain(
      `Verdict (crashes): ${best.strategy} captured most, ${formatRateInterval(best.rate)}`,
    );
    expect(table).toContain(formatRateDifference(best.vsBaseline.rate, 'captured'));
    expect(table).toContain(formatMeanDifference(best.vsBaseline.downtimeSeconds, 'downtime'));
  });

  it('prints every assumption as a note', () => {
    for (const a of report.assumptions) {
      expect(table).toContain(`Note: ${a}`);
    }
  });

  it('aligns every row of a section on the column starts of its rule line', () => {
    const lines = table.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!/^-+( {2}-+)+$/.test(lines[i]!)) {
        continue;
      }
      // Column starts from the rule line under the header.
      const starts = [...lines[i]!.matchAll(/-+/g)].map((m) => m.index);
      const rows = [lines[i - 1]!];
      for (let j = i + 1; j < lines.length && lines[j] !== ''; j++) {
        rows.push(lines[j]!);
      }
      for (const row of rows) {
        for (const start of starts.slice(1)) {
          expect(row[start - 1], `"${row}" before column ${start}`).toBe(' ');
          expect(row[start], `"${row}" at column ${start}`).not.toBe(' ');
        }
      }
    }
  });

  it('has no run line without run info, and one with it', () => {
    expect(table).not.toContain('Run:');
    const withRun: Report = {
      ...report,
      run: {
        wallSeconds: 1.234,
        threads: 4,
        shards: 7,
        shardSize: 30,
        host: 'test',
        mode: 'embedded',
        fleetsimVersion: '0.0.0',
      },
    };
    const runLines = formatReportTable(withRun)
      .split('\n')
      .filter((l) => l.startsWith('Run:'));
    expect(runLines).toHaveLength(1);
    const run = runLines[0]!;
    expect(run).toMatch(/^Run: embedded, /);
    for (const part of ['7 shard', '30 server', '4 thread', '1.23 s wall']) {
      expect(run).toContain(part);
    }
    // The run line comes last, after the notes.
    expect(formatReportTable(withRun).trimEnd().endsWith(run)).toBe(true);
  });

  it('ends with a newline', () => {
    expect(table.endsWith('\n')).toBe(true);
  });
});

describe('formatReportMarkdown', () => {
  it('has a title, every section and every strategy', () => {
    expect(markdown.split('\n')[0]).toBe('# kdump fleet simulation: format-check');
    for (const t of TITLES) {
      expect(markdown).toMatch(new RegExp(`^## ${t.replace(/[()/]/g, '\\$&')}`, 'm'));
    }
    expect(markdown).toContain('## Assumptions');
    for (const s of STRATEGIES) {
      expect(markdown).toContain(`| ${s} |`);
    }
  });

  it('shows captured/jobs and in-service/jobs exactly as in the report', () => {
    for (const s of report.crash!.strategies) {
      const rows = rowsStartingWith(markdown, 'Crashes down the kdump path', s.strategy);
      expect(rows).toHaveLength(1);
      expect(markdownCells(rows[0]!)[1]).toBe(`${s.captured}/${s.jobs}`);
    }
    for (const s of report.reboot!.strategies) {
      const rows = rowsStartingWith(markdown, 'Planned kexec reboots', s.strategy);
      expect(rows).toHaveLength(1);
      expect(markdownCells(rows[0]!)[1]).toBe(`${s.inService}/${s.jobs}`);
    }
  });

  it('has no run line without run info', () => {
    expect(markdown).not.toContain('Run:');
  });

  it('lists every assumption as a bullet', () => {
    for (const a of report.assumptions) {
      expect(markdown).toContain(`- ${a}`);
    }
  });

  it('every table has the same number of columns on every row, and a rule row', () => {
    const tables = markdownTables(markdown);
    expect(tables).toHaveLength(reportSections(report).sections.length);
    for (const t of tables) {
      const widths = t.map((row) => markdownCells(row).length);
      expect(new Set(widths).size, t.join('\n')).toBe(1);
      expect(t[1]).toMatch(/^\|( --- \|)+$/);
      expect(t.every((row) => row.endsWith('|'))).toBe(true);
    }
    // The device table has one column per device class, after the strategy.
    const deviceTable = tables.find(
      (t) =>
        markdownCells(t[0]!).join('|') ===
        ['strategy', ...report.experiment.deviceClasses].join('|'),
    )!;
    expect(markdownCells(deviceTable[0]!)).toEqual([
      'strategy',
      ...report.experiment.deviceClasses,
    ]);
    expect(deviceTable).toHaveLength(2 + STRATEGIES.length);
  });

  it('escapes pipes inside cells', () => {
    const piped: Report = {
      ...report,
      crash: {
        ...report.crash!,
        strategies: report.crash!.strategies.map((s) => ({ ...s, strategy: `a|${s.strategy}` })),
      },
    };
    const md = formatReportMarkdown(piped);
    expect(md).toContain('| a\\|none |');
    for (const t of markdownTables(md)) {
      expect(new Set(t.map((row) => markdownCells(row).length)).size).toBe(1);
    }
  });
});

describe('a crash-only report', () => {
  const r = runExperiment(parseSpecOrThrow(CRASH_ONLY)).report;

  it('has no reboot section in either format', () => {
    const t = formatReportTable(r);
    const md = formatReportMarkdown(r);
    expect(r.reboot).toBeNull();
    expect(t).toContain('Crashes down the kdump path');
    expect(t).not.toContain('reboots');
    expect(md).not.toContain('reboots');
    const kinds = reportSections(r).sections.map((x) => x.kind);
    expect(kinds).not.toContain('crash-profiles'); // one profile: the fleet-wide tables say it all
    expect(markdownTables(md)).toHaveLength(kinds.length);
    for (const s of r.crash!.strategies) {
      expect(md).toContain(`| ${s.strategy} | ${s.captured}/${s.jobs} |`);
    }
  });
});

describe('reportSections', () => {
  it('gives the tables every rendering shows, each with its kind, in order', () => {
    const { sections } = reportSections(report);
    const failed = (k: 'crash' | 'reboot') =>
      Object.keys(report[k]!.verdict.meanings).length > 0 ? [`${k}-failures`] : [];
    expect(sections.map((s) => s.kind)).toEqual([
      'crash-verdict',
      ...failed('crash'),
      'crash',
      'crash-culprits',
      'crash-device-reinit',
      'crash-profiles',
      'reboot-verdict',
      ...failed('reboot'),
      'reboot',
      'reboot-culprits',
      'reboot-profiles',
      ...(report.basis.length > 0 ? ['basis'] : []),
    ]);
    expect(sections.map((s) => s.title)).toEqual(
      expect.arrayContaining([TITLES[0], TITLES[1], TITLES[3]]),
    );
    // Per-strategy tables have one row per strategy, the strategy first.
    for (const s of sections.filter((x) => isPerStrategySection(x.kind))) {
      const first = s.rows.map((r) => r[0]);
      if (s.kind.endsWith('-verdict')) {
        expect([...first].sort()).toEqual([...STRATEGIES].sort());
      } else {
        expect(first).toEqual(STRATEGIES);
      }
    }
    // Per-profile tables: one row per profile × strategy.
    const profiles = sections.find((x) => x.kind === 'crash-profiles')!;
    expect(profiles.rows.map((r) => `${r[0]}/${r[1]}`)).toEqual(
      ['compute-2s', 'storage-2s'].flatMap((p) => STRATEGIES.map((x) => `${p}/${x}`)),
    );
  });

  it('formats cells the way the tables show them', () => {
    expect(formatPercent(0.56033)).toBe('56.0%');
    expect(formatPercent(null)).toBe('-');
    expect(formatRateInterval({ value: 0.5, lower: 0.25, upper: 0.75 })).toBe(
      '50.0% [25.0%, 75.0%]',
    );
    expect(formatRateInterval({ value: null, lower: null, upper: null })).toBe('-');
    expect([0.12, 1.94, 204, 7200].map(formatSeconds)).toEqual(['120ms', '1.9s', '3.4m', '2.0h']);
  });
});

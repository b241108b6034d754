/**
 * Renderings of the multi-run documents — sweep, crashkernel sizing and
 * sensitivity — as text tables, Markdown, JSON, and one self-contained HTML
 * page each (inline SVG: a sweep's rate lines with their Wilson bands, a
 * sensitivity tornado). Pure functions of the document: same bytes every time.
 */
import type { CrashkernelReport } from './crashkernel-sizing';
import { formatPercent, formatSeconds } from './report-format';
import type { SensitivityReport } from './sensitivity';
import type { RateJson, SweepReport } from './sweep';
import { escapeHtml as esc, px } from './html-text';

/** The formats every decision document renders to. */
export const DECISION_FORMATS = ['table', 'json', 'markdown', 'html'] as const;
export type DecisionFormat = (typeof DECISION_FORMATS)[number];

/** A document as sections of lines and tables, shared by the text, Markdown and HTML forms. */
interface Section {
  title: string;
  lines: string[];
  table?: { headers: string[]; rows: string[][] };
}

function rate(r: RateJson): string {
  if (r.value === null) {
    return '-';
  }
  return `${formatPercent(r.value)} [${formatPercent(r.lower)}, ${formatPercent(r.upper)}]`;
}

function value(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** A figure in a few characters: numbers to 3 significant digits, long objects elided. */
function shortValue(v: unknown): string {
  const text = JSON.stringify(v, (_k, x: unknown) =>
    typeof x === 'number' ? Number(x.toPrecision(3)) : x,
  );
  return text.length > 70 ? `${text.slice(0, 67)}...` : text;
}

/** Rows of the text table of swings; the rest are in the other formats. */
const TEXT_SWINGS = 15;

function topFailure(reasons: Record<string, number>): string {
  const top = Object.entries(reasons).sort((a, b) => b[1] - a[1])[0];
  return top ? `${top[0]} (${top[1]})` : '-';
}

// ---------------------------------------------------------------------------
// Sections

function sweepSections(s: SweepReport): { title: string; sections: Section[] } {
  const what = s.measure === 'capture' ? 'capture' : 'in service';
  const sections: Section[] = [
    {
      title: 'Sweep',
      lines: [
        `${s.points.length} points (${s.mode}) of ${s.experiment.servers} servers, seed ${s.experiment.seed}: every point meets the same crashes, so differences between points come from the values alone`,
        ...s.parameters.map(
          (p) =>
            `${p.path}: ${p.values.map(value).join(', ')} (the spec has ${value(p.specValue)})`,
        ),
        'Intervals are 95 % Wilson intervals of each point on its own; as the points share their crashes, a difference between two points is surer than the overlap of their intervals suggests.',
      ],
    },
    {
      title: `${what === 'capture' ? 'Capture' : 'In-service'} rate per point and strategy`,
      lines: [],
      table: {
        headers: [
          'point',
          'values',
          'strategy',
          'jobs',
          `${what} [95 %]`,
          'downtime p50',
          'top failure',
        ],
        rows: s.points.flatMap((p) =>
          p.rows.map((r) => [
            String(p.index),
            p.label,
            r.strategy,
            String(r.jobs),
            rate(r.rate),
            formatSeconds(r.downtimeP50Seconds),
            topFailure(r.failureReasons),
          ]),
        ),
      },
    },
  ];
  if (s.target) {
    const t = s.target;
    sections.push({
      title: 'Target',
      lines: [
        `smallest ${t.minimise} with ${what} ${t.bound === 'lower' ? '(95 % lower bound) ' : ''}>= ${formatPercent(t.captureRateAtLeast)}`,
      ],
      table: {
        headers: ['strategy', t.minimise, 'point'],
        rows: t.results.map((r) => [
          r.strategy,
          r.value === null ? 'none of the points' : value(r.value),
          r.point === null ? '-' : String(r.point),
        ]),
      },
    });
  }
  return { title: `fleetsim sweep: ${s.experiment.name}`, sections };
}

function crashkernelSections(c: CrashkernelReport): { title: string; sections: Section[] } {
  const sections: Section[] = [
    {
      title: 'crashkernel=',
      lines: [
        `smallest reservation with a capture-kernel OOM rate below ${c.targetOom} at 95 % confidence (Wilson upper bound), in steps of ${c.stepMiB} MiB; ${c.jobsNeeded} crash jobs per profile at least`,
        'found by bisection, one full run of the profile per candidate; boundaries between RAM sizes sit half-way, as the kernel sees a little less than the nominal RAM',
      ],
      table: {
        headers: ['strategy', 'kernel parameter'],
        rows: c.commandLines.map((l) => [l.strategy, l.crashkernel ?? '(no answer for a profile)']),
      },
    },
  ];
  for (const p of c.profiles) {
    sections.push({
      title: `${p.profile} (${p.ramGiB} GiB RAM, ${p.servers} servers simulated)`,
      lines: [
        `the spec reserves ${p.specCrashkernelMiB} MiB; a kdumpctl-style estimate (kernel + modules + initramfs + runtime, kdump.captureKernelBaseMiB) gives ${p.kdumpctlMiB} MiB and does NOT count the memory the loaded drivers allocate (rings, firmware pages, DMA pools) nor per-CPU areas`,
      ],
      table: {
        headers: [
          'strategy',
          'answer MiB',
          'OOM at answer [upper]',
          'OOM 1 step below',
          'memory: kdumpctl + CPUs + drivers',
          'runs',
        ],
        rows: p.strategies.map((s) => [
          s.strategy,
          s.crashkernelMiB === null ? `none: ${s.note}` : String(s.crashkernelMiB),
          s.oomUpper === null ? '-' : `${s.oom}/${s.jobs} [${formatPercent(s.oomUpper)}]`,
          s.oomBelow === null ? '-' : String(s.oomBelow),
          `${p.kdumpctlMiB} + ${s.perCpuMiB} + ${
            Object.entries(s.driversMiB)
              .map(([d, m]) => `${d} ${m}`)
              .join(' + ') || '0'
          } = ${s.modelMemoryMiB}`,
          String(s.runs),
        ]),
      },
    });
  }
  return { title: `fleetsim crashkernel: ${c.experiment.name}`, sections };
}

function sensitivitySections(
  s: SensitivityReport,
  top = Infinity,
): { title: string; sections: Section[] } {
  const what = s.measure === 'capture' ? 'capture' : 'in-service';
  const changes = s.results.filter((r) => r.rankingLow || r.rankingHigh);
  return {
    title: `fleetsim sensitivity: ${s.experiment.name}`,
    sections: [
      {
        title: 'Base',
        lines: [
          `${s.experiment.servers} servers, seed ${s.experiment.seed}; ${s.runs} runs on the same crashes; each assumption moved to ÷${s.factor} and ×${s.factor} (odds on the log-odds scale; times, memory and other quantities by the factor)`,
          `ranking by ${what} rate: ${s.ranking.join(' > ')}`,
          changes.length === 0
            ? 'no single assumption at either end changes the ranking'
            : `${changes.length} assumption(s) change the ranking; ${s.results.filter((r) => r.bestChanges).length} change the best strategy`,
        ],
        table: {
          headers: ['strategy', `${what} [95 %]`],
          rows: s.base.map((b) => [b.strategy, rate(b.rate)]),
        },
      },
      {
        title: 'Swings, largest first',
        lines:
          s.results.length > top
            ? [
                `the ${top} largest of ${s.results.length}; every one in --format json, markdown or html`,
              ]
            : [],
        table: {
          headers: [
            'assumption',
            'low / base / high',
            'max swing',
            'strategy swinging most',
            'ranking at low',
            'ranking at high',
          ],
          rows: s.results.slice(0, top).map((r) => {
            const most = [...r.rows].sort((a, b) => b.swing - a.swing)[0]!;
            return [
              r.path,
              typeof r.baseValue === 'number'
                ? `${shortValue(r.lowValue)} / ${shortValue(r.baseValue)} / ${shortValue(r.highValue)}`
                : `÷${s.factor} / spec / ×${s.factor} (values in JSON)`,
              formatPercent(r.maxSwing),
              `${most.strategy}: ${formatPercent(most.low.value)} .. ${formatPercent(most.high.value)}`,
              r.rankingLow ? r.rankingLow.join(' > ') : 'same',
              r.rankingHigh ? r.rankingHigh.join(' > ') : 'same',
            ];
          }),
        },
      },
      {
        title: 'Not moved',
        lines: s.notMoved.map((n) => `${n.path}: ${n.why}`),
      },
    ],
  };
}

// ---------------------------------------------------------------------------
// Text and Markdown

function textTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function toText(doc: { title: string; sections: Section[] }): string {
  const out = [doc.title, ''];
  for (const s of doc.sections) {
    out.push(s.title, ...s.lines.map((l) => `  ${l}`));
    if (s.table) {
      out.push('', textTable(s.table.headers, s.table.rows));
    }
    out.push('');
  }
  return out.join('\n');
}

function md(cell: string): string {
  return cell.replace(/\|/g, '\\|');
}

function toMarkdown(doc: { title: string; sections: Section[] }): string {
  const out = [`# ${doc.title}`, ''];
  for (const s of doc.sections) {
    out.push(`## ${s.title}`, '');
    if (s.lines.length > 0) {
      out.push(...s.lines.map((l) => `- ${md(l)}`), '');
    }
    if (s.table) {
      out.push(
        `| ${s.table.headers.map(md).join(' | ')} |`,
        `|${s.table.headers.map(() => '---').join('|')}|`,
        ...s.table.rows.map((r) => `| ${r.map(md).join(' | ')} |`),
        '',
      );
    }
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------
// HTML

const COLOURS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#17becf',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
];

function toHtml(doc: { title: string; sections: Section[] }, charts: string[]): string {
  const body: string[] = [`<h1>${esc(doc.title)}</h1>`, ...charts];
  for (const s of doc.sections) {
    body.push(`<h2>${esc(s.title)}</h2>`);
    if (s.lines.length > 0) {
      body.push(`<ul>${s.lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`);
    }
    if (s.table) {
      body.push(
        `<table><thead><tr>${s.table.headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${s.table.rows
          .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
          .join('')}</tbody></table>`,
      );
    }
  }
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${esc(doc.title)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;font-size:90%}svg{display:block;margin:1em 0}</style>
</head><body>
${body.join('\n')}
</body></html>
`;
}

/**
 * Line charts of a sweep: x is the first parameter (numeric values to scale,
 * others evenly), one chart per combination of the other parameters, a line per
 * strategy with its Wilson band.
 */
function sweepCharts(s: SweepReport): string[] {
  const first = s.parameters[0]!.path;
  const groups = new Map<string, SweepReport['points']>();
  for (const p of s.points) {
    const key = s.parameters
      .slice(1)
      .map((q) => `${q.path}=${value(p.values[q.path])}`)
      .join(' ');
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const charts: string[] = [];
  const W = 640;
  const H = 300;
  const L = 50;
  const B = 40;
  for (const [key, points] of groups) {
    const xs = points.map((p) => p.values[first]!);
    const numeric = xs.every((x) => typeof x === 'number');
    const nx = numeric ? (xs as number[]) : xs.map((_, i) => i);
    const xmin = Math.min(...nx);
    const xmax = Math.max(...nx);
    const X = (v: number) =>
      L + (xmax === xmin ? (W - L - 20) / 2 : ((v - xmin) / (xmax - xmin)) * (W - L - 20));
    const Y = (v: number) => 10 + (1 - v) * (H - B - 10);
    const parts: string[] = [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + 20 * s.experiment.strategies.length}" role="img" aria-label="rate by ${esc(first)}">`,
      `<text x="${L}" y="${H - 5}" font-size="12">${esc(first)}${key ? ` (${esc(key)})` : ''}</text>`,
    ];
    for (const t of [0, 0.25, 0.5, 0.75, 1]) {
      parts.push(
        `<line x1="${L}" x2="${W - 20}" y1="${px(Y(t))}" y2="${px(Y(t))}" stroke="#eee"/><text x="5" y="${px(Y(t) + 4)}" font-size="11">${formatPercent(t)}</text>`,
      );
    }
    xs.forEach((x, i) =>
      parts.push(
        `<text x="${px(X(nx[i]!))}" y="${H - B + 15}" font-size="11" text-anchor="middle">${esc(value(x))}</text>`,
      ),
    );
    s.experiment.strategies.forEach((strategy, si) => {
      const colour = COLOURS[si % COLOURS.length]!;
      const pts = points
        .map((p, i) => ({ x: X(nx[i]!), r: p.rows.find((r) => r.strategy === strategy)?.rate }))
        .filter((p): p is { x: number; r: RateJson } => p.r !== undefined && p.r.value !== null)
        .sort((a, b) => a.x - b.x);
      if (pts.length === 0) {
        return;
      }
      const band = [
        ...pts.map((p) => `${px(p.x)},${px(Y(p.r.upper!))}`),
        ...[...pts].reverse().map((p) => `${px(p.x)},${px(Y(p.r.lower!))}`),
      ].join(' ');
      parts.push(`<polygon points="${band}" fill="${colour}" fill-opacity="0.15" stroke="none"/>`);
      parts.push(
        `<polyline points="${pts.map((p) => `${px(p.x)},${px(Y(p.r.value!))}`).join(' ')}" fill="none" stroke="${colour}" stroke-width="2"/>`,
      );
      parts.push(
        `<text x="${L}" y="${H + 15 + 20 * si}" font-size="12" fill="${colour}">— ${esc(strategy)}</text>`,
      );
    });
    parts.push('</svg>');
    charts.push(parts.join(''));
  }
  return charts;
}

/** A tornado per strategy at the top of the base ranking: low and high end around the base. */
function tornado(s: SensitivityReport): string[] {
  if (s.results.length === 0) {
    return [];
  }
  const strategy = s.ranking[0]!;
  const rows = s.results.map((r) => ({
    path: r.path,
    row: r.rows.find((x) => x.strategy === strategy)!,
  }));
  rows.sort((a, b) => b.row.swing - a.row.swing);
  const all = rows.flatMap((r) => [
    r.row.low.value ?? 0,
    r.row.high.value ?? 0,
    r.row.base.value ?? 0,
  ]);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const W = 900;
  const L = 380;
  const R = 60;
  const X = (v: number) => L + (hi === lo ? 0.5 : (v - lo) / (hi - lo)) * (W - L - R);
  const rowH = 18;
  const base = rows[0]!.row.base.value ?? 0;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${40 + rowH * rows.length}" role="img" aria-label="tornado">`,
    `<text x="5" y="14" font-size="12">${esc(strategy)}: ${s.measure} rate at ÷${s.factor} (blue) and ×${s.factor} (red) of each assumption; line: base ${formatPercent(base)}</text>`,
  ];
  rows.forEach((r, i) => {
    const y = 25 + i * rowH;
    const lv = r.row.low.value ?? base;
    const hv = r.row.high.value ?? base;
    parts.push(
      `<text x="5" y="${y + 12}" font-size="11">${esc(r.path.replace(/^catalogue\./, ''))}</text>`,
    );
    parts.push(
      `<rect x="${px(Math.min(X(lv), X(base)))}" y="${y}" width="${px(Math.abs(X(lv) - X(base)))}" height="${rowH - 4}" fill="#1f77b4"/>`,
    );
    parts.push(
      `<rect x="${px(Math.min(X(hv), X(base)))}" y="${y}" width="${px(Math.abs(X(hv) - X(base)))}" height="${rowH - 4}" fill="#d62728" fill-opacity="0.7"/>`,
    );
  });
  parts.push(
    `<line x1="${px(X(base))}" x2="${px(X(base))}" y1="20" y2="${25 + rowH * rows.length}" stroke="#000"/>`,
    `<text x="${L}" y="${35 + rowH * rows.length}" font-size="11">${formatPercent(lo)}</text>`,
    `<text x="${W - R}" y="${35 + rowH * rows.length}" font-size="11">${formatPercent(hi)}</text>`,
    '</svg>',
  );
  return [parts.join('')];
}

// ---------------------------------------------------------------------------
// Entry points

function render<T>(
  doc: T,
  sections: (d: T) => { title: string; sections: Section[] },
  charts: (d: T) => string[],
  format: DecisionFormat,
): string {
  switch (format) {
    case 'json':
      return JSON.stringify(doc, null, 2) + '\n';
    case 'table':
      return toText(sections(doc));
    case 'markdown':
      return toMarkdown(sections(doc));
    case 'html':
      return toHtml(sections(doc), charts(doc));
  }
}

/** A sweep document in `format`. */
export function renderSweep(s: SweepReport, format: DecisionFormat): string {
  return render(s, sweepSections, sweepCharts, format);
}

/** A crashkernel document in `format`. */
export function renderCrashkernel(c: CrashkernelReport, format: DecisionFormat): string {
  return render(c, crashkernelSections, () => [], format);
}

/** A sensitivity document in `format`. */
export function renderSensitivity(s: SensitivityReport, format: DecisionFormat): string {
  return render(
    s,
    (d) => sensitivitySections(d, format === 'table' ? TEXT_SWINGS : Infinity),
    tornado,
    format,
  );
}

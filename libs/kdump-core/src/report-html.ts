/**
 * The report as one self-contained HTML page for a design review: the tables of
 * the text and Markdown renderings plus inline SVG charts drawn here: capture
 * (or in-service) rate per strategy with its Wilson interval, failure reasons per
 * strategy, the downtime distribution per strategy, and the distribution function
 * of device reinitialisation time per device class and strategy.
 *
 * Nothing is fetched when the page is viewed: no scripts, fonts, images or style
 * sheets from anywhere, and a Content-Security-Policy that forbids them. A pure
 * function of the report: the same report gives the same bytes.
 */
import { FAILURE_REASONS, type FailureReason } from './outcome';
import {
  formatPercent,
  formatRateDifference,
  formatRateInterval,
  formatSeconds,
  isPerStrategySection,
  reportRunLine,
  reportSections,
  type ReportSection,
} from './report-format';
import type { RateIntervalJson, Report, TimeSummaryJson, Verdict } from './report-schema';
import { escapeHtml as esc, px } from './html-text';
import { rolloutHtmlSection } from './rollout-html';
import { stormChart } from './storm-chart';

// ---------------------------------------------------------------------------
// Text

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** Width of a label in px: an upper estimate for proportional sans-serif fonts. */
function textWidth(text: string, fontSize: number): number {
  return text.length * fontSize * 0.6;
}

// ---------------------------------------------------------------------------
// Colours: one per strategy (the same in every chart and table), one per failure reason

const STRATEGY_COLOURS = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#59a14f',
  '#b07aa1',
  '#76b7b2',
  '#d4a92a',
  '#9c755f',
  '#ff9da7',
  '#79706e',
];
/** After ten strategies the colours repeat with another dash pattern. */
const STRATEGY_DASHES = ['', '6 3', '2 2', '8 3 2 3'];

const REASON_COLOURS: Record<FailureReason, string> = {
  'hang-undetected': '#7f7f7f',
  'capture-kernel-not-loaded': '#bcbd22',
  'stale-cpu': '#17becf',
  'purgatory-digest-mismatch': '#8c564b',
  'dmar-fault': '#d62728',
  'capture-kernel-oom': '#ff7f0e',
  'capture-kernel-panic': '#9467bd',
  'capture-kernel-oops': '#e377c2',
  'dump-target-missing': '#1f77b4',
  'kexec-boot-panic': '#2ca02c',
  'device-missing': '#393b79',
  'interrupt-storm': '#ad494a',
  'stale-kexec-parameters': '#637939',
  'backup-region-lost': '#843c39',
};

const INK = '#1f2328';
const MUTED = '#59636e';
const GRID = '#e3e7eb';
const AXIS = '#8c959f';

// ---------------------------------------------------------------------------
// What the charts of one job kind need

interface StrategyView {
  name: string;
  colour: string;
  dash: string;
  jobs: number;
  ok: number;
  rate: RateIntervalJson;
  reasons: Partial<Record<FailureReason, number>>;
  downtime: TimeSummaryJson;
  reinit: Record<string, TimeSummaryJson>;
}

interface KindView {
  kind: 'crash' | 'reboot';
  /** data-chart names of the four charts. */
  charts: { rate: string; reasons: string; downtime: string; reinit: string };
  /** "crash" or "kexec reboot": what one job is. */
  job: string;
  /** "capture rate" or "in-service rate". */
  rateName: string;
  /** "captured" or "back in service". */
  okWord: string;
  strategies: StrategyView[];
  deviceClasses: readonly string[];
  levels: readonly number[];
}

function strategyStyle(i: number): { colour: string; dash: string } {
  return {
    colour: STRATEGY_COLOURS[i % STRATEGY_COLOURS.length]!,
    dash: STRATEGY_DASHES[Math.floor(i / STRATEGY_COLOURS.length) % STRATEGY_DASHES.length]!,
  };
}

function crashView(report: Report): KindView | null {
  const c = report.crash;
  if (!c) {
    return null;
  }
  return {
    kind: 'crash',
    charts: {
      rate: 'capture-rate',
      reasons: 'failure-reasons',
      downtime: 'downtime',
      reinit: 'device-reinit-cdf',
    },
    job: 'crash',
    rateName: 'capture rate',
    okWord: 'captured',
    strategies: c.strategies.map((s, i) => ({
      name: s.strategy,
      ...strategyStyle(i),
      jobs: s.jobs,
      ok: s.captured,
      rate: s.captureRate,
      reasons: s.failureReasons,
      downtime: s.downtimeSeconds,
      reinit: s.deviceReinitSeconds,
    })),
    deviceClasses: report.experiment.deviceClasses,
    levels: report.cdfLevels,
  };
}

function rebootView(report: Report): KindView | null {
  const r = report.reboot;
  if (!r) {
    return null;
  }
  return {
    kind: 'reboot',
    charts: {
      rate: 'in-service-rate',
      reasons: 'reboot-failure-reasons',
      downtime: 'reboot-downtime',
      reinit: 'reboot-device-reinit-cdf',
    },
    job: `${r.path} reboot`,
    rateName: 'in-service rate',
    okWord: 'back in service',
    strategies: r.strategies.map((s, i) => ({
      name: s.strategy,
      ...strategyStyle(i),
      jobs: s.jobs,
      ok: s.inService,
      rate: s.inServiceRate,
      reasons: s.failureReasons,
      downtime: s.downtimeSeconds,
      reinit: s.deviceReinitSeconds,
    })),
    deviceClasses: report.experiment.deviceClasses,
    levels: report.cdfLevels,
  };
}

/** The series value at the first level at or above `q` (the levels include 0.01 … 0.99). */
function quantileAt(levels: readonly number[], series: readonly number[], q: number): number {
  const i = levels.findIndex((l) => l >= q - 1e-12);
  return series[i === -1 ? series.length - 1 : i]!;
}

// ---------------------------------------------------------------------------
// Axes

/** Width of every chart's drawing, px (the page's content column). */
const WIDTH = 880;

/** Round times for log-axis ticks, seconds. */
const FINE_TICKS = [
  1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1,
  0.2, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 18000, 43200, 86400,
  172800, 432000, 864000, 1728000, 4320000,
];
const MEDIUM_TICKS = [
  1e-6, 1e-5, 1e-4, 0.001, 0.01, 0.1, 1, 10, 60, 600, 3600, 36000, 86400, 864000, 8640000,
];
const COARSE_TICKS = [1e-6, 0.001, 1, 3600, 8640000];

function tickTime(s: number): string {
  const r = (v: number) => String(Number(v.toPrecision(3)));
  if (s < 0.001) {
    return `${r(s * 1e6)}µs`;
  }
  if (s < 1) {
    return `${r(s * 1e3)}ms`;
  }
  if (s < 60) {
    return `${r(s)}s`;
  }
  if (s < 3600) {
    return `${r(s / 60)}m`;
  }
  if (s < 86400) {
    return `${r(s / 3600)}h`;
  }
  return `${r(s / 86400)}d`;
}

interface Axis {
  /** Maps a value to px. */
  at: (v: number) => number;
  ticks: { value: number; label: string }[];
}

/** A log-scale time axis from round times around [min, max] onto [x0, x1]. */
function logTimeAxis(min: number, max: number, x0: number, x1: number): Axis {
  const lowest = FINE_TICKS[0]!;
  const highest = FINE_TICKS[FINE_TICKS.length - 1]!;
  let lo = Math.max(lowest, ...FINE_TICKS.filter((t) => t <= min));
  let hi = Math.min(highest, ...FINE_TICKS.filter((t) => t >= max));
  if (lo >= hi) {
    const i = FINE_TICKS.indexOf(lo);
    lo = FINE_TICKS[Math.max(0, i - 1)]!;
    hi = FINE_TICKS[Math.min(FINE_TICKS.length - 1, i + 1)]!;
  }
  const maxTicks = Math.max(2, Math.floor((x1 - x0) / 44));
  let values = COARSE_TICKS.filter((t) => t >= lo && t <= hi);
  for (const list of [FINE_TICKS, MEDIUM_TICKS]) {
    const inRange = list.filter((t) => t >= lo && t <= hi);
    if (inRange.length <= maxTicks) {
      values = inRange;
      break;
    }
  }
  const a = Math.log(lo);
  const span = Math.log(hi) - a;
  const at = (v: number) => x0 + ((Math.log(Math.min(hi, Math.max(lo, v))) - a) / span) * (x1 - x0);
  return { at, ticks: values.map((v) => ({ value: v, label: tickTime(v) })) };
}

/** A linear share axis from 0 to `max` (0..1) with round percentage ticks. */
function shareAxis(max: number, x0: number, x1: number): Axis {
  const steps = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25];
  const step = steps.find((s) => Math.ceil(max / s - 1e-9) <= 8) ?? 0.25;
  const top = Math.min(1, Math.max(step, Math.ceil(max / step - 1e-9) * step));
  const ticks: Axis['ticks'] = [];
  for (let k = 0; k * step <= top + 1e-9; k++) {
    const v = k * step;
    ticks.push({ value: v, label: `${(v * 100).toFixed(step < 0.01 ? 1 : 0)}%` });
  }
  return { at: (v) => x0 + (Math.min(top, Math.max(0, v)) / top) * (x1 - x0), ticks };
}

/** Vertical grid lines and tick labels of a horizontal axis along y = `y1`. */
function xAxis(axis: Axis, y0: number, y1: number, title: string, titleX: number): string {
  const parts = axis.ticks.map((t) => {
    const x = px(axis.at(t.value));
    return `<line x1="${x}" x2="${x}" y1="${px(y0)}" y2="${px(y1)}" stroke="${GRID}"/><text x="${x}" y="${px(y1 + 15)}" text-anchor="middle" font-size="11" fill="${MUTED}">${esc(t.label)}</text>`;
  });
  const [first, last] = [axis.ticks[0], axis.ticks[axis.ticks.length - 1]];
  const from = first ? axis.at(first.value) : 0;
  const to = last ? axis.at(last.value) : 0;
  return `<g class="axis x-axis">${parts.join('')}<line x1="${px(Math.min(from, axis.at(0)))}" x2="${px(Math.max(to, from))}" y1="${px(y1)}" y2="${px(y1)}" stroke="${AXIS}"/><text x="${px(titleX)}" y="${px(y1 + 32)}" text-anchor="middle" font-size="12" fill="${INK}">${esc(title)}</text></g>`;
}

// ---------------------------------------------------------------------------
// Legends

interface LegendItem {
  label: string;
  /** The swatch, 16 px wide, centred vertically on `y`. */
  swatch: (x: number, y: number) => string;
}

/** Legend items left to right, wrapping within `width`; its height in px. */
function legend(items: LegendItem[], x: number, y: number, width: number) {
  const rowHeight = 18;
  let cx = x;
  let cy = y + rowHeight / 2;
  const parts: string[] = [];
  for (const item of items) {
    const w = 22 + textWidth(item.label, 12) + 14;
    if (cx + w > x + width && cx > x) {
      cx = x;
      cy += rowHeight;
    }
    parts.push(
      `<g class="legend-item">${item.swatch(cx, cy)}<text x="${px(cx + 22)}" y="${px(cy)}" dy="0.35em" font-size="12" fill="${INK}">${esc(item.label)}</text></g>`,
    );
    cx += w;
  }
  return {
    svg: `<g class="legend">${parts.join('')}</g>`,
    height: items.length === 0 ? 0 : cy - y + rowHeight / 2,
  };
}

const barSwatch = (fill: string) => (x: number, y: number) =>
  `<rect x="${px(x)}" y="${px(y - 5)}" width="16" height="10" rx="2" fill="${fill}"/>`;

const lineSwatch = (s: { colour: string; dash: string }) => (x: number, y: number) =>
  `<line x1="${px(x)}" x2="${px(x + 16)}" y1="${px(y)}" y2="${px(y)}" stroke="${s.colour}" stroke-width="2.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`;

const whiskerSwatch = (x: number, y: number) =>
  `<path d="M${px(x + 1)} ${px(y - 4)}V${px(y + 4)}M${px(x + 1)} ${px(y)}H${px(x + 15)}M${px(x + 15)} ${px(y - 4)}V${px(y + 4)}" stroke="${INK}" stroke-width="1.5" fill="none"/>`;

// ---------------------------------------------------------------------------
// Charts

function chartSvg(
  name: string,
  kind: KindView['kind'],
  height: number,
  title: string,
  description: string,
  body: string,
): string {
  const id = `chart-${name}`;
  return `<svg class="chart" data-chart="${esc(name)}" data-kind="${kind}" id="${esc(id)}" viewBox="0 0 ${WIDTH} ${px(height)}" width="${WIDTH}" height="${px(height)}" role="img" aria-labelledby="${esc(id)}-title ${esc(id)}-desc" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"><title id="${esc(id)}-title">${esc(title)}</title><desc id="${esc(id)}-desc">${esc(description)}</desc>${body}</svg>`;
}

/** Left column width for strategy names, px. */
function labelColumn(names: readonly string[]): number {
  return Math.min(220, Math.max(90, ...names.map((n) => textWidth(n, 12) + 18)));
}

/** A strategy name as a row label, cut to the column with its full name in a tooltip. */
function rowLabel(name: string, x: number, y: number, width: number): string {
  const fits = Math.floor((width - 18) / (12 * 0.6));
  const shown = name.length > fits ? `${name.slice(0, Math.max(1, fits - 1))}…` : name;
  return `<text x="${px(x)}" y="${px(y)}" dy="0.35em" text-anchor="end" font-size="12" fill="${INK}"><title>${esc(name)}</title>${esc(shown)}</text>`;
}

const ROW = 28;

/** Capture (or in-service) rate per strategy: a bar to the rate, a whisker over its interval. */
function rateChart(view: KindView): string {
  const names = view.strategies.map((s) => s.name);
  const x0 = labelColumn(names);
  const x1 = WIDTH - 170;
  const key = legend(
    [
      { label: `${view.rateName}`, swatch: barSwatch('#9fb7d0') },
      { label: '95 % Wilson interval', swatch: whiskerSwatch },
    ],
    x0,
    4,
    x1 - x0,
  );
  const top = 4 + key.height + 10;
  const bottom = top + view.strategies.length * ROW;
  const axis: Axis = {
    at: (v) => x0 + v * (x1 - x0),
    ticks: Array.from({ length: 11 }, (_, k) => ({ value: k / 10, label: `${k * 10}%` })),
  };
  const rows = view.strategies.map((s, i) => {
    const cy = top + i * ROW + ROW / 2;
    const r = s.rate;
    const label = `<text x="${px(x1 + 10)}" y="${px(cy)}" dy="0.35em" font-size="12" fill="${INK}">${esc(formatRateInterval(r))}</text>`;
    const tooltip = `<title>${esc(`${s.name}: ${formatRateInterval(r)} (${count(s.ok)} of ${count(s.jobs)} ${view.job} jobs ${view.okWord})`)}</title>`;
    const data = `data-strategy="${esc(s.name)}" data-jobs="${s.jobs}" data-value="${r.value ?? ''}" data-lower="${r.lower ?? ''}" data-upper="${r.upper ?? ''}"`;
    if (r.value === null || r.lower === null || r.upper === null) {
      return `<g class="mark" ${data}>${tooltip}${rowLabel(s.name, x0 - 8, cy, x0)}${label}</g>`;
    }
    const [xl, xu] = [axis.at(r.lower), axis.at(r.upper)];
    const bar = `<rect class="bar" x="${px(x0)}" y="${px(cy - 8)}" width="${px(axis.at(r.value) - x0)}" height="16" rx="2" fill="${s.colour}" fill-opacity="0.8"/>`;
    const whisker = `<path class="whisker" d="M${px(xl)} ${px(cy - 6)}V${px(cy + 6)}M${px(xl)} ${px(cy)}H${px(xu)}M${px(xu)} ${px(cy - 6)}V${px(cy + 6)}" stroke="${INK}" stroke-width="1.5" fill="none"/>`;
    return `<g class="mark" ${data}>${tooltip}${rowLabel(s.name, x0 - 8, cy, x0)}${bar}${whisker}${label}</g>`;
  });
  const title = `${capitalise(view.rateName)} per strategy, with 95 % Wilson intervals`;
  const description = `For each of ${view.strategies.length} strategies, a bar to the share of the ${count(view.strategies[0]?.jobs ?? 0)} ${view.job} jobs ${view.okWord}, and a whisker over its 95 % Wilson score interval. Every strategy met the same jobs.`;
  return chartSvg(
    view.charts.rate,
    view.kind,
    bottom + 44,
    title,
    description,
    `${key.svg}${xAxis(axis, top, bottom, `${view.rateName} (share of ${view.job} jobs)`, (x0 + x1) / 2)}${rows.join('')}`,
  );
}

/**
 * Forest plot of the verdict: each strategy's paired rate difference from the
 * baseline, a dot at the difference and a whisker over its interval, best first,
 * with a line at 0 (no difference).
 */
function forestChart(view: KindView, verdict: Verdict): string | null {
  const rows = verdict.ranking.filter((e) => !e.baseline && e.vsBaseline.rate.difference !== null);
  if (rows.length === 0) {
    return null;
  }
  const names = rows.map((e) => e.strategy);
  const x0 = labelColumn(names);
  const x1 = WIDTH - 240;
  const lo = Math.min(0, ...rows.map((e) => e.vsBaseline.rate.lower!));
  const hi = Math.max(0, ...rows.map((e) => e.vsBaseline.rate.upper!));
  const steps = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5];
  const step = steps.find((v) => (hi - lo) / v <= 10) ?? 0.5;
  const from = Math.floor(lo / step - 1e-9) * step;
  const to = Math.max(from + step, Math.ceil(hi / step - 1e-9) * step);
  const at = (v: number) => x0 + ((v - from) / (to - from)) * (x1 - x0);
  const ticks: Axis['ticks'] = [];
  for (let v = from; v <= to + 1e-9; v += step) {
    const pp = Math.round(v * 1000) / 10;
    ticks.push({ value: v, label: `${pp > 0 ? '+' : ''}${pp} pp` });
  }
  const axis: Axis = { at, ticks };
  const key = legend(
    [
      {
        label: `difference from ${verdict.baseline}`,
        swatch: (x: number, y: number) =>
          `<circle cx="${px(x + 8)}" cy="${px(y)}" r="5" fill="${MUTED}"/>`,
      },
      { label: '95 % paired interval', swatch: whiskerSwatch },
    ],
    x0,
    4,
    x1 - x0,
  );
  const top = 4 + key.height + 10;
  const bottom = top + rows.length * ROW;
  const colour = new Map(view.strategies.map((s) => [s.name, s.colour]));
  const marks = rows.map((e, i) => {
    const cy = top + i * ROW + ROW / 2;
    const d = e.vsBaseline.rate;
    const text = formatRateDifference(d);
    const data = `data-strategy="${esc(e.strategy)}" data-difference="${d.difference}" data-lower="${d.lower}" data-upper="${d.upper}"`;
    const whisker = `<path class="whisker" d="M${px(at(d.lower!))} ${px(cy - 6)}V${px(cy + 6)}M${px(at(d.lower!))} ${px(cy)}H${px(at(d.upper!))}M${px(at(d.upper!))} ${px(cy - 6)}V${px(cy + 6)}" stroke="${INK}" stroke-width="1.5" fill="none"/>`;
    const dot = `<circle cx="${px(at(d.difference!))}" cy="${px(cy)}" r="5" fill="${colour.get(e.strategy) ?? INK}"/>`;
    const label = `<text x="${px(x1 + 10)}" y="${px(cy)}" dy="0.35em" font-size="12" fill="${INK}">${esc(text)}${e.best ? ' (best)' : e.tiedWithBest ? ' (tie)' : ''}</text>`;
    return `<g class="mark" ${data}><title>${esc(`${e.strategy} − ${verdict.baseline}: ${text}`)}</title>${rowLabel(e.strategy, x0 - 8, cy, x0)}${whisker}${dot}${label}</g>`;
  });
  const zero = `<line class="zero" x1="${px(at(0))}" x2="${px(at(0))}" y1="${px(top)}" y2="${px(bottom)}" stroke="${INK}" stroke-dasharray="4 3"/>`;
  return chartSvg(
    view.kind === 'crash' ? 'capture-forest' : 'in-service-forest',
    view.kind,
    bottom + 44,
    `${capitalise(view.rateName)} against the baseline ${verdict.baseline}, paired differences`,
    `For each strategy but the baseline, best first: a dot at its ${view.rateName} minus the baseline's on the same ${view.job} jobs, and a whisker over the 95 % paired (Newcombe) interval; the dashed line is no difference.`,
    `${key.svg}${xAxis(axis, top, bottom, `${view.rateName} minus ${verdict.baseline}'s (percentage points)`, (x0 + x1) / 2)}${zero}${marks.join('')}`,
  );
}

/** Failure reasons per strategy: a bar of each reason's share of jobs, stacked. */
function reasonsChart(view: KindView): string | null {
  const present = FAILURE_REASONS.filter((r) =>
    view.strategies.some((s) => (s.reasons[r] ?? 0) > 0),
  );
  const failedShare = (s: StrategyView) => (s.jobs > 0 ? (s.jobs - s.ok) / s.jobs : 0);
  const maxShare = Math.max(0, ...view.strategies.map(failedShare));
  if (present.length === 0 || maxShare === 0) {
    return null;
  }
  const names = view.strategies.map((s) => s.name);
  const x0 = labelColumn(names);
  const x1 = WIDTH - 110;
  const key = legend(
    present.map((r) => ({ label: r, swatch: barSwatch(REASON_COLOURS[r]) })),
    x0,
    4,
    WIDTH - x0,
  );
  const top = 4 + key.height + 10;
  const bottom = top + view.strategies.length * ROW;
  const axis = shareAxis(maxShare, x0, x1);
  const rows = view.strategies.map((s, i) => {
    const cy = top + i * ROW + ROW / 2;
    let share = 0;
    const segments: string[] = [];
    for (const r of present) {
      const n = s.reasons[r] ?? 0;
      if (n === 0 || s.jobs === 0) {
        continue;
      }
      const from = axis.at(share);
      share += n / s.jobs;
      const to = axis.at(share);
      segments.push(
        `<rect class="segment" data-reason="${r}" data-count="${n}" x="${px(from)}" y="${px(cy - 8)}" width="${px(Math.max(0.5, to - from))}" height="16" fill="${REASON_COLOURS[r]}"><title>${esc(`${s.name}: ${r}, ${count(n)} of ${count(s.jobs)} ${view.job} jobs (${formatPercent(n / s.jobs)})`)}</title></rect>`,
      );
    }
    const failed = s.jobs - s.ok;
    const total = `<text x="${px(axis.at(share) + 8)}" y="${px(cy)}" dy="0.35em" font-size="12" fill="${INK}">${esc(s.jobs > 0 ? `${formatPercent(failed / s.jobs)} failed` : 'no jobs')}</text>`;
    return `<g class="mark" data-strategy="${esc(s.name)}" data-failed="${failed}" data-jobs="${s.jobs}">${rowLabel(s.name, x0 - 8, cy, x0)}${segments.join('')}${total}</g>`;
  });
  const title = `Failure reasons per strategy (share of ${view.job} jobs)`;
  const description = `For each strategy, the ${view.job} jobs that failed, as a bar stacked by failure reason, as a share of all its jobs.`;
  return chartSvg(
    view.charts.reasons,
    view.kind,
    bottom + 44,
    title,
    description,
    `${key.svg}${xAxis(axis, top, bottom, `share of ${view.job} jobs that failed, by reason`, (x0 + x1) / 2)}${rows.join('')}`,
  );
}

/** Downtime per strategy: box p25–p75, median, whiskers p1–p99, mean, on a log time axis. */
function downtimeChart(view: KindView): string {
  const names = view.strategies.map((s) => s.name);
  const x0 = labelColumn(names);
  const x1 = WIDTH - 170;
  const boxFill = '#c9d6e3';
  const key = legend(
    [
      { label: 'p25–p75', swatch: barSwatch(boxFill) },
      {
        label: 'median',
        swatch: (x, y) =>
          `<line x1="${px(x + 8)}" x2="${px(x + 8)}" y1="${px(y - 6)}" y2="${px(y + 6)}" stroke="${INK}" stroke-width="2"/>`,
      },
      { label: 'p1–p99', swatch: whiskerSwatch },
      {
        label: 'mean',
        swatch: (x, y) =>
          `<circle cx="${px(x + 8)}" cy="${px(y)}" r="3.5" fill="#fff" stroke="${INK}" stroke-width="1.5"/>`,
      },
    ],
    x0,
    4,
    x1 - x0,
  );
  const top = 4 + key.height + 10;
  const bottom = top + view.strategies.length * ROW;
  const at = (s: StrategyView, q: number) => quantileAt(view.levels, s.downtime.cdfSeconds, q);
  const withTimes = view.strategies.filter((s) => s.downtime.cdfSeconds.length > 0);
  const lows = withTimes.map((s) => at(s, 0.01));
  const highs = withTimes.flatMap((s) => [at(s, 0.99), s.downtime.meanSeconds ?? 0]);
  const axis = logTimeAxis(
    lows.length > 0 ? Math.min(...lows) : 1,
    highs.length > 0 ? Math.max(...highs) : 10,
    x0,
    x1,
  );
  const rows = view.strategies.map((s, i) => {
    const cy = top + i * ROW + ROW / 2;
    const t = s.downtime;
    const quantiles =
      t.count === 0
        ? '-'
        : `${formatSeconds(t.p50Seconds)} / ${formatSeconds(t.p95Seconds)} / ${formatSeconds(t.p99Seconds)}`;
    const label = `<text x="${px(x1 + 10)}" y="${px(cy)}" dy="0.35em" font-size="12" fill="${INK}">${esc(quantiles)}</text>`;
    const data = `data-strategy="${esc(s.name)}" data-count="${t.count}"`;
    if (t.cdfSeconds.length === 0) {
      return `<g class="mark" ${data}>${rowLabel(s.name, x0 - 8, cy, x0)}${label}</g>`;
    }
    const [p1, p25, p50, p75, p99] = [0.01, 0.25, 0.5, 0.75, 0.99].map((q) => axis.at(at(s, q)));
    const tooltip = `<title>${esc(`${s.name}: downtime p1 ${formatSeconds(at(s, 0.01))}, p25 ${formatSeconds(at(s, 0.25))}, median ${formatSeconds(at(s, 0.5))}, p75 ${formatSeconds(at(s, 0.75))}, p99 ${formatSeconds(at(s, 0.99))}, mean ${formatSeconds(t.meanSeconds)} (${count(t.count)} ${view.job} jobs)`)}</title>`;
    const whisker = `<path class="whisker" d="M${px(p1!)} ${px(cy - 5)}V${px(cy + 5)}M${px(p1!)} ${px(cy)}H${px(p99!)}M${px(p99!)} ${px(cy - 5)}V${px(cy + 5)}" stroke="${INK}" stroke-width="1.25" fill="none"/>`;
    const box = `<rect class="box" x="${px(p25!)}" y="${px(cy - 8)}" width="${px(Math.max(1, p75! - p25!))}" height="16" fill="${s.colour}" fill-opacity="0.35" stroke="${s.colour}" stroke-width="1.25"/>`;
    const median = `<line class="median" x1="${px(p50!)}" x2="${px(p50!)}" y1="${px(cy - 8)}" y2="${px(cy + 8)}" stroke="${INK}" stroke-width="2"/>`;
    const mean = `<circle class="mean" cx="${px(axis.at(t.meanSeconds ?? 0))}" cy="${px(cy)}" r="3.5" fill="#fff" stroke="${INK}" stroke-width="1.5"/>`;
    return `<g class="mark" ${data}>${tooltip}${rowLabel(s.name, x0 - 8, cy, x0)}${whisker}${box}${median}${mean}${label}</g>`;
  });
  const title = `Downtime per strategy (${view.job} jobs), log scale`;
  const description = `For each strategy, the distribution of the time from the fault until the server is back in service: a box from the 25th to the 75th percentile, a line at the median, whiskers from the 1st to the 99th percentile and a circle at the mean, on a logarithmic time axis. The text gives p50 / p95 / p99.`;
  return chartSvg(
    view.charts.downtime,
    view.kind,
    bottom + 44,
    title,
    description,
    `${key.svg}<text x="${px(x1 + 10)}" y="${px(top - 6)}" font-size="11" fill="${MUTED}">p50 / p95 / p99</text>${xAxis(axis, top, bottom, 'downtime, from the fault until back in service (log scale)', (x0 + x1) / 2)}${rows.join('')}`,
  );
}

/** The first histogram bucket's midpoint rounds to 1 µs: values there took no measurable time. */
const NO_TIME_SECONDS = 2e-6;

/** Device reinitialisation time: one panel per device class, one CDF per strategy. */
function reinitChart(view: KindView): { svg: string; empty: string[] } {
  const key = legend(
    view.strategies.map((s) => ({ label: s.name, swatch: lineSwatch(s) })),
    8,
    4,
    WIDTH - 16,
  );
  const columns = Math.max(1, Math.min(3, view.deviceClasses.length));
  const panelWidth = WIDTH / columns;
  const panelHeight = 232;
  const top = 4 + key.height + 12;
  const empty: string[] = [];
  const panels = view.deviceClasses.map((deviceClass, k) => {
    const left = (k % columns) * panelWidth;
    const y = top + Math.floor(k / columns) * panelHeight;
    const [x0, x1] = [left + 46, left + panelWidth - 16];
    const [y0, y1] = [y + 28, y + panelHeight - 48];
    const series = view.strategies.map((s) => ({ s, t: s.reinit[deviceClass] }));
    const drawn = series.filter((e) => e.t && e.t.cdfSeconds.length > 0);
    // The axis spans the measurable times from the 1st percentile up: the very
    // smallest values and devices done in no time sit at its left edge.
    const xs = drawn.flatMap((e) =>
      e.t!.cdfSeconds.filter((v, i) => (view.levels[i] ?? 0) >= 0.01 && v > NO_TIME_SECONDS),
    );
    const highest = Math.max(0, ...drawn.flatMap((e) => e.t!.cdfSeconds));
    const axis = logTimeAxis(
      xs.length > 0 ? Math.min(...xs) : 0.001,
      Math.max(highest, xs.length > 0 ? Math.min(...xs) : 0.01),
      x0,
      x1,
    );
    const yAt = (q: number) => y1 - q * (y1 - y0);
    const yTicks = [0, 0.25, 0.5, 0.75, 1]
      .map(
        (q) =>
          `<line x1="${px(x0)}" x2="${px(x1)}" y1="${px(yAt(q))}" y2="${px(yAt(q))}" stroke="${GRID}"/><text x="${px(x0 - 6)}" y="${px(yAt(q))}" dy="0.35em" text-anchor="end" font-size="11" fill="${MUTED}">${q * 100}%</text>`,
      )
      .join('');
    const lines = series.map(({ s, t }) => {
      const data = `data-device-class="${esc(deviceClass)}" data-strategy="${esc(s.name)}" data-count="${t?.count ?? 0}"`;
      if (!t || t.cdfSeconds.length === 0) {
        empty.push(`${deviceClass} under ${s.name}`);
        return `<g class="series" ${data}><title>${esc(`no ${deviceClass} reinitialised under ${s.name}`)}</title></g>`;
      }
      const d = t.cdfSeconds
        .map((v, i) => `${i === 0 ? 'M' : 'L'}${px(axis.at(v))} ${px(yAt(view.levels[i] ?? 1))}`)
        .join('');
      const tooltip = `${deviceClass} under ${s.name}: p50 ${formatSeconds(t.p50Seconds)}, p95 ${formatSeconds(t.p95Seconds)}, p99 ${formatSeconds(t.p99Seconds)}, mean ${formatSeconds(t.meanSeconds)} (${count(t.count)} devices)`;
      // A wide transparent copy catches the pointer, so one line can be picked out of many.
      return `<g class="series" ${data}><title>${esc(tooltip)}</title><path class="cdf" d="${d}" fill="none" stroke="${s.colour}" stroke-width="1.75" stroke-linejoin="round"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/><path class="hit" d="${d}"/></g>`;
    });
    const heading = `<text x="${px(x0)}" y="${px(y + 14)}" font-size="13" font-weight="600" fill="${INK}">${esc(deviceClass)}</text>`;
    return `<g class="panel" data-device-class="${esc(deviceClass)}">${heading}${yTicks}${xAxis(axis, y0, y1, 'reinitialisation time (log)', (x0 + x1) / 2)}<line x1="${px(x0)}" x2="${px(x0)}" y1="${px(y0)}" y2="${px(y1)}" stroke="${AXIS}"/>${lines.join('')}</g>`;
  });
  const rows = Math.ceil(view.deviceClasses.length / columns);
  const title = `Device reinitialisation time per device class and strategy (${view.job} jobs): distribution functions`;
  const description = `One panel per device class; in each, one line per strategy giving the share of that class's devices whose reinitialisation (resets plus probe) took at most the time on the logarithmic horizontal axis. Point at a line to bring it forward and fade the others.`;
  return {
    svg: chartSvg(
      view.charts.reinit,
      view.kind,
      top + rows * panelHeight + 4,
      title,
      description,
      `${key.svg}${panels.join('')}`,
    ),
    empty,
  };
}

// ---------------------------------------------------------------------------
// Page

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function table(
  section: ReportSection,
  strategyColours: Map<string, string>,
  caption = section.title,
): string {
  const perStrategy = isPerStrategySection(section.kind);
  const head = `<thead><tr>${section.header.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead>`;
  const body = section.rows
    .map((row) => {
      const cells = row.map((cell, i) => {
        if (i === 0) {
          const colour = strategyColours.get(cell);
          const swatch =
            perStrategy && colour
              ? `<span class="swatch" style="background:${colour}"></span>`
              : '';
          return `<th scope="row">${swatch}${esc(cell)}</th>`;
        }
        return `<td>${esc(cell)}</td>`;
      });
      const key = perStrategy ? ` data-strategy="${esc(row[0]!)}"` : '';
      return `<tr${key}>${cells.join('')}</tr>`;
    })
    .join('');
  return `<div class="table-wrap"><table data-table="${section.kind}"><caption>${esc(caption)}</caption>${head}<tbody>${body}</tbody></table></div>`;
}

function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${caption}</figcaption></figure>`;
}

function kindSection(
  view: KindView,
  heading: string,
  sections: ReportSection[],
  colours: Map<string, string>,
  verdictData: Verdict,
): string {
  const forest = forestChart(view, verdictData);
  const find = (kind: ReportSection['kind']) => sections.find((s) => s.kind === kind);
  const main = find(view.kind);
  const reinitTable = find('crash-device-reinit');
  const verdict = find(view.kind === 'crash' ? 'crash-verdict' : 'reboot-verdict');
  const failures = find(view.kind === 'crash' ? 'crash-failures' : 'reboot-failures');
  const profiles = find(view.kind === 'crash' ? 'crash-profiles' : 'reboot-profiles');
  const perYear = view.kind === 'crash' ? find('crash-per-year') : undefined;
  const culprits = find(view.kind === 'crash' ? 'crash-culprits' : 'reboot-culprits');
  const reasons = reasonsChart(view);
  const reinit = reinitChart(view);
  const parts = [
    `<section id="${view.kind}" data-kind="${view.kind}">`,
    `<h2>${esc(heading)}</h2>`,
    verdict ? table(verdict, colours) : '',
    forest
      ? figure(
          forest,
          `Each strategy's ${esc(view.rateName)} minus the baseline's on the very same ${esc(view.job)} jobs: dot at the difference, whisker over its 95 % paired interval. A whisker across the dashed line: no difference shown.`,
        )
      : '',
    failures ? table(failures, colours) : '',
    perYear ? table(perYear, colours) : '',
    figure(
      rateChart(view),
      `Bars: the ${esc(view.rateName)} of each strategy; whiskers: its 95 % Wilson score interval. Every strategy met exactly the same ${esc(view.job)} jobs, so the paired differences below are tighter than these intervals suggest.`,
    ),
    main ? table(main, colours, `Strategy comparison (${view.job} jobs)`) : '',
    reasons
      ? figure(
          reasons,
          `Why ${esc(view.job)} jobs failed, as a share of each strategy's jobs, stacked by failure reason.`,
        )
      : `<p class="note" data-chart-absent="${view.charts.reasons}">No ${esc(view.job)} job failed under any strategy.</p>`,
    figure(
      downtimeChart(view),
      'Downtime, from the fault until the server is back in service, on a logarithmic scale: box p25–p75, line at the median, whiskers p1–p99, circle at the mean.',
    ),
    '<h3>Device reinitialisation</h3>',
    figure(
      reinit.svg,
      `Share of the devices of each class reinitialised (resets plus probe) within a time, per strategy, on a logarithmic time axis that starts at the 1st percentile: devices done faster (or in no measurable time) are counted at its left edge.${
        reinit.empty.length > 0
          ? ` No line where no device of the class was reinitialised under the strategy (its driver not loaded, or the kernel never got that far): ${esc(reinit.empty.join('; '))}.`
          : ''
      }`,
    ),
    culprits ? table(culprits, colours) : '',
    view.kind === 'crash' && reinitTable ? table(reinitTable, colours) : '',
    profiles ? `<h3>Per server profile</h3>${table(profiles, colours)}` : '',
    '</section>',
  ];
  return parts.join('\n');
}

/** Failure domains and shared dump targets: the tables and one chart per storm over time. */
function couplingSection(
  report: Report,
  sections: ReportSection[],
  colours: Map<string, string>,
): string {
  const strokes = new Map(report.experiment.strategies.map((s, i) => [s, strategyStyle(i)]));
  const coupling = sections.find((s) => s.kind === 'coupling');
  const storms = sections.find((s) => s.kind === 'storms');
  return [
    '<section id="coupling" data-kind="coupling">',
    '<h2>Failure domains and shared dump targets</h2>',
    coupling ? table(coupling, colours) : '',
    storms ? table(storms, colours) : '',
    ...report.coupling!.storms.map((t) =>
      figure(
        stormChart(t, strokes, WIDTH),
        `Crash storm ${esc(t.name)}: dumps waiting for a session at its dump servers, and dumps captured since it started, over simulated time, per strategy.`,
      ),
    ),
    '</section>',
  ].join('\n');
}

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: ${INK}; font: 14px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif; }
main { max-width: 1000px; margin: 0 auto; padding: 32px 24px 48px; }
h1 { font-size: 26px; line-height: 1.25; margin: 0 0 6px; }
h2 { font-size: 20px; margin: 40px 0 12px; padding-bottom: 6px; border-bottom: 1px solid #d1d9e0; }
h3 { font-size: 16px; margin: 28px 0 8px; }
.description { font-size: 16px; color: ${MUTED}; margin: 0 0 12px; }
.intro p { margin: 2px 0; }
figure { margin: 16px 0 28px; }
figcaption { color: ${MUTED}; font-size: 13px; margin-top: 6px; }
svg.chart { display: block; width: 100%; max-width: ${WIDTH}px; height: auto; }
/* Device CDFs: many close lines; pointing at one brings it forward and fades the rest. */
.panel:hover .series .cdf { stroke-opacity: 0.18; }
.panel .series:hover .cdf { stroke-opacity: 1; stroke-width: 3.5; }
.series .hit { stroke: transparent; stroke-width: 10; fill: none; pointer-events: stroke; }
.table-wrap { overflow-x: auto; margin: 8px 0 24px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 0 0 6px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e3e7eb; white-space: nowrap; }
thead th { background: #f6f8fa; border-bottom: 2px solid #d1d9e0; font-weight: 600; white-space: normal; vertical-align: bottom; }
tbody th { font-weight: 600; }
td:last-child { white-space: normal; min-width: 12em; }
tbody tr:nth-child(even) { background: #fafbfc; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 8px; }
.note { color: ${MUTED}; }
.assumptions li { margin: 4px 0; }
footer { color: ${MUTED}; font-size: 12px; margin-top: 40px; padding-top: 12px; border-top: 1px solid #d1d9e0; }
@media print { main { max-width: none; padding: 0; } figure, table { break-inside: avoid; } h2, h3 { break-after: avoid; } }
`;

/**
 * No network at view time, whatever a name in the report says: nothing but the
 * inline style may load, and no script may run.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/**
 * The report as a self-contained HTML page (UTF-8, ending in a newline): the
 * tables of the Markdown rendering and inline SVG charts, each an
 * `<svg data-chart="…">` with a title and description:
 *
 * - crashes: `capture-rate` (bar and 95 % Wilson whisker per strategy),
 *   `failure-reasons` (stacked share of jobs per strategy; absent when nothing
 *   failed), `downtime` (p1/p25/p50/p75/p99 and mean per strategy, log scale),
 *   `device-reinit-cdf` (one panel per device class, one CDF line per strategy,
 *   from each time summary's `cdfSeconds`);
 * - planned reboots: `in-service-rate`, `reboot-failure-reasons`,
 *   `reboot-downtime`, `reboot-device-reinit-cdf`, the same way;
 * - a roll-out (spec `rollout:`): `rollout-waves`, each strategy's waves over
 *   time and the same waves through firmware (rollout-html.ts).
 * - a spec with failure domains: `storm` (storm-chart.ts), one per crash storm.
 *
 * Every name from the spec is escaped. No script, no external resource; the
 * same report always gives the same bytes.
 */
export function renderReportHtml(report: Report): string {
  const { intro, verdict, sections, notes } = reportSections(report);
  const e = report.experiment;
  const colours = new Map(e.strategies.map((s, i) => [s, strategyStyle(i).colour]));
  const crash = crashView(report);
  const reboot = rebootView(report);
  const run = reportRunLine(report);
  const basis = sections.find((s) => s.kind === 'basis');
  const title = `kdump fleet simulation: ${e.name}`;
  const body = [
    '<main>',
    '<header>',
    `<h1>${esc(title)}</h1>`,
    e.description ? `<p class="description">${esc(e.description)}</p>` : '',
    `<div class="intro">${intro.map((line) => `<p>${esc(line)}</p>`).join('')}</div>`,
    `<div class="verdict" id="verdict"><h2>Verdict</h2>${verdict.map((line) => `<p>${esc(line)}</p>`).join('')}</div>`,
    '</header>',
    crash && report.crash
      ? kindSection(crash, 'Crashes down the kdump path', sections, colours, report.crash.verdict)
      : '',
    reboot && report.reboot
      ? kindSection(
          reboot,
          `Planned ${report.reboot.path} reboots`,
          sections,
          colours,
          report.reboot.verdict,
        )
      : '',
    report.rollout
      ? rolloutHtmlSection(report.rollout, sections, (s) => table(s, colours), colours)
      : '',
    report.coupling ? couplingSection(report, sections, colours) : '',
    basis
      ? `<section id="basis"><h2>What the failures rest on</h2><p class="note">Source: cited; assumption: no public figure; spec: set in the spec. Each figure with its full source: <code>fleetsim catalogue NAME</code> (README, "The built-in catalogue").</p>${table(basis, colours)}</section>`
      : '',
    '<section id="assumptions">',
    '<h2>Assumptions</h2>',
    `<ul class="assumptions">${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`,
    '</section>',
    `<footer>${run ? `<p>${esc(run)}</p>` : ''}<p>Times are simulated seconds. Quantiles come from log-scale histograms and are within 1.6 % of the exact value.</p></footer>`,
    '</main>',
  ].filter((part) => part !== '');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * The HTML report's chart of a crash storm over simulated time: two panels,
 * dumps waiting for a session at the storm's dump servers and dumps captured
 * since the storm started, one line per strategy, from the report's series.
 * Inline SVG, no script; a pure function of the report.
 */
import { escapeHtml as esc, px } from './html-text';
import type { CouplingReport } from './report-schema';

const INK = '#1f2328';
const MUTED = '#59636e';
const GRID = '#e3e7eb';
const AXIS = '#8c959f';

/** A strategy's line colour and dash, as the rest of the page draws it. */
export interface StrategyStroke {
  colour: string;
  dash: string;
}

/** Round steps for a count axis up to `max`. */
function countTicks(max: number): number[] {
  const top = Math.max(1, max);
  const raw = top / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = 0; v <= top + step * 0.999; v += step) {
    ticks.push(v);
  }
  return ticks;
}

/**
 * One storm's chart.
 * @param strokes by strategy name
 */
export function stormChart(
  storm: CouplingReport['storms'][number],
  strokes: Map<string, StrategyStroke>,
  width = 880,
): string {
  const bins = storm.strategies[0]?.waitingSeries.length ?? 0;
  const minutes = (k: number) => (k * storm.binSeconds) / 60;
  const spanMinutes = minutes(bins);
  const panelHeight = 170;
  const x0 = 70;
  const x1 = width - 20;
  const at = (m: number) => x0 + (m / spanMinutes) * (x1 - x0);
  const step = [5, 10, 15, 30, 60, 120, 240, 480, 1440].find((s) => spanMinutes / s <= 8) ?? 1440;
  const panels: string[] = [];
  const series = [
    { key: 'waitingSeries' as const, title: 'dumps waiting for a session', atStart: true },
    {
      key: 'capturedSeries' as const,
      title: 'dumps captured since the storm started',
      atStart: false,
    },
  ];
  series.forEach((p, i) => {
    const top = 40 + i * (panelHeight + 50);
    const bottom = top + panelHeight;
    const max = Math.max(0, ...storm.strategies.flatMap((s) => s[p.key]));
    const ticks = countTicks(max);
    const yTop = ticks[ticks.length - 1]!;
    const y = (v: number) => bottom - (v / yTop) * (bottom - top);
    const grid = ticks
      .map(
        (v) =>
          `<line x1="${px(x0)}" x2="${px(x1)}" y1="${px(y(v))}" y2="${px(y(v))}" stroke="${GRID}"/><text x="${px(x0 - 6)}" y="${px(y(v))}" dy="0.35em" text-anchor="end" font-size="11" fill="${MUTED}">${v.toLocaleString('en-US')}</text>`,
      )
      .join('');
    const xTicks: string[] = [];
    for (let m = 0; m <= spanMinutes + 1e-9; m += step) {
      xTicks.push(
        `<line x1="${px(at(m))}" x2="${px(at(m))}" y1="${px(top)}" y2="${px(bottom)}" stroke="${GRID}"/><text x="${px(at(m))}" y="${px(bottom + 15)}" text-anchor="middle" font-size="11" fill="${MUTED}">${m < 60 || m % 60 !== 0 ? `${m}m` : `${m / 60}h`}</text>`,
      );
    }
    const lines = storm.strategies.map((s) => {
      const stroke = strokes.get(s.strategy) ?? { colour: INK, dash: '' };
      // Waiting is sampled at each bin's start; captured counts to each bin's end.
      const points = s[p.key].map(
        (v, k) => `${px(at(minutes(p.atStart ? k : k + 1)))},${px(y(v))}`,
      );
      return `<g class="series" data-strategy="${esc(s.strategy)}" data-series="${p.key}"><title>${esc(`${s.strategy}: ${p.title}, peak ${Math.max(0, ...s[p.key]).toLocaleString('en-US')}`)}</title><polyline fill="none" stroke="${stroke.colour}" stroke-width="2"${stroke.dash ? ` stroke-dasharray="${stroke.dash}"` : ''} points="${p.atStart ? '' : `${px(at(0))},${px(y(0))} `}${points.join(' ')}"/></g>`;
    });
    panels.push(
      `<g class="panel" data-panel="${p.key}"><text x="${px(x0)}" y="${px(top - 10)}" font-size="13" font-weight="600" fill="${INK}">${esc(p.title)}</text>${grid}${xTicks.join('')}<line x1="${px(x0)}" x2="${px(x1)}" y1="${px(bottom)}" y2="${px(bottom)}" stroke="${AXIS}"/>${lines.join('')}</g>`,
    );
  });
  const legendY = 40 + 2 * (panelHeight + 50) - 10;
  const legend = storm.strategies
    .map((s, i) => {
      const stroke = strokes.get(s.strategy) ?? { colour: INK, dash: '' };
      const lx = x0 + i * 170;
      return `<g class="legend-item"><line x1="${px(lx)}" x2="${px(lx + 16)}" y1="${px(legendY)}" y2="${px(legendY)}" stroke="${stroke.colour}" stroke-width="2.5"${stroke.dash ? ` stroke-dasharray="${stroke.dash}"` : ''}/><text x="${px(lx + 22)}" y="${px(legendY)}" dy="0.35em" font-size="12" fill="${INK}">${esc(s.strategy)}</text></g>`;
    })
    .join('');
  const height = legendY + 20;
  const id = `chart-storm-${storm.name}`;
  const title = `Crash storm ${storm.name} over simulated time`;
  const description = `Minutes since the storm started ${storm.atHours !== undefined ? `at ${storm.atHours} h` : `(${storm.occurrences} occurrences at ${storm.ratePerYear}/domain-year, summed, each from its own start)`}: dumps waiting for a session at its dump servers (at the start of each ${storm.binSeconds} s step) and dumps captured since it started, one line per strategy.`;
  return `<svg class="chart" data-chart="storm" data-storm="${esc(storm.name)}" id="${esc(id)}" viewBox="0 0 ${width} ${px(height)}" width="${width}" height="${px(height)}" role="img" aria-labelledby="${esc(id)}-title ${esc(id)}-desc" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"><title id="${esc(id)}-title">${esc(title)}</title><desc id="${esc(id)}-desc">${esc(description)}</desc>${panels.join('')}${legend}</svg>`;
}

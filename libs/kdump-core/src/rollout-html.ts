/**
 * The roll-out's part of the HTML report: a chart of the waves over time, one
 * row per strategy and one for the same waves rebooted through firmware, then
 * the per-strategy and wave-by-wave tables. Inline SVG only; a pure function of
 * the report section.
 */
import { escapeHtml as esc, px } from './html-text';
import type { ReportSection } from './report-format';
import { formatClock } from './rollout-format';
import type { RolloutReport } from './rollout-report';

const WIDTH = 880;
const ROW = 30;
const INK = '#1f2328';
const MUTED = '#59636e';
const GRID = '#e3e7eb';
const HALT = '#d1242f';
const FIRMWARE = '#8c959f';

/** One drawn row: a name, its colour, and its waves' start, back and soak end (s). */
interface TimelineRow {
  name: string;
  colour: string;
  waves: { wave: number; start: number; back: number; soakEnd: number | null; label: string }[];
  halted: number | null;
}

/** Round tick steps for a linear time axis, seconds. */
const STEPS = [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

/** The waves of every strategy (and firmware) on one time axis: reboot phase solid, soak pale. */
export function rolloutTimelineChart(r: RolloutReport, colours: Map<string, string>): string {
  const firmwareRow = firmwareTimeline(r);
  const rows: TimelineRow[] = [
    ...r.strategies.map((s) => ({
      name: s.strategy,
      colour: colours.get(s.strategy) ?? INK,
      halted: s.haltedAtWave,
      waves: s.waves.map((w) => ({
        wave: w.wave,
        start: w.startSeconds,
        back: w.backSeconds,
        soakEnd: w.soakEndSeconds,
        label: `${s.strategy}, wave ${w.wave}: ${w.servers} servers, ${w.notBack} not back in service (${(w.notBackShare * 100).toFixed(2)}%), ${formatClock(w.startSeconds)} → back ${formatClock(w.backSeconds)}${w.wave === s.haltedAtWave ? ': the roll-out halts' : ''}`,
      })),
    })),
    firmwareRow,
  ];
  const end = Math.max(1, ...rows.flatMap((row) => row.waves.map((w) => w.soakEnd ?? w.back)));
  const x0 = Math.min(220, Math.max(110, ...rows.map((row) => row.name.length * 7.2 + 18)));
  const x1 = WIDTH - 90;
  const step = STEPS.find((s) => end / s <= 10) ?? STEPS[STEPS.length - 1]!;
  const at = (t: number) => x0 + (Math.min(t, end) / end) * (x1 - x0);
  const top = 8;
  const bottom = top + rows.length * ROW;
  const ticks: string[] = [];
  for (let t = 0; t <= end + 1e-9; t += step) {
    const x = px(at(t));
    ticks.push(
      `<line x1="${x}" x2="${x}" y1="${px(top)}" y2="${px(bottom)}" stroke="${GRID}"/><text x="${x}" y="${px(bottom + 15)}" text-anchor="middle" font-size="11" fill="${MUTED}">${esc(formatClock(t))}</text>`,
    );
  }
  const marks = rows.map((row, i) => {
    const cy = top + i * ROW + ROW / 2;
    const bars = row.waves.map((w) => {
      const reboot = `<rect class="reboot" x="${px(at(w.start))}" y="${px(cy - 9)}" width="${px(Math.max(1, at(w.back) - at(w.start)))}" height="18" fill="${row.colour}"/>`;
      const soak =
        w.soakEnd === null
          ? ''
          : `<rect class="soak" x="${px(at(w.back))}" y="${px(cy - 5)}" width="${px(Math.max(0, at(w.soakEnd) - at(w.back)))}" height="10" fill="${row.colour}" fill-opacity="0.3"/>`;
      const halt =
        w.wave === row.halted
          ? `<path class="halt" d="M${px(at(w.back))} ${px(cy - 12)}V${px(cy + 12)}" stroke="${HALT}" stroke-width="3"/><text x="${px(at(w.back) + 6)}" y="${px(cy)}" dy="0.35em" font-size="11" font-weight="600" fill="${HALT}">halt</text>`
          : '';
      return `<g class="wave" data-wave="${w.wave}" data-start="${w.start}" data-back="${w.back}"><title>${esc(w.label)}</title>${reboot}${soak}${halt}</g>`;
    });
    const last = row.waves[row.waves.length - 1];
    const total = last ? (row.halted !== null ? last.back : (last.soakEnd ?? last.back)) : 0;
    const name = `<text x="${px(x0 - 8)}" y="${px(cy)}" dy="0.35em" text-anchor="end" font-size="12" fill="${INK}">${esc(row.name)}</text>`;
    const sum = `<text x="${px(x1 + 8)}" y="${px(cy)}" dy="0.35em" font-size="12" fill="${INK}">${esc(formatClock(total))}</text>`;
    return `<g class="mark" data-strategy="${esc(row.name)}" data-waves="${row.waves.length}"${row.halted !== null ? ` data-halted="${row.halted}"` : ''}>${name}${bars.join('')}${sum}</g>`;
  });
  const height = bottom + 40;
  const title = 'Roll-out waves over time, per strategy and through firmware';
  const description = `For each strategy, its waves on a common clock: a solid bar from a wave's start until its last server is back in service, a pale bar over its soak, a red line where the roll-out halts; the last row reboots the same waves through firmware. The time at the right of each row is when that roll-out ended or halted.`;
  return `<svg class="chart" data-chart="rollout-waves" data-kind="rollout" id="chart-rollout-waves" viewBox="0 0 ${WIDTH} ${px(height)}" width="${WIDTH}" height="${px(height)}" role="img" aria-labelledby="chart-rollout-waves-title chart-rollout-waves-desc" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"><title id="chart-rollout-waves-title">${esc(title)}</title><desc id="chart-rollout-waves-desc">${esc(description)}</desc><g class="axis x-axis">${ticks.join('')}<text x="${px((x0 + x1) / 2)}" y="${px(bottom + 32)}" text-anchor="middle" font-size="12" fill="${INK}">time since the roll-out began</text></g>${marks.join('')}</svg>`;
}

/** The same waves through firmware, on the same clock rule; it never halts. */
function firmwareTimeline(r: RolloutReport): TimelineRow {
  const waves: TimelineRow['waves'] = [];
  let t = 0;
  for (let w = 0; w < r.waves; w++) {
    const back = t + r.firmwareLongestSeconds[w]!;
    const soakEnd = back + r.soakSeconds;
    waves.push({
      wave: w,
      start: t,
      back,
      soakEnd,
      label: `firmware, wave ${w}: ${r.waveServers[w]} servers, ${formatClock(t)} → back ${formatClock(back)}`,
    });
    t = Math.max(t + r.intervalSeconds, soakEnd);
  }
  return { name: 'firmware reboots', colour: FIRMWARE, waves, halted: null };
}

/** The roll-out's `<section>`: the chart and its tables (drawn by `table`). */
export function rolloutHtmlSection(
  r: RolloutReport,
  sections: readonly ReportSection[],
  table: (section: ReportSection) => string,
  colours: Map<string, string>,
): string {
  const summary = sections.find((s) => s.kind === 'rollout');
  const waves = sections.find((s) => s.kind === 'rollout-waves');
  return [
    '<section id="rollout" data-kind="rollout">',
    `<h2>${esc(`Roll-out in waves (${r.path})`)}</h2>`,
    summary ? table(summary) : '',
    `<figure>${rolloutTimelineChart(r, colours)}<figcaption>Each wave from its start until every server is back (solid; a server whose kernel died counts until it is back through firmware), then its soak (pale). The next wave starts after the interval or the soak, whichever ends later; a red line marks the wave whose share of servers not back in service passed the limit. The grey row reboots the same waves through firmware.</figcaption></figure>`,
    waves ? table(waves) : '',
    '</section>',
  ]
    .filter((p) => p !== '')
    .join('\n');
}

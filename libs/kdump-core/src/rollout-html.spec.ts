import { describe, expect, it } from 'vitest';
import { reportSections } from './report-format';
import { rolloutHtmlSection, rolloutTimelineChart } from './rollout-html';
import { rolloutReport } from './rollout-report';
import { emptyTally, rolloutPlan, strategySlot, WaveSlot, waveStride } from './rollout-waves';
import type { Report } from './report-schema';

/** Two strategies, three waves of 4: `bad<"x">` halts at wave 1, flr completes. */
function rollout() {
  const t = emptyTally(3, 2);
  [
    [4, 100, 0, 40, 0, 41],
    [4, 100, 3, 200, 0, 41],
    [4, 100, 0, 40, 0, 41],
  ].forEach(([n, fw, a, la, b, lb], w) => {
    t.slots[w * waveStride(2) + WaveSlot.Servers] = n!;
    t.slots[w * waveStride(2) + WaveSlot.FirmwareLongestUs] = fw! * 1e6;
    t.slots[strategySlot(t, w, 0)] = a!;
    t.slots[strategySlot(t, w, 0) + 1] = la! * 1e6;
    t.slots[strategySlot(t, w, 1)] = b!;
    t.slots[strategySlot(t, w, 1) + 1] = lb! * 1e6;
  });
  const plan = rolloutPlan(
    { waveSize: 4, intervalMinutes: 10, soakMinutes: 5, haltWhenNotBackShareAbove: 0.5 },
    12,
    2,
  );
  return rolloutReport(plan, t, ['bad<"x">', 'flr'], 'kexec');
}

const colours = new Map([
  ['bad<"x">', '#4e79a7'],
  ['flr', '#f28e2b'],
]);

describe('the roll-out chart', () => {
  const svg = rolloutTimelineChart(rollout(), colours);

  it('draws each strategy the waves it ran, the halt, and the firmware row', () => {
    const rows = [
      ...svg.matchAll(
        /<g class="mark" data-strategy="([^"]*)" data-waves="(\d+)"( data-halted="(\d+)")?>/g,
      ),
    ].map((m) => [m[1], Number(m[2]), m[4] ?? null]);
    expect(rows).toEqual([
      ['bad&lt;&quot;x&quot;&gt;', 2, '1'],
      ['flr', 3, null],
      ['firmware reboots', 3, null],
    ]);
    expect(svg.match(/class="halt"/g)).toHaveLength(1);
    // flr: waves start at 0, 600 and 1200 s (the interval is later than 41 s + 300 s of soak).
    expect(
      [...svg.matchAll(/data-wave="\d" data-start="([\d.]+)" data-back="([\d.]+)"/g)].map((m) => [
        Number(m[1]),
        Number(m[2]),
      ]),
    ).toEqual([
      [0, 40],
      [600, 800],
      [0, 41],
      [600, 641],
      [1200, 1241],
      [0, 100],
      [600, 700],
      [1200, 1300],
    ]);
    expect(svg).toMatch(/^<svg class="chart" data-chart="rollout-waves"[^>]*role="img"/);
    expect(svg).not.toContain('bad<"x">');
  });

  it('sits in its own section of the page, with both tables, the same bytes each time', () => {
    const r = rollout();
    const sections = reportSections({
      experiment: { name: 'x', servers: 12, fleet: [], seed: 1, strategies: [], deviceClasses: [] },
      crash: null,
      reboot: null,
      basis: [],
      assumptions: [],
      rollout: r,
    } as unknown as Report).sections;
    const html = rolloutHtmlSection(
      r,
      sections,
      (s) => `<table data-table="${s.kind}"></table>`,
      colours,
    );
    expect(html).toMatch(/^<section id="rollout" data-kind="rollout">/);
    expect(html.match(/data-table="([a-z-]+)"/g)).toEqual([
      'data-table="rollout"',
      'data-table="rollout-waves"',
    ]);
    expect(rolloutHtmlSection(r, sections, () => '', colours)).toBe(
      rolloutHtmlSection(r, sections, () => '', colours),
    );
  });
});

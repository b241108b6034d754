import { describe, expect, it } from 'vitest';
import type { CouplingReport } from './report-schema';
import { stormChart } from './storm-chart';

const storm: CouplingReport['storms'][number] = {
  name: 'bad<kernel>',
  atHours: 48,
  windowMinutes: 15,
  share: 0.3,
  domains: ['east'],
  binSeconds: 60,
  strategies: [
    {
      strategy: 'rhel-default',
      crashes: 10,
      dumps: 9,
      captured: 6,
      lostToContention: 3,
      lastCaptureSeconds: 240,
      waitingSeries: [0, 4, 3, 1],
      capturedSeries: [1, 2, 4, 6],
    },
    {
      strategy: 'fallback',
      crashes: 10,
      dumps: 10,
      captured: 7,
      lostToContention: 3,
      lastCaptureSeconds: 230,
      waitingSeries: [0, 5, 2, 0],
      capturedSeries: [1, 3, 5, 7],
    },
  ],
};

describe('stormChart', () => {
  const strokes = new Map([
    ['rhel-default', { colour: '#0969da', dash: '' }],
    ['fallback', { colour: '#bc4c00', dash: '4 3' }],
  ]);
  const svg = stormChart(storm, strokes, 880);

  it('draws a waiting and a captured panel with one line per strategy, from the series', () => {
    expect(svg.match(/<g class="panel"/g)).toHaveLength(2);
    expect(svg.match(/<polyline /g)).toHaveLength(4);
    expect(svg).toContain('data-series="waitingSeries"');
    expect(svg).toContain('rhel-default: dumps waiting for a session, peak 4');
    expect(svg).toContain('fallback: dumps captured since the storm started, peak 7');
    expect(svg).toContain('stroke-dasharray="4 3"');
    // Waiting is sampled at bin starts: 4 points from x = 70; captured starts at 0 and ends each bin.
    const waiting =
      /data-strategy="rhel-default" data-series="waitingSeries">.*?points="([^"]+)"/.exec(svg)![1]!;
    expect(waiting.split(' ')).toHaveLength(4);
    expect(waiting.startsWith('70,')).toBe(true);
    const captured =
      /data-strategy="rhel-default" data-series="capturedSeries">.*?points="([^"]+)"/.exec(
        svg,
      )![1]!;
    expect(captured.split(' ')).toHaveLength(5);
  });

  it('escapes names and is a pure function of its input', () => {
    expect(svg).toContain('bad&lt;kernel&gt;');
    expect(svg).not.toContain('bad<kernel>');
    expect(stormChart(storm, strokes, 880)).toBe(svg);
  });
});

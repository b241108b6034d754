import { describe, expect, it } from 'vitest';
import { runExperiment } from './experiment';
import { renderReportHtml } from './report-html';
import type { Report, RunInfo } from './report-schema';
import { parseSpecOrThrow } from './spec';

const SPEC = `name: html-check
description: a small fleet for the HTML report
seed: 5
fleet:
  - profile: compute-2s
    count: 120
  - profile: storage-2s
    count: 60
  - profile: gpu-node
    count: 40
events:
  crash: { perServer: 1, causes: { panic: 1, hard-lockup: 1, machine-check: 1 } }
  reboot: { perServer: 1, path: kexec }
strategies: [none, whitelist, device-reset, fallback]
`;

const { report } = runExperiment(parseSpecOrThrow(SPEC));
const html = renderReportHtml(report);
const crash = report.crash!;
const reboot = report.reboot!;

/**
 * The first element `<tag …attr="value"…>…</tag>` of `text`, with whatever it
 * nests (also elements of the same tag).
 */
function element(text: string, tag: string, attr: string, value: string): string {
  const open = `<${tag} `;
  for (let at = text.indexOf(open); at !== -1; at = text.indexOf(open, at + 1)) {
    const end = text.indexOf('>', at);
    if (!text.slice(at, end).includes(`${attr}="${value}"`)) {
      continue;
    }
    const tags = new RegExp(`<${tag}[ >]|</${tag}>`, 'g');
    tags.lastIndex = end;
    for (let depth = 1, m = tags.exec(text); m; m = tags.exec(text)) {
      depth += m[0].startsWith('</') ? -1 : 1;
      if (depth === 0) {
        return text.slice(at, m.index + m[0].length);
      }
    }
  }
  throw new Error(`no <${tag} ${attr}="${value}">`);
}

/** The chart `<svg data-chart="name">…</svg>`. */
const chart = (name: string, page = html) => element(page, 'svg', 'data-chart', name);

/** Every `<g class="…" …>…</g>` of a class whose content has no nested <g>. */
function groups(svg: string, cls: string): { attrs: Record<string, string>; body: string }[] {
  const out: { attrs: Record<string, string>; body: string }[] = [];
  const re = new RegExp(`<g class="${cls}"([^>]*)>(.*?)</g>`, 'g');
  for (const m of svg.matchAll(re)) {
    const attrs: Record<string, string> = {};
    for (const a of m[1]!.matchAll(/([\w-]+)="([^"]*)"/g)) {
      attrs[a[1]!] = a[2]!;
    }
    out.push({ attrs, body: m[2]! });
  }
  return out;
}

/** Numeric attribute of the first element matching `selector` text inside `svg`. */
function num(text: string, re: RegExp): number {
  const m = text.match(re);
  if (!m) {
    throw new Error(`no match for ${re} in ${text.slice(0, 200)}`);
  }
  return Number(m[1]);
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

describe('renderReportHtml: the page', () => {
  it('is one HTML document with the experiment as its title and a strict CSP', () => {
    expect(
      html.startsWith('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'),
    ).toBe(true);
    expect(html.endsWith('</body>\n</html>\n')).toBe(true);
    expect(html).toContain('<title>kdump fleet simulation: html-check</title>');
    expect(html).toContain('<h1>kdump fleet simulation: html-check</h1>');
    expect(html).toContain('<p class="description">a small fleet for the HTML report</p>');
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">`,
    );
    expect(html).toContain(
      '<p>Experiment html-check: 220 servers (120 × compute-2s, 60 × storage-2s, 40 × gpu-node), seed 5</p>',
    );
  });

  it('loads nothing from anywhere: no URL, link, script, external image or font', () => {
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<script\b/i);
    expect(html).not.toMatch(/<img\b/i);
    expect(html).not.toMatch(/<iframe\b|<object\b|<embed\b/i);
    expect(html).not.toMatch(/\s(src|href|xlink:href)=/i);
    expect(html).not.toMatch(/url\(|@import|@font-face/i);
  });

  it('is deterministic: the same report, also through JSON, gives the same bytes', () => {
    expect(renderReportHtml(report)).toBe(html);
    expect(renderReportHtml(JSON.parse(JSON.stringify(report)) as Report)).toBe(html);
    // Another cut of the fleet into shards: the same report, the same page.
    expect(renderReportHtml(runExperiment(parseSpecOrThrow(SPEC), { shardSize: 7 }).report)).toBe(
      html,
    );
  });

  it('has every chart of both job kinds, each with a title and a description', () => {
    const names = [...html.matchAll(/<svg class="chart" data-chart="([^"]+)"/g)].map((m) => m[1]);
    expect(names).toEqual([
      'capture-forest',
      'capture-rate',
      'failure-reasons',
      'downtime',
      'device-reinit-cdf',
      'in-service-forest',
      'in-service-rate',
      'reboot-failure-reasons',
      'reboot-downtime',
      'reboot-device-reinit-cdf',
    ]);
    for (const name of names) {
      const svg = chart(name!);
      expect(svg).toMatch(
        new RegExp(
          `^<svg [^>]*id="chart-${name}"[^>]*role="img" aria-labelledby="chart-${name}-title chart-${name}-desc"`,
        ),
      );
      expect(svg).toMatch(new RegExp(`<title id="chart-${name}-title">[^<]{10,}</title>`));
      expect(svg).toMatch(new RegExp(`<desc id="chart-${name}-desc">[^<]{10,}</desc>`));
      expect(svg).toMatch(/viewBox="0 0 880 \d+(\.\d)?"/);
      // Axes carry tick labels; legends name what is drawn.
      expect(svg).toMatch(/<g class="axis x-axis">.*<text [^>]*>[^<]+<\/text>/);
      expect(svg).toContain('<g class="legend">');
    }
  });

  it('shows the assumptions; the run line only when the report has one', () => {
    for (const a of report.assumptions) {
      expect(html).toContain(`<li>${a}</li>`);
    }
    expect(html).not.toContain('Run: ');
    const run: RunInfo = {
      wallSeconds: 1.25,
      threads: 2,
      shards: 3,
      shardSize: 100,
      host: 'build-7',
      mode: 'embedded',
      fleetsimVersion: '0.1.0',
    };
    expect(renderReportHtml({ ...report, run })).toContain(
      '<footer><p>Run: embedded, 3 shards of up to 100 servers on 2 threads, 1.25 s wall (fleetsim 0.1.0 on build-7).</p>',
    );
  });
});

describe('renderReportHtml: the comparison tables', () => {
  it('has a row per strategy with its captured count, rate and Wilson interval', () => {
    const table = element(html, 'table', 'data-table', 'crash');
    expect(table).toContain('<caption>Strategy comparison (crash jobs)</caption>');
    const rows = [...table.matchAll(/<tr data-strategy="([^"]+)">(.*?)<\/tr>/g)];
    expect(rows.map((r) => r[1])).toEqual(crash.strategies.map((s) => s.strategy));
    crash.strategies.forEach((s, i) => {
      const cells = [
        ...rows[i]![2]!.matchAll(/<t[hd][^>]*>(?:<span[^>]*><\/span>)?(.*?)<\/t[hd]>/g),
      ].map((m) => m[1]);
      const r = s.captureRate;
      expect(cells.slice(0, 3)).toEqual([
        s.strategy,
        `${s.captured}/${s.jobs}`,
        `${pct(r.value!)} [${pct(r.lower!)}, ${pct(r.upper!)}]`,
      ]);
    });
  });

  it('has the reboot comparison, the reinitialisation quantiles, both verdicts and the profiles', () => {
    const rebootTable = element(html, 'table', 'data-table', 'reboot');
    for (const s of reboot.strategies) {
      expect(rebootTable).toContain(`<tr data-strategy="${s.strategy}">`);
      expect(rebootTable).toContain(`<td>${s.inService}/${s.jobs}</td>`);
    }
    const reinit = element(html, 'table', 'data-table', 'crash-device-reinit');
    for (const c of report.experiment.deviceClasses) {
      expect(reinit).toContain(`<th scope="col">${c}</th>`);
    }
    for (const kind of ['crash', 'reboot'] as const) {
      const verdict = element(html, 'table', 'data-table', `${kind}-verdict`);
      const order = [...verdict.matchAll(/<tr data-strategy="([^"]+)">/g)].map((m) => m[1]);
      expect(order).toEqual(report[kind]!.verdict.ranking.map((e) => e.strategy));
    }
    expect(html).toContain(
      '<div class="verdict" id="verdict"><h2>Verdict</h2><p>Verdict (crashes): ',
    );
  });
});

describe('renderReportHtml: the charts', () => {
  it('forest plot: every strategy but the baseline, best first, at its paired difference', () => {
    const marks = groups(chart('capture-forest'), 'mark');
    const rows = crash.verdict.ranking.filter((e) => !e.baseline);
    expect(marks.map((m) => m.attrs['data-strategy'])).toEqual(rows.map((e) => e.strategy));
    marks.forEach((m, i) => {
      const d = rows[i]!.vsBaseline.rate;
      expect(Number(m.attrs['data-difference'])).toBe(d.difference);
      expect(Number(m.attrs['data-lower'])).toBe(d.lower);
      expect(Number(m.attrs['data-upper'])).toBe(d.upper);
    });
  });

  it('capture rate: a bar to the rate and a whisker over the interval, per strategy', () => {
    const marks = groups(chart('capture-rate'), 'mark');
    expect(marks.map((m) => m.attrs['data-strategy'])).toEqual(
      crash.strategies.map((s) => s.strategy),
    );
    const pxPerUnit: number[] = [];
    marks.forEach((m, i) => {
      const r = crash.strategies[i]!.captureRate;
      expect(m.attrs).toMatchObject({
        'data-value': String(r.value),
        'data-lower': String(r.lower),
        'data-upper': String(r.upper),
      });
      const x = num(m.body, /<rect class="bar" x="([\d.]+)"/);
      const width = num(m.body, /<rect class="bar" [^>]*\swidth="([\d.]+)"/);
      const [lower, upper] = [
        ...m.body.matchAll(/<path class="whisker" d="M([\d.]+) [^H]*H([\d.]+)/g),
      ][0]!
        .slice(1)
        .map(Number);
      pxPerUnit.push(width / r.value!);
      // The whisker spans the interval on the same scale as the bar.
      expect(lower! - x).toBeCloseTo((width / r.value!) * r.lower!, 0);
      expect(upper! - x).toBeCloseTo((width / r.value!) * r.upper!, 0);
      expect(lower!).toBeLessThan(x + width);
      expect(upper!).toBeGreaterThan(x + width);
      expect(m.body).toContain(`>${pct(r.value!)} [${pct(r.lower!)}, ${pct(r.upper!)}]</text>`);
    });
    for (const p of pxPerUnit) {
      expect(p).toBeCloseTo(pxPerUnit[0]!, 0);
    }
  });

  it('failure reasons: one segment per reason a strategy met, with its count', () => {
    const marks = groups(chart('failure-reasons'), 'mark');
    expect(marks).toHaveLength(crash.strategies.length);
    marks.forEach((m, i) => {
      const s = crash.strategies[i]!;
      const segments = [...m.body.matchAll(/data-reason="([^"]+)" data-count="(\d+)"/g)].map(
        (x) => [x[1], Number(x[2])],
      );
      expect(Object.fromEntries(segments)).toEqual(s.failureReasons);
      expect(m.attrs['data-failed']).toBe(String(s.jobs - s.captured));
      expect(m.body).toContain(`>${pct((s.jobs - s.captured) / s.jobs)} failed</text>`);
    });
    // The legend names each reason that occurs, and no other.
    const seen = new Set(crash.strategies.flatMap((s) => Object.keys(s.failureReasons)));
    const legend = element(chart('failure-reasons'), 'g', 'class', 'legend');
    expect([...legend.matchAll(/<text [^>]*>([^<]+)<\/text>/g)].map((m) => m[1]).sort()).toEqual(
      [...seen].sort(),
    );
  });

  it('downtime: a box, a median, whiskers and a mean per strategy, ordered on the axis', () => {
    const marks = groups(chart('downtime'), 'mark');
    expect(marks.map((m) => m.attrs['data-strategy'])).toEqual(
      crash.strategies.map((s) => s.strategy),
    );
    for (const m of marks) {
      const boxX = num(m.body, /<rect class="box" x="([\d.]+)"/);
      const boxW = num(m.body, /<rect class="box" [^>]*\swidth="([\d.]+)"/);
      const median = num(m.body, /<line class="median" x1="([\d.]+)"/);
      const [p1, p99] = [
        ...m.body.matchAll(/<path class="whisker" d="M([\d.]+) [^H]*H([\d.]+)/g),
      ][0]!
        .slice(1)
        .map(Number);
      expect(p1!).toBeLessThanOrEqual(boxX);
      expect(boxX).toBeLessThanOrEqual(median);
      expect(median).toBeLessThanOrEqual(boxX + boxW);
      expect(boxX + boxW).toBeLessThanOrEqual(p99! + 0.1);
      expect(m.body).toContain('<circle class="mean"');
    }
  });

  it('device reinitialisation: a CDF per device class × strategy, rising left to right', () => {
    const svg = chart('device-reinit-cdf');
    const series = groups(svg, 'series');
    const classes = report.experiment.deviceClasses;
    expect(
      series.map((g) => `${g.attrs['data-device-class']}|${g.attrs['data-strategy']}`),
    ).toEqual(classes.flatMap((c) => crash.strategies.map((s) => `${c}|${s.strategy}`)));
    let drawn = 0;
    for (const g of series) {
      const t = crash.strategies.find((s) => s.strategy === g.attrs['data-strategy'])!
        .deviceReinitSeconds[g.attrs['data-device-class']!]!;
      expect(g.attrs['data-count']).toBe(String(t.count));
      const d = g.body.match(/<path class="cdf" d="([^"]+)"/)?.[1];
      if (t.count === 0) {
        expect(d).toBeUndefined();
        expect(g.body).toMatch(/<title>no [\w-]+ reinitialised under [\w-]+<\/title>/);
        continue;
      }
      drawn++;
      const points = [...d!.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => [+m[1]!, +m[2]!]);
      expect(points).toHaveLength(report.cdfLevels.length);
      for (let i = 1; i < points.length; i++) {
        expect(points[i]![0]).toBeGreaterThanOrEqual(points[i - 1]![0]!);
        expect(points[i]![1]).toBeLessThanOrEqual(points[i - 1]![1]!);
      }
    }
    expect(drawn).toBeGreaterThan(classes.length);
    // One panel per class, and a legend entry per strategy.
    expect(
      [...svg.matchAll(/<g class="panel" data-device-class="([^"]+)"/g)].map((m) => m[1]),
    ).toEqual([...classes]);
    const legend = element(svg, 'g', 'class', 'legend');
    expect([...legend.matchAll(/<text [^>]*>([^<]+)<\/text>/g)].map((m) => m[1])).toEqual(
      crash.strategies.map((s) => s.strategy),
    );
  });

  it('lists the device classes a strategy never reinitialised under the CDF', () => {
    // whitelist loads only the dump target's driver: no NIC, GPU or xhci comes up.
    const empty = crash.strategies
      .flatMap((s) =>
        Object.entries(s.deviceReinitSeconds)
          .filter(([, t]) => t.count === 0)
          .map(([c]) => `${c} under ${s.strategy}`),
      )
      .sort((a, b) => a.localeCompare(b));
    expect(empty).toContain('gpu under whitelist');
    const caption = html.match(
      /reinitialised under the strategy[^:]*: ([^<]+)\.<\/figcaption>/,
    )![1]!;
    expect(caption.split('; ').sort((a, b) => a.localeCompare(b))).toEqual(empty);
  });

  it('reboot charts carry the in-service rate and count of each strategy', () => {
    const marks = groups(chart('in-service-rate'), 'mark');
    marks.forEach((m, i) => {
      const s = reboot.strategies[i]!;
      expect(m.attrs['data-strategy']).toBe(s.strategy);
      expect(m.attrs['data-value']).toBe(String(s.inServiceRate.value));
      expect(m.body).toContain(`(${s.inService.toLocaleString('en-US')} of ${s.jobs}`);
    });
    expect(groups(chart('reboot-device-reinit-cdf'), 'series')).toHaveLength(
      report.experiment.deviceClasses.length * reboot.strategies.length,
    );
  });
});

describe('renderReportHtml: other reports', () => {
  it('escapes every name and text from the spec', () => {
    const evil = '<script>alert(1)</script>';
    const rename = (name: string) => (name === 'whitelist' ? evil : name);
    const tampered: Report = JSON.parse(JSON.stringify(report)) as Report;
    tampered.experiment.name = 'a&b "quoted"';
    tampered.experiment.description = `"><img src=x onerror=alert(2)>`;
    tampered.experiment.strategies = tampered.experiment.strategies.map(rename);
    for (const section of [tampered.crash!, tampered.reboot!]) {
      section.strategies.forEach((s) => (s.strategy = rename(s.strategy)));
      section.pairs.forEach((p) => {
        p.a = rename(p.a);
        p.b = rename(p.b);
      });
    }
    const page = renderReportHtml(tampered);
    expect(page).not.toMatch(/<script\b/i);
    expect(page).not.toMatch(/<img\b/i);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('<tr data-strategy="&lt;script&gt;alert(1)&lt;/script&gt;">');
    expect(page).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(page).toContain('<title>kdump fleet simulation: a&amp;b &quot;quoted&quot;</title>');
    // Still every chart, the evil strategy among the marks.
    expect(groups(chart('capture-rate', page), 'mark')[1]!.attrs['data-strategy']).toBe(
      '&lt;script&gt;alert(1)&lt;/script&gt;',
    );
  });

  it('a firmware reboot without failures has no reasons chart, and says why', () => {
    const text = `name: firmware-only
seed: 3
fleet:
  - profile: compute-2s
    count: 30
events:
  reboot: { perServer: 1, path: firmware }
strategies: [none, fallback]
`;
    const page = renderReportHtml(runExperiment(parseSpecOrThrow(text)).report);
    expect(page).not.toContain('data-chart="capture-rate"');
    expect(page).toContain('data-chart="in-service-rate"');
    expect(page).not.toContain('data-chart="reboot-failure-reasons"');
    expect(page).toContain(
      '<p class="note" data-chart-absent="reboot-failure-reasons">No firmware reboot job failed under any strategy.</p>',
    );
    expect(page).toContain('<h2>Planned firmware reboots</h2>');
  });

  it('gives strategies beyond the tenth a dashed line of their own', () => {
    const text = `name: many
seed: 1
fleet:
  - profile: gpu-node
    count: 5
events:
  crash: { perServer: 1, causes: { panic: 1 } }
strategies:
  - none
  - blacklist
  - whitelist
  - reset_devices
  - device-reset
  - bus-reset
  - driver-hardening
  - config-restore
  - fallback
  - { name: flr-only, resets: [flr] }
  - { name: pm-only, resets: [pm] }
`;
    const page = renderReportHtml(runExperiment(parseSpecOrThrow(text)).report);
    const legend = element(chart('device-reinit-cdf', page), 'g', 'class', 'legend');
    const swatches = [
      ...legend.matchAll(
        /<line [^>]*stroke="(#[0-9a-f]{6})"[^>]*?(?: stroke-dasharray="([^"]+)")?\/>/g,
      ),
    ];
    expect(swatches).toHaveLength(11);
    expect(swatches[0]![1]).toBe(swatches[10]![1]);
    expect(swatches[0]![2]).toBeUndefined();
    expect(swatches[10]![2]).toBe('6 3');
  });
});

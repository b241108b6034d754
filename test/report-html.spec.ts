/**
 * The HTML report the way a user gets it: the built CLI runs
 * examples/quickstart.yaml with `--out report.html` (`npm test` builds it first),
 * and headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
 * opens the file. Checks that it loads nothing from the network, logs no error,
 * and that every chart renders with the marks the report calls for and the
 * comparison table holds the report's numbers.
 *
 * Without Chromium the browser checks skip, saying so. Set
 * REPORT_HTML_SCREENSHOT=file.png to keep a full-page screenshot.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetsim as runFleetsim, type CliResult } from './support/api';
import { CLI_MAIN, ROOT } from './support/apps';
import {
  parseSpecOrThrow,
  renderReportHtml,
  runExperiment,
  type Report,
} from '../libs/kdump-core/src';

const MAIN = CLI_MAIN;
/** Debian's Chromium; CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `test/report-html.spec.ts: the HTML report's browser checks are skipped: ${CHROMIUM} is missing (apt-get install chromium)`,
  );
}

const fleetsim = (...args: string[]): Promise<CliResult> => runFleetsim(args);

const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);

/** The quickstart's report as the core computes it: every number but `run`. */
const report: Report = runExperiment(
  parseSpecOrThrow(readFileSync(join(ROOT, 'examples/quickstart.yaml'), 'utf8')),
).report;
const crash = report.crash!;
const S = crash.strategies.length;
const classes = report.experiment.deviceClasses;

let tmp: string;
let file: string;

beforeAll(async () => {
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: run \`npm run build\` first (\`npm test\` does it)`);
  }
  tmp = mkdtempSync(join(tmpdir(), 'fleetsim-html-'));
  file = join(tmp, 'report.html');
  const run = await fleetsim('run', 'examples/quickstart.yaml', '--out', file, '--threads', '2');
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
});

afterAll(() => {
  if (tmp) {
    rmSync(tmp, { recursive: true, force: true });
  }
});

describe('fleetsim run examples/quickstart.yaml --out report.html', () => {
  it('writes the core rendering of the report it ran (only the run line differs)', () => {
    const html = readFileSync(file, 'utf8');
    const withoutFooter = (text: string) => text.replace(/<footer>.*<\/footer>/, '');
    expect(withoutFooter(html)).toBe(withoutFooter(renderReportHtml(report)));
    expect(html).toMatch(/<footer><p>Run: embedded, \d+ shards of up to \d+ servers on 2 threads/);
  });
});

describe.skipIf(!hasChromium)('the HTML report of quickstart in headless Chromium', () => {
  let url: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const requests: string[] = [];
  const blocked: string[] = [];

  beforeAll(async () => {
    url = pathToFileURL(file).href;

    // launch() starts Chromium on a fresh temporary profile of its own and removes it on close.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
    });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') {
        problems.push(`console ${m.type()}: ${m.text()}`);
      }
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.route('**/*', async (route) => {
      if (route.request().url() === url) {
        await route.continue();
      } else {
        blocked.push(route.request().url());
        await route.abort();
      }
    });
    await page.goto(url, { waitUntil: 'load' });
    const screenshot = process.env.REPORT_HTML_SCREENSHOT;
    if (screenshot) {
      await page.screenshot({ path: screenshot, fullPage: true });
    }
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('loads without errors and asks for nothing but the file itself', async () => {
    expect(problems).toEqual([]);
    expect(blocked).toEqual([]);
    expect(requests).toEqual([url]);
    expect(await page.title()).toBe('kdump fleet simulation: quickstart');
  });

  it('renders every chart inside its box, with the text inside the drawing', async () => {
    const charts = await page.$$eval('svg[data-chart]', (svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        const outside = [...svg.querySelectorAll('text, rect, path, line, circle')]
          .map((el) => ({ el, r: el.getBoundingClientRect() }))
          .filter(({ r }) => r.width > 0 || r.height > 0)
          .filter(
            ({ r }) =>
              r.left < box.left - 1 ||
              r.right > box.right + 1 ||
              r.top < box.top - 1 ||
              r.bottom > box.bottom + 1,
          )
          .map(({ el }) => `${el.tagName} ${el.textContent ?? ''}`.trim());
        return {
          name: svg.getAttribute('data-chart'),
          width: box.width,
          height: box.height,
          title: svg.querySelector(':scope > title')?.textContent ?? '',
          outside,
        };
      }),
    );
    expect(charts.map((c) => c.name)).toEqual([
      'capture-forest',
      'capture-rate',
      'failure-reasons',
      'downtime',
      'device-reinit-cdf',
    ]);
    for (const c of charts) {
      expect(c.width, c.name!).toBeGreaterThan(600);
      expect(c.height, c.name!).toBeGreaterThan(150);
      expect(await page.locator(`svg[data-chart="${c.name}"]`).isVisible(), c.name!).toBe(true);
      expect(c.title.length, c.name!).toBeGreaterThan(10);
      expect(c.outside, c.name!).toEqual([]);
    }
  });

  it('capture rate: a bar and a whisker per strategy, to the report numbers', async () => {
    const marks = await page.$$eval('svg[data-chart="capture-rate"] g.mark', (gs) =>
      gs.map((g) => {
        const bar = g.querySelector('rect.bar')!.getBoundingClientRect();
        const whisker = g.querySelector('path.whisker')!.getBoundingClientRect();
        return {
          strategy: g.getAttribute('data-strategy'),
          value: Number(g.getAttribute('data-value')),
          bar: { left: bar.left, width: bar.width, height: bar.height },
          whisker: { left: whisker.left, right: whisker.right },
          label: g.querySelector(':scope > text:last-of-type')?.textContent,
        };
      }),
    );
    expect(marks.map((m) => m.strategy)).toEqual(crash.strategies.map((s) => s.strategy));
    const fullScale = marks[0]!.bar.width / marks[0]!.value;
    marks.forEach((m, i) => {
      const r = crash.strategies[i]!.captureRate;
      expect(m.value).toBe(r.value);
      expect(m.bar.height).toBeGreaterThan(5);
      // Bars share one scale from zero; the whisker spans the interval on it.
      expect(m.bar.width / fullScale).toBeCloseTo(r.value!, 2);
      expect((m.whisker.left - m.bar.left) / fullScale).toBeCloseTo(r.lower!, 1);
      expect((m.whisker.right - m.bar.left) / fullScale).toBeCloseTo(r.upper!, 1);
      expect(m.label).toBe(`${pct(r.value)} [${pct(r.lower)}, ${pct(r.upper)}]`);
    });
  });

  it('failure reasons: a segment per reason each strategy met, and a legend entry per reason', async () => {
    const segments = await page.$$eval('svg[data-chart="failure-reasons"] g.mark', (gs) =>
      gs.map((g) =>
        [...g.querySelectorAll('rect.segment')].map((r) => ({
          reason: r.getAttribute('data-reason')!,
          count: Number(r.getAttribute('data-count')),
          width: r.getBoundingClientRect().width,
        })),
      ),
    );
    expect(segments).toHaveLength(S);
    segments.forEach((row, i) => {
      const s = crash.strategies[i]!;
      expect(Object.fromEntries(row.map((x) => [x.reason, x.count]))).toEqual(s.failureReasons);
      for (const x of row) {
        expect(x.width).toBeGreaterThan(0);
      }
    });
    const reasons = new Set(crash.strategies.flatMap((s) => Object.keys(s.failureReasons)));
    const legend = await page.$$eval('svg[data-chart="failure-reasons"] g.legend-item text', (ts) =>
      ts.map((t) => t.textContent),
    );
    expect(new Set(legend)).toEqual(reasons);
  });

  it('downtime: a box, median, whiskers and mean per strategy', async () => {
    const marks = await page.$$eval('svg[data-chart="downtime"] g.mark', (gs) =>
      gs.map((g) =>
        ['rect.box', 'line.median', 'path.whisker', 'circle.mean'].map((sel) => {
          const r = g.querySelector(sel)?.getBoundingClientRect();
          return r ? Math.max(r.width, r.height) : 0;
        }),
      ),
    );
    expect(marks).toHaveLength(S);
    for (const sizes of marks) {
      expect(sizes.every((v) => v > 0)).toBe(true);
    }
  });

  it('device reinitialisation: a panel per class, a CDF line per class × strategy with devices', async () => {
    const series = await page.$$eval('svg[data-chart="device-reinit-cdf"] g.series', (gs) =>
      gs.map((g) => {
        // No DOM lib in the test's types: what is used of an SVG path, by hand.
        const path = g.querySelector('path.cdf') as unknown as {
          getAttribute(name: string): string | null;
          getTotalLength(): number;
          getBoundingClientRect(): { height: number };
        } | null;
        return {
          key: `${g.getAttribute('data-device-class')}|${g.getAttribute('data-strategy')}`,
          d: path?.getAttribute('d') ?? null,
          length: path ? path.getTotalLength() : 0,
          height: path ? path.getBoundingClientRect().height : 0,
        };
      }),
    );
    expect(series.map((x) => x.key)).toEqual(
      classes.flatMap((c) => crash.strategies.map((s) => `${c}|${s.strategy}`)),
    );
    let lines = 0;
    for (const x of series) {
      const [deviceClass, strategy] = x.key.split('|');
      const t = crash.strategies.find((s) => s.strategy === strategy)!.deviceReinitSeconds[
        deviceClass!
      ]!;
      if (t.count === 0) {
        expect(x.d, x.key).toBeNull();
        continue;
      }
      lines++;
      expect(x.d, x.key).toMatch(/^M[\d.]+ [\d.]+(L[\d.]+ [\d.]+)+$/);
      expect(x.length, x.key).toBeGreaterThan(50);
      // A CDF climbs from 0 % to 100 %: most of the panel's height.
      expect(x.height, x.key).toBeGreaterThan(100);
    }
    expect(lines).toBeGreaterThan(classes.length * 5);
    expect(await page.locator('svg[data-chart="device-reinit-cdf"] g.panel').count()).toBe(
      classes.length,
    );
    expect(
      await page.locator('svg[data-chart="device-reinit-cdf"] g.legend-item').allTextContents(),
    ).toEqual(crash.strategies.map((s) => s.strategy));
  });

  it('the comparison table has a row per strategy with the report numbers', async () => {
    const rows = await page.$$eval('table[data-table="crash"] tbody tr', (trs) =>
      trs.map((tr) => ({
        key: tr.getAttribute('data-strategy'),
        cells: [...tr.children].map((c) => (c.textContent ?? '').trim()),
      })),
    );
    expect(rows.map((r) => r.key)).toEqual(crash.strategies.map((s) => s.strategy));
    rows.forEach((row, i) => {
      const s = crash.strategies[i]!;
      const r = s.captureRate;
      expect(row.cells.slice(0, 3)).toEqual([
        s.strategy,
        `${s.captured}/${s.jobs}`,
        `${pct(r.value)} [${pct(r.lower)}, ${pct(r.upper)}]`,
      ]);
    });
    expect(await page.locator('table[data-table="crash-device-reinit"] tbody tr').count()).toBe(S);
    // The verdict: one row per strategy, best first.
    const verdict = await page.$$eval('table[data-table="crash-verdict"] tbody tr', (trs) =>
      trs.map((tr) => tr.getAttribute('data-strategy')),
    );
    expect(verdict).toEqual(crash.verdict.ranking.map((e) => e.strategy));
  });
});

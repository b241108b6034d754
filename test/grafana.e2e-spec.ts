/**
 * End-to-end: every query of every Grafana dashboard (deploy/grafana/dashboards)
 * against a real Prometheus that scrapes the built coordinator and two
 * node-workers, after they ran an experiment. No Grafana runs: the template
 * variables are resolved with their own label_values() queries against
 * Prometheus, and substituted the way Grafana's Prometheus datasource does.
 * Every query must succeed and return data; a failure names the dashboard,
 * panel, query and expression.
 *
 * Needs the `prometheus` binary (Debian package "prometheus"); skipped without it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { Report } from '../libs/kdump-core/src';
import { CoordinatorApi, readText } from './support/api';
import { ROOT, sleep, type AppProcess } from './support/apps';
import { useFleet } from './support/fleet-hooks';
import {
  allPanels,
  interpolate,
  loadDashboards,
  parseLabelValues,
  rateIntervalSeconds,
  variableQuery,
  variables,
  type Dashboard,
  type Panel,
  type Target,
} from './support/grafana';
import { findPrometheus, PrometheusServer, type PromSeries } from './support/prometheus-server';

const PROMETHEUS = findPrometheus();
if (!PROMETHEUS) {
  console.warn(
    'grafana.e2e: no prometheus binary (/usr/bin/prometheus or on PATH; Debian package "prometheus"), skipping the dashboard queries against a real Prometheus',
  );
}

/** Scrape and evaluation interval of the test's Prometheus. */
const SCRAPE_SECONDS = 1;
/** Grafana's $__interval for a short time range (the smallest it picks is the scrape interval). */
const INTERVAL_SECONDS = 1;

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  static_configs: { targets: string[] }[];
}

/**
 * deploy/prometheus/prometheus.yml with its jobs (names, paths) as they are,
 * scraping the test's processes instead of the compose services, every second.
 */
function scrapeConfig(coordinator: AppProcess, workers: AppProcess[]): object {
  const deployed = parseYaml(
    readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8'),
  ) as { scrape_configs: ScrapeConfig[] };
  const address = (app: AppProcess) => `127.0.0.1:${app.port}`;
  return {
    global: {
      scrape_interval: `${SCRAPE_SECONDS}s`,
      scrape_timeout: `${SCRAPE_SECONDS}s`,
      evaluation_interval: `${SCRAPE_SECONDS}s`,
    },
    scrape_configs: deployed.scrape_configs.map((job) => {
      const hosts = job.static_configs.flatMap((s) => s.targets.map((t) => t.split(':')[0]));
      const targets = hosts.every((host) => host === 'coordinator')
        ? [address(coordinator)]
        : hosts.every((host) => /^worker-\d+$/.test(host!))
          ? workers.map(address)
          : undefined;
      if (!targets) {
        throw new Error(`prometheus.yml job ${job.job_name}: unknown targets ${hosts.join(', ')}`);
      }
      return { ...job, static_configs: [{ targets }] };
    }),
  };
}

/** Quickstart (3,000 servers, 9 strategies) in shards of 50: both workers get shards. */
function smallShardSpec(): string {
  const spec = parseYaml(readText(join(ROOT, 'examples/quickstart.yaml'))) as {
    events: { crash: Record<string, unknown> };
    run?: Record<string, unknown>;
    [key: string]: unknown;
  };
  spec.run = { ...spec.run, shardSize: 50 };
  // Two racks and a crash storm, so the failure-domain panels have data too.
  spec.events.crash.horizonDays = 30;
  spec.dumpTargets = {
    nfs: { protocol: 'nfs', sessions: 4, sessionMiBps: 150, waitLimitS: 600 },
  };
  spec.domains = [{ name: 'rack', servers: 1500, count: 2, dumpTarget: 'nfs' }];
  spec.storms = [
    { name: 'bad-kernel', atHours: 24, windowMinutes: 10, share: 0.2, causes: { panic: 1 } },
  ];
  return stringifyYaml(spec);
}

/** The roll-out example at a twentieth of its size (1,000 servers), for the Roll-out waves dashboard. */
function smallRolloutSpec(): string {
  const spec = parseYaml(readText(join(ROOT, 'examples/kernel-rollout-waves.yaml'))) as {
    name: string;
    fleet: Array<{ count: number }>;
    rollout: { canary: number; waveSize: number };
    run?: Record<string, unknown>;
  };
  spec.name = 'rollout-waves-small';
  for (const group of spec.fleet) {
    group.count /= 20;
  }
  spec.rollout.canary = 10;
  spec.rollout.waveSize = 100;
  spec.run = { ...spec.run, shardSize: 250 };
  return stringifyYaml(spec);
}

/** Option order of a query variable's `sort` (1: A→Z, 2: Z→A; else as Prometheus gives them). */
function sorted(options: string[], sort: number | undefined): string[] {
  const copy = [...options];
  if (sort === 1 || sort === 5) {
    copy.sort();
  } else if (sort === 2 || sort === 6) {
    copy.sort().reverse();
  }
  return copy;
}

describe.skipIf(!PROMETHEUS)('Grafana dashboards on a real Prometheus', () => {
  const h = useFleet('grafana');
  let prometheus: PrometheusServer | undefined;
  let coordinator: AppProcess;
  let workers: AppProcess[];
  let api: CoordinatorApi;
  let experimentId: string;
  let rolloutId: string;
  let shardsTotal: number;
  /** When Prometheus started scraping, in seconds. */
  let scrapingSince: number;

  beforeAll(async () => {
    [coordinator, ...workers] = await Promise.all([
      h.fleet.coordinator(),
      h.fleet.worker(),
      h.fleet.worker(),
    ]);
    prometheus = await PrometheusServer.start(PROMETHEUS!, scrapeConfig(coordinator, workers));
    scrapingSince = Date.now() / 1000;
    await prometheus.waitFor(
      'up == 1',
      (r) => r.length === 3,
      20_000,
      'the coordinator and both workers up',
    );

    api = new CoordinatorApi(coordinator.url);
    experimentId = await api.submit(smallShardSpec());
    shardsTotal = (await api.waitDone(experimentId, 60_000)).shards.total;
    // A roll-out, whose results only the Roll-out waves dashboard shows.
    rolloutId = await api.submit(smallRolloutSpec());
    shardsTotal += (await api.waitDone(rolloutId, 60_000)).shards.total;

    // The coordinator exports the results once the experiment is done; then a few
    // more scrapes, so that every rate() window holds several samples of the run's end.
    await prometheus.waitFor(
      `fleetsim_capture_success_ratio{experiment="${experimentId}"}`,
      (r) => r.length > 0,
      20_000,
      'the results of the experiment',
    );
    await prometheus.waitFor(
      `fleetsim_rollout_wall_clock_seconds{experiment="${rolloutId}"}`,
      (r) => r.length > 0,
      20_000,
      'the results of the roll-out',
    );
    await sleep(rateIntervalSeconds(INTERVAL_SECONDS, SCRAPE_SECONDS) * 500);
  });

  beforeEach((ctx) => {
    ctx.onTestFailed(() => {
      if (prometheus) {
        console.log(`\n===== prometheus log =====\n${prometheus.tail()}\n=====\n`);
      }
    });
  });

  afterAll(async () => {
    await prometheus?.stop();
  });

  /** Grafana's built-in variables for a time range from when scraping began until now. */
  function builtins(): Map<string, string> {
    const rangeSeconds = Math.ceil(Date.now() / 1000 - scrapingSince);
    return new Map([
      ['__interval', `${INTERVAL_SECONDS}s`],
      ['__interval_ms', String(INTERVAL_SECONDS * 1000)],
      ['__rate_interval', `${rateIntervalSeconds(INTERVAL_SECONDS, SCRAPE_SECONDS)}s`],
      ['__range', `${rangeSeconds}s`],
      ['__range_s', String(rangeSeconds)],
      ['__range_ms', String(rangeSeconds * 1000)],
    ]);
  }

  /**
   * Each variable's options from its own label_values() query (earlier
   * variables substituted): a single-value variable takes the first option as
   * Grafana does, a multi-value one all of them ("All").
   */
  async function resolveVariables(dashboard: Dashboard): Promise<Map<string, string | string[]>> {
    const values = new Map<string, string | string[]>(builtins());
    for (const variable of variables(dashboard)) {
      const query = variableQuery(variable);
      const lv = parseLabelValues(query);
      if (!lv) {
        throw new Error(
          `${dashboard.title}: $${variable.name}: not a label_values() query: ${query}`,
        );
      }
      const match = lv.match ? interpolate(lv.match, values) : undefined;
      const options = sorted(
        await prometheus!.labelValues(lv.label, match),
        (variable as { sort?: number }).sort,
      );
      if (options.length === 0) {
        throw new Error(`${dashboard.title}: $${variable.name}: no values for ${query} (${match})`);
      }
      values.set(variable.name, variable.multi || variable.includeAll ? options : options[0]!);
    }
    return values;
  }

  /** What is wrong with one answer ('' when it succeeded with numbers). */
  function problem(answer: Awaited<ReturnType<PrometheusServer['query']>>): string {
    if (answer.status !== 'success') {
      return `${answer.errorType ?? 'error'}: ${answer.error}`;
    }
    const result = answer.data?.result;
    if (!Array.isArray(result) || result.length === 0) {
      return 'empty result';
    }
    const samples = (result as PromSeries[]).flatMap((s) =>
      s.value ? [s.value] : (s.values ?? []),
    );
    if (samples.length === 0) {
      return 'no samples';
    }
    // histogram_quantile() of empty buckets, 0/0: a panel of NaN shows nothing.
    if (samples.every(([, value]) => Number.isNaN(Number(value)))) {
      return 'only NaN';
    }
    return '';
  }

  /**
   * Runs one target as an instant query at now, and (when Grafana runs it as a
   * range query) over the time since scraping began too; resolves to its problems.
   */
  async function runTarget(expr: string, target: Target): Promise<string[]> {
    const problems: string[] = [];
    const instant = problem(await prometheus!.query(expr));
    if (instant) {
      problems.push(`instant query: ${instant}`);
    }
    if (target.range !== false && target.instant !== true) {
      const end = Date.now() / 1000;
      const ranged = problem(await prometheus!.queryRange(expr, scrapingSince, end, 1));
      if (ranged) {
        problems.push(`range query: ${ranged}`);
      }
    }
    return problems;
  }

  it('scrapes the coordinator and both workers under the job names of deploy/prometheus/prometheus.yml', async () => {
    const up = await prometheus!.query('up');
    const jobs = ((up.data?.result ?? []) as PromSeries[]).map((s) => s.metric.job).sort();
    expect(jobs).toEqual(['fleetsim-coordinator', 'fleetsim-worker', 'fleetsim-worker']);

    // Both workers simulated shards, and every shard ran once.
    const shards = await prometheus!.waitFor(
      'fleetsim_worker_shards_processed_total',
      (r) => r.reduce((n, s) => n + Number(s.value![1]), 0) === shardsTotal,
      10_000,
      `${shardsTotal} shards processed`,
    );
    expect(shards).toHaveLength(2);
    for (const series of shards) {
      expect(Number(series.value![1]), series.metric.instance).toBeGreaterThan(0);
    }
  });

  it('exports the capture ratio with the Wilson interval of the report', async () => {
    const report = JSON.parse(await api.reportText(experimentId)) as Report;
    const byStrategy = async (metric: string) => {
      // profile="*": the whole fleet (every profile has series of its own too).
      const answer = await prometheus!.query(`${metric}{experiment="${experimentId}",profile="*"}`);
      return new Map(
        ((answer.data?.result ?? []) as PromSeries[]).map((s) => [
          s.metric.strategy!,
          Number(s.value![1]),
        ]),
      );
    };
    const [ratio, lower, upper] = await Promise.all([
      byStrategy('fleetsim_capture_success_ratio'),
      byStrategy('fleetsim_capture_success_ratio_lower'),
      byStrategy('fleetsim_capture_success_ratio_upper'),
    ]);
    expect(report.crash!.strategies.length).toBe(12);
    for (const s of report.crash!.strategies) {
      expect(ratio.get(s.strategy), s.strategy).toBeCloseTo(s.captureRate.value!, 12);
      expect(lower.get(s.strategy), s.strategy).toBeCloseTo(s.captureRate.lower!, 12);
      expect(upper.get(s.strategy), s.strategy).toBeCloseTo(s.captureRate.upper!, 12);
    }
  });

  it('resolves the experiment selector to the experiment that ran, with its own query', async () => {
    const dashboard = loadDashboards().find((d) => d.dashboard.title === 'Strategy comparison')!;
    const values = await resolveVariables(dashboard.dashboard);
    expect(values.get('experiment')).toBe(experimentId);
    expect(values.get('kind')).toBe('crash');
    expect(values.get('strategy')).toHaveLength(12);
  });

  it('resolves the Roll-out waves selector to the roll-out, with its wall clock as the report has it', async () => {
    const dashboard = loadDashboards().find((d) => d.dashboard.title === 'Roll-out waves')!;
    const values = await resolveVariables(dashboard.dashboard);
    expect(values.get('experiment')).toBe(rolloutId);
    const report = JSON.parse(await api.reportText(rolloutId)) as Report;
    expect(values.get('strategy')).toHaveLength(report.rollout!.strategies.length);
    const answer = await prometheus!.query(
      `fleetsim_rollout_wall_clock_seconds{experiment="${rolloutId}"}`,
    );
    const byStrategy = new Map(
      ((answer.data?.result ?? []) as PromSeries[]).map((s) => [
        s.metric.strategy!,
        Number(s.value![1]),
      ]),
    );
    for (const s of report.rollout!.strategies) {
      expect(byStrategy.get(s.strategy), s.strategy).toBe(s.wallClockSeconds);
    }
  });

  it('shows the run on "Shards per second" and "Worker utilisation" of Fleet run', async () => {
    const dashboard = loadDashboards().find((d) => d.dashboard.title === 'Fleet run')!.dashboard;
    const values = await resolveVariables(dashboard);
    const range = values.get('__range') as string;
    for (const title of ['Shards per second', 'Worker utilisation']) {
      const panel = allPanels(dashboard).find((p) => p.title === title)!;
      const expr = interpolate(panel.targets![0]!.expr, values);
      // The highest value the panel drew since scraping began: the run, not its aftermath.
      const answer = await prometheus!.query(`max(max_over_time((${expr})[${range}:1s]))`);
      const peak = Number(((answer.data?.result ?? []) as PromSeries[])[0]?.value?.[1]);
      expect(peak, `${title}: ${expr}`).toBeGreaterThan(0);
    }
  });

  it.each(loadDashboards().map((d) => [d.dashboard.title, d.dashboard] as const))(
    '%s: every query of every panel returns data',
    async (_title, dashboard) => {
      const values = await resolveVariables(dashboard);
      const failures: string[] = [];
      let queries = 0;
      // The batch-point panels show a batch's points (POST /batches); this run posts a
      // plain experiment, so they stay empty here: test/decisions.e2e-spec.ts checks
      // the point series they read against a batch's reports.
      const batchOnly = (p: Panel) =>
        (p.targets ?? []).some((t) => /point!=""|fleetsim_batch_point_info/.test(t.expr));
      for (const panel of allPanels(dashboard).filter(
        (p: Panel) => p.type !== 'row' && !batchOnly(p),
      )) {
        // A repeated panel runs once per value of its variable, with that value alone.
        const copies: Map<string, string | string[]>[] = panel.repeat
          ? ([values.get(panel.repeat)].flat() as string[]).map(
              (value) => new Map([...values, [panel.repeat!, [value]]]),
            )
          : [values];
        for (const copy of copies) {
          for (const target of panel.targets ?? []) {
            const expr = interpolate(target.expr, copy);
            queries++;
            for (const why of await runTarget(expr, target)) {
              failures.push(
                `${dashboard.title} / panel #${panel.id} "${panel.title}" / ${target.refId}: ${why}\n    ${expr}`,
              );
            }
          }
        }
      }
      expect(queries).toBeGreaterThanOrEqual(10);
      expect(failures, failures.join('\n')).toEqual([]);
    },
  );
});

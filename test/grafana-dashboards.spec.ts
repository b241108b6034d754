/**
 * The Grafana dashboards under deploy/grafana/dashboards, read as files (no
 * Grafana runs here): well-formed JSON models on the provisioned datasource,
 * with unique panel ids and a place on the grid, the panels the issue names,
 * template variables that exist where they are used, and only metrics the apps
 * export and scrape jobs prometheus.yml defines. test/grafana.e2e-spec.ts runs
 * every query against a real Prometheus.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './support/apps';
import {
  allPanels,
  BUILTIN_VARIABLES,
  dashboardProviders,
  interpolate,
  loadDashboards,
  parseLabelValues,
  provisionedDatasources,
  queryPanels,
  rateIntervalSeconds,
  referencedVariables,
  variableQuery,
  variables,
  type Dashboard,
  type Panel,
} from './support/grafana';
import { exportedMetricNames, jobMatchers, unknownMetrics } from './support/promql';

const DATASOURCE_UID = 'fleetsim-prometheus';

const dashboards = loadDashboards();

function byTitle(title: string): Dashboard {
  const found = dashboards.find((d) => d.dashboard.title === title);
  if (!found) {
    throw new Error(`no dashboard titled "${title}"`);
  }
  return found.dashboard;
}

/** `dashboard / panel` for messages. */
function where(dashboard: Dashboard, panel: Panel): string {
  return `${dashboard.title} / #${panel.id} "${panel.title}"`;
}

/** Every PromQL expression of a dashboard: panel targets and variable queries, named. */
function expressions(dashboard: Dashboard): { where: string; expr: string }[] {
  return [
    ...queryPanels(dashboard).flatMap((panel) =>
      (panel.targets ?? []).map((t) => ({
        where: `${where(dashboard, panel)} ${t.refId}`,
        expr: t.expr,
      })),
    ),
    ...variables(dashboard).map((v) => {
      const lv = parseLabelValues(variableQuery(v));
      return { where: `${dashboard.title} / $${v.name}`, expr: lv?.match ?? '' };
    }),
  ];
}

describe('deploy/grafana/provisioning', () => {
  it('provisions one Prometheus datasource with a fixed uid, and a file provider', () => {
    const datasources = provisionedDatasources();
    expect(datasources).toHaveLength(1);
    expect(datasources[0]).toMatchObject({ uid: DATASOURCE_UID, type: 'prometheus' });
    const providers = dashboardProviders();
    expect(providers).toHaveLength(1);
    expect(providers[0]).toMatchObject({ type: 'file', options: { path: expect.any(String) } });
  });

  it("gives Grafana prometheus.yml's scrape interval, which $__rate_interval is based on", () => {
    const config = parse(readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
      global: { scrape_interval: string };
    };
    expect(provisionedDatasources()[0]!.jsonData?.timeInterval).toBe(config.global.scrape_interval);
  });
});

describe('deploy/grafana/dashboards', () => {
  it('has the dashboards the issues name, with unique uids', () => {
    expect(dashboards.map((d) => d.dashboard.title).sort()).toEqual([
      'Fleet run',
      'Roll-out waves',
      'Strategy comparison',
    ]);
    const uids = dashboards.map((d) => d.dashboard.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const { file, dashboard } of dashboards) {
      expect(dashboard.uid, file).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
      expect(dashboard.schemaVersion, file).toBe(39);
      expect(dashboard.tags, file).toContain('kdump-fleet-sim');
    }
  });

  it.each(dashboards.map((d) => [d.dashboard.title, d.dashboard] as const))(
    '%s: unique panel ids, every panel on the grid, on the provisioned datasource, with queries',
    (_title, dashboard) => {
      const panels = allPanels(dashboard);
      const ids = panels.map((p) => p.id);
      expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
      expect(new Set(ids).size, 'panel ids').toBe(ids.length);
      const problems: string[] = [];
      for (const panel of panels) {
        const at = where(dashboard, panel);
        const g = panel.gridPos;
        if (!g || ![g.h, g.w, g.x, g.y].every(Number.isInteger) || g.w < 1 || g.h < 1) {
          problems.push(`${at}: gridPos ${JSON.stringify(g)}`);
        } else if (g.x < 0 || g.x + g.w > 24) {
          problems.push(`${at}: gridPos outside the 24 columns`);
        }
        if (panel.type === 'row') {
          if (!panel.collapsed && (panel.panels ?? []).length > 0) {
            problems.push(`${at}: an open row keeps its panels at the top level`);
          }
          continue;
        }
        if (panel.datasource?.uid !== DATASOURCE_UID || panel.datasource.type !== 'prometheus') {
          problems.push(`${at}: datasource ${JSON.stringify(panel.datasource)}`);
        }
        const targets = panel.targets ?? [];
        if (targets.length === 0) {
          problems.push(`${at}: no queries`);
        }
        const refIds = targets.map((t) => t.refId);
        if (new Set(refIds).size !== refIds.length) {
          problems.push(`${at}: refIds ${refIds.join(',')}`);
        }
        for (const t of targets) {
          if (t.datasource?.uid !== DATASOURCE_UID) {
            problems.push(`${at} ${t.refId}: datasource ${JSON.stringify(t.datasource)}`);
          }
          if (!t.expr?.trim()) {
            problems.push(`${at} ${t.refId}: empty expr`);
          }
        }
      }
      expect(problems).toEqual([]);
    },
  );

  it.each(dashboards.map((d) => [d.dashboard.title, d.dashboard] as const))(
    '%s: no two panels overlap',
    (_title, dashboard) => {
      const panels = allPanels(dashboard);
      const overlaps: string[] = [];
      panels.forEach((a, i) => {
        for (const b of panels.slice(i + 1)) {
          const [p, q] = [a.gridPos!, b.gridPos!];
          if (p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h) {
            overlaps.push(`"${a.title}" and "${b.title}"`);
          }
        }
      });
      expect(overlaps).toEqual([]);
    },
  );

  it.each(dashboards.map((d) => [d.dashboard.title, d.dashboard] as const))(
    '%s: only uses metrics the apps export and scrape jobs prometheus.yml defines',
    (_title, dashboard) => {
      const exported = exportedMetricNames();
      const config = parse(
        readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8'),
      ) as { scrape_configs: { job_name: string }[] };
      const jobs = config.scrape_configs.map((j) => j.job_name);
      const exprs = expressions(dashboard);
      expect(exprs.length).toBeGreaterThan(5);
      const unknown = exprs.flatMap(({ where: at, expr }) =>
        unknownMetrics(expr, exported).map((name) => `${at}: ${name}`),
      );
      expect(unknown).toEqual([]);
      const badJobs = exprs.flatMap(({ where: at, expr }) =>
        jobMatchers(expr)
          .filter((job) => !jobs.includes(job))
          .map((job) => `${at}: job="${job}"`),
      );
      expect(badJobs).toEqual([]);
    },
  );

  it.each(dashboards.map((d) => [d.dashboard.title, d.dashboard] as const))(
    '%s: every variable a query uses is defined before it, on the provisioned datasource',
    (_title, dashboard) => {
      const defined = new Set<string>(BUILTIN_VARIABLES);
      const problems: string[] = [];
      for (const v of variables(dashboard)) {
        const query = variableQuery(v);
        if (v.type !== 'query' || !parseLabelValues(query)) {
          problems.push(`$${v.name}: not a label_values() query variable`);
        }
        if (v.datasource?.uid !== DATASOURCE_UID) {
          problems.push(`$${v.name}: datasource ${JSON.stringify(v.datasource)}`);
        }
        for (const name of referencedVariables(query)) {
          if (!defined.has(name)) {
            problems.push(`$${v.name} uses $${name} before it is defined`);
          }
        }
        defined.add(v.name);
      }
      for (const panel of queryPanels(dashboard)) {
        const used = [
          ...(panel.targets ?? []).flatMap((t) => referencedVariables(t.expr)),
          ...(panel.repeat ? [panel.repeat] : []),
        ];
        for (const name of used.filter((n) => !defined.has(n))) {
          problems.push(`${where(dashboard, panel)} uses undefined $${name}`);
        }
      }
      expect(problems).toEqual([]);
    },
  );

  it('Strategy comparison selects the experiment with label_values over an experiment label', () => {
    const dashboard = byTitle('Strategy comparison');
    const experiment = variables(dashboard).find((v) => v.name === 'experiment');
    expect(experiment).toBeDefined();
    const lv = parseLabelValues(variableQuery(experiment!));
    expect(lv?.label).toBe('experiment');
    expect(lv?.match).toMatch(/^fleetsim_/);
    expect(experiment!.multi).toBeFalsy();
    // Every result panel is about the selected experiment.
    for (const panel of queryPanels(dashboard)) {
      for (const t of panel.targets ?? []) {
        expect(t.expr, `${where(dashboard, panel)} ${t.refId}`).toContain(
          'experiment="$experiment"',
        );
      }
    }
  });

  /** Panel title (regex) → what its queries must contain. */
  const REQUIRED: Record<string, [RegExp, RegExp[]][]> = {
    'Strategy comparison': [
      [
        /^Capture success ratio/,
        [
          /fleetsim_capture_success_ratio\{/,
          /fleetsim_capture_success_ratio_lower\{/,
          /fleetsim_capture_success_ratio_upper\{/,
        ],
      ],
      [
        /^Failure reasons by strategy$/,
        [/sum by \(strategy, outcome\) \(fleetsim_recoveries_total\{/],
      ],
      [
        /^Device reinit p50 \/ p95 \/ p99 per device class and strategy$/,
        [
          /histogram_quantile\(0\.5, .*device_class.*fleetsim_device_reinit_seconds_bucket/,
          /histogram_quantile\(0\.95, /,
          /histogram_quantile\(0\.99, /,
        ],
      ],
      [/^Downtime distribution/, [/fleetsim_downtime_seconds_bucket/]],
      [/^Device reinit seconds/, [/sum by \(le\) \(fleetsim_device_reinit_seconds_bucket\{/]],
    ],
    'Roll-out waves': [
      [
        /^Roll-out wall clock per strategy/,
        [/fleetsim_rollout_wall_clock_seconds\{/, /fleetsim_rollout_firmware_wall_clock_seconds\{/],
      ],
      [
        /^Servers rebooted, not back in service, halted/,
        [
          /fleetsim_rollout_servers_rebooted\{/,
          /fleetsim_rollout_servers_not_back\{/,
          /fleetsim_rollout_halted\{/,
        ],
      ],
      [/^Time saved against firmware/, [/fleetsim_rollout_time_saved_seconds\{/]],
    ],
    'Fleet run': [
      [/^Experiments by state$/, [/fleetsim_experiments\b/]],
      [/^Experiment progress$/, [/fleetsim_experiment_progress_ratio/]],
      [/^Shards per second$/, [/rate\(fleetsim_worker_shards_processed_total\{/]],
      [/^Queue depth$/, [/max by \(queue, state\) \(fleetsim_queue_jobs\)/]],
      [/^Workers$/, [/up\{job="fleetsim-worker"\}/, /fleetsim_worker_concurrency/]],
      [
        /^Worker utilisation$/,
        [/fleetsim_worker_shard_duration_seconds_sum/, /fleetsim_worker_active_jobs/],
      ],
      [/^Job failures per second by reason$/, [/fleetsim_worker_job_failures_total/]],
      [/^Failed jobs in the queues$/, [/fleetsim_queue_jobs\{state="failed"\}/]],
    ],
  };

  it.each(Object.entries(REQUIRED))('%s has the panels the issue asks for', (title, required) => {
    const panels = queryPanels(byTitle(title));
    for (const [titlePattern, exprPatterns] of required) {
      const panel = panels.find((p) => titlePattern.test(p.title));
      expect(panel, `a panel titled ${titlePattern}`).toBeDefined();
      const exprs = (panel!.targets ?? []).map((t) => t.expr).join('\n');
      for (const pattern of exprPatterns) {
        expect(exprs, `${panel!.title}`).toMatch(pattern);
      }
    }
    if (title === 'Strategy comparison') {
      const heat = panels.find((p) => p.type === 'heatmap');
      expect(heat?.targets?.[0]).toMatchObject({ format: 'heatmap', legendFormat: '{{le}}' });
    }
  });
});

describe('Grafana variable substitution (test/support/grafana.ts)', () => {
  it('substitutes one value as is and several as an escaped regex alternation', () => {
    const values = new Map<string, string | string[]>([
      ['experiment', 'exp_1'],
      ['strategy', ['none', 'a.b', 'c|d']],
      ['__rate_interval', '4s'],
    ]);
    expect(
      interpolate(
        'rate(x{experiment="$experiment", strategy=~"${strategy}"}[$__rate_interval]) + [[experiment]]',
        values,
      ),
    ).toBe('rate(x{experiment="exp_1", strategy=~"(none|a\\\\.b|c\\\\|d)"}[4s]) + exp_1');
    expect(() => interpolate('x{a="$nope"}', values)).toThrow('$nope');
    expect(referencedVariables('x{a="$a", b=~"${b:regex}"}[$__range]')).toEqual([
      'a',
      'b',
      '__range',
    ]);
  });

  it('computes $__rate_interval as Grafana does', () => {
    expect(rateIntervalSeconds(1, 1)).toBe(4);
    expect(rateIntervalSeconds(30, 15)).toBe(60);
    expect(rateIntervalSeconds(120, 15)).toBe(135);
  });

  it('reads label_values() queries', () => {
    expect(parseLabelValues('label_values(m{a="$b"}, experiment)')).toEqual({
      match: 'm{a="$b"}',
      label: 'experiment',
    });
    expect(parseLabelValues('label_values(kind)')).toEqual({ match: undefined, label: 'kind' });
    expect(parseLabelValues('query_result(up)')).toBeUndefined();
  });
});

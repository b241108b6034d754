/**
 * Checks of the deployment files under deploy/: the Prometheus configuration and
 * alert rules pass `promtool check config` and their promtool unit tests, and
 * every metric an alert uses is one the apps really export (so renaming a metric
 * in the apps breaks this test instead of silently muting an alert); the
 * docker-compose file is valid against the Compose Specification's JSON schema
 * (deploy/schema/compose-spec.json) and wires the services the way
 * prometheus.yml and Grafana's provisioning (deploy/grafana) expect. No Docker
 * engine is needed; test/grafana-dashboards.spec.ts checks the dashboards.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dashboardProviders, loadDashboards, provisionedDatasources } from './support/grafana';
import { exportedMetricNames, jobMatchers, metricNames, unknownMetrics } from './support/promql';

const ROOT = resolve(__dirname, '..');
const PROMETHEUS_DIR = join(ROOT, 'deploy/prometheus');

const promtoolMissing =
  spawnSync('promtool', ['--version'], { encoding: 'utf8' }).error !== undefined;
if (promtoolMissing) {
  console.warn(
    'deploy.spec: promtool is not on PATH (Debian package "prometheus"; .ci/run installs it), skipping the promtool checks',
  );
}

/** Runs promtool from the repository root; stdout and stderr together. */
function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
}

function alertRules(): Rule[] {
  const doc = parse(readFileSync(join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8')) as {
    groups: { name: string; rules: Rule[] }[];
  };
  return doc.groups.flatMap((group) => group.rules);
}

describe('deploy/prometheus', () => {
  it.skipIf(promtoolMissing)('prometheus.yml passes promtool check config', () => {
    const { status, output } = promtool('check', 'config', 'deploy/prometheus/prometheus.yml');
    expect(output).toContain('SUCCESS');
    expect(status, output).toBe(0);
  });

  it.skipIf(promtoolMissing)('alerts.yml passes its promtool unit tests', () => {
    const { status, output } = promtool('test', 'rules', 'deploy/prometheus/alerts.test.yml');
    expect(output).toContain('SUCCESS');
    expect(output).not.toContain('FAILED');
    expect(status, output).toBe(0);
  });

  it('reads metric names out of PromQL', () => {
    expect(
      metricNames(
        '(max by (queue) (fleetsim_queue_jobs{queue="shards",state="waiting"}) > 0) unless on() ' +
          '(sum(rate(fleetsim_worker_shards_processed_total[5m] offset 1m)) > 0) and absent(up{job="x"} == 1)',
      ),
    ).toEqual(['fleetsim_queue_jobs', 'fleetsim_worker_shards_processed_total', 'up']);
    expect(
      metricNames('histogram_quantile(0.95, sum by (le) (rate(fleetsim_dump_seconds_bucket[5m])))'),
    ).toEqual(['fleetsim_dump_seconds_bucket']);
    // Grafana's variables, and a join that names labels.
    expect(
      metricNames(
        'max by (experiment) (fleetsim_experiment_progress_ratio) * on (experiment) group_left (name, state) ' +
          'max by (experiment, name, state) (fleetsim_experiment_info{experiment=~"$experiment"}) ' +
          '/ rate(process_cpu_seconds_total[$__rate_interval])',
      ),
    ).toEqual([
      'fleetsim_experiment_progress_ratio',
      'fleetsim_experiment_info',
      'process_cpu_seconds_total',
    ]);
  });

  it('finds the metrics the apps export', () => {
    const exported = exportedMetricNames();
    // A few from each app, so that a broken source scan cannot make the next test vacuous.
    for (const name of [
      'fleetsim_capture_success_ratio',
      'fleetsim_capture_success_ratio_lower',
      'fleetsim_capture_success_ratio_upper',
      'fleetsim_queue_jobs',
      'fleetsim_worker_shards_processed_total',
      'fleetsim_worker_concurrency',
      'fleetsim_worker_active_jobs',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
    ]) {
      expect(exported).toContain(name);
    }
  });

  it('alerts only use metrics the apps export', () => {
    const exported = exportedMetricNames();
    const rules = alertRules();
    expect(rules.length).toBeGreaterThanOrEqual(4);
    const unknown = rules.flatMap((rule) =>
      unknownMetrics(rule.expr, exported).map((name) => `${rule.alert ?? rule.record}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  it('alerts only match on scrape jobs prometheus.yml defines, which scrape the coordinator and 3 workers', () => {
    const config = parse(readFileSync(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as {
      global: { scrape_interval: string };
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    expect(config.global.scrape_interval).toBe('15s');
    expect(config.rule_files).toEqual(['alerts.yml']);
    const targets = new Map(
      config.scrape_configs.map((job) => [
        job.job_name,
        job.static_configs.flatMap((s) => s.targets),
      ]),
    );
    expect(targets.get('fleetsim-coordinator')).toEqual(['coordinator:3000']);
    expect(targets.get('fleetsim-worker')).toEqual([
      'worker-1:3001',
      'worker-2:3001',
      'worker-3:3001',
    ]);
    const jobs = alertRules().flatMap((rule) => jobMatchers(rule.expr));
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) {
      expect([...targets.keys()]).toContain(job);
    }
  });
});

type Validate = ((data: unknown) => boolean) & { errors?: unknown[] | null };

/** The compose-spec validator, or the reason there is none (ajv not installed). */
function composeValidator(): Validate | string {
  let Ajv: new (options: object) => { compile(schema: object): Validate };
  try {
    Ajv = (createRequire(__filename)('ajv') as { default: typeof Ajv }).default;
  } catch {
    return 'ajv is not installed (npm i -D ajv@^8)';
  }
  const schema = JSON.parse(
    readFileSync(join(ROOT, 'deploy/schema/compose-spec.json'), 'utf8'),
  ) as {
    $schema?: string;
  };
  delete schema.$schema; // draft-07, ajv's default; its "https://...schema" spelling is not a known id
  return new Ajv({ allErrors: true, strict: false }).compile(schema);
}

const validateCompose = composeValidator();
if (typeof validateCompose === 'string') {
  console.warn(`deploy.spec: ${validateCompose}, skipping the compose schema validation`);
}

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  hostname?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: string[] | Record<string, unknown>;
}

/** A short-syntax bind mount `host:container[:mode]`, the host path resolved from deploy/. */
function bindMounts(service: ComposeService): { host: string; container: string; mode?: string }[] {
  return (service.volumes ?? [])
    .map((v) => v.split(':'))
    .filter(([host]) => host!.startsWith('.'))
    .map(([host, container, mode]) => ({
      host: resolve(ROOT, 'deploy', host!),
      container: container!,
      mode,
    }));
}

function readCompose(): { services: Record<string, ComposeService> } {
  // merge: true — compose resolves YAML merge keys (<<), as the file uses them.
  return parse(readFileSync(join(ROOT, 'deploy/docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
}

describe('deploy/docker-compose.yml', () => {
  it.skipIf(typeof validateCompose === 'string')(
    'is valid against the compose-spec JSON schema',
    () => {
      const validate = validateCompose as Validate;
      const compose = readCompose();
      expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
      // ... and the schema does reject a broken file, so the check above means something.
      const broken = structuredClone(compose) as {
        services: Record<string, Record<string, unknown>>;
      };
      broken.services.redis.ports = { 6379: 6379 };
      broken.services.coordinator.restartt = 'always';
      expect(validate(broken)).toBe(false);
    },
  );

  it('runs Redis with noeviction and AOF, the coordinator, 3 named workers and Prometheus', () => {
    const { services } = readCompose();
    expect(services.redis.image).toMatch(/^redis:7/);
    const redisCommand = (services.redis.command ?? []).join(' ');
    expect(redisCommand).toContain('--maxmemory-policy noeviction');
    expect(redisCommand).toContain('--appendonly yes');

    const workers = Object.keys(services).filter((name) => /^worker-\d+$/.test(name));
    expect(workers).toEqual(['worker-1', 'worker-2', 'worker-3']);
    expect(new Set(workers.map((name) => services[name].hostname)).size).toBe(3);
    for (const name of ['coordinator', ...workers]) {
      const service = services[name];
      expect(service.environment?.REDIS_URL, name).toBe('redis://redis:6379');
      expect(service.environment?.QUEUE_PREFIX, name).toBe(
        services.coordinator.environment?.QUEUE_PREFIX,
      );
      expect(
        service.build &&
          existsSync(join(ROOT, 'deploy', service.build.context, service.build.dockerfile)),
        name,
      ).toBe(true);
    }
    for (const name of workers) {
      expect(services[name].command).toEqual(['node', 'dist/apps/node-worker/src/main.js']);
    }
    expect(services.coordinator.command).toBeUndefined(); // the image's CMD: the coordinator

    expect(services.prometheus.volumes).toContain('./prometheus:/etc/prometheus:ro');
  });

  it('exposes every target prometheus.yml scrapes on the port it scrapes', () => {
    const { services } = readCompose();
    const config = parse(readFileSync(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as {
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    const targets = config.scrape_configs.flatMap((job) =>
      job.static_configs.flatMap((s) => s.targets),
    );
    expect(targets.length).toBe(4);
    for (const target of targets) {
      const [host, port] = target.split(':');
      const service = services[host];
      expect(service, target).toBeDefined();
      expect(service.environment?.PORT ?? service.environment?.METRICS_PORT, target).toBe(port);
    }
  });
});

describe('deploy/docker-compose.yml: Grafana', () => {
  const { services } = readCompose();
  const grafana = services.grafana;

  it('runs a pinned grafana/grafana-oss on container port 3000, admin password from the environment', () => {
    expect(grafana).toBeDefined();
    expect(grafana.image).toMatch(/^grafana\/grafana-oss:\d+\.\d+\.\d+$/);
    expect(grafana.ports?.some((p) => /^\d+:3000$/.test(p))).toBe(true);
    // A host port nobody else publishes (the coordinator has 3000).
    const published = Object.entries(services).flatMap(([name, s]) =>
      (s.ports ?? []).map((p) => [name, p.split(':')[0]] as const),
    );
    const hostPorts = published.map(([, port]) => port);
    expect(new Set(hostPorts).size, JSON.stringify(published)).toBe(hostPorts.length);
    expect(grafana.environment?.GF_SECURITY_ADMIN_PASSWORD).toMatch(
      /^\$\{GRAFANA_ADMIN_PASSWORD:-[^}]+\}$/,
    );
    expect(grafana.environment?.GF_AUTH_ANONYMOUS_ORG_ROLE ?? 'Viewer').toBe('Viewer');
    const dependsOn = Array.isArray(grafana.depends_on)
      ? grafana.depends_on
      : Object.keys(grafana.depends_on ?? {});
    expect(dependsOn).toContain('prometheus');
  });

  it('mounts deploy/grafana/provisioning, and the dashboards where the provider reads them', () => {
    const mounts = bindMounts(grafana);
    const provisioning = mounts.find((m) => m.container === '/etc/grafana/provisioning');
    expect(provisioning?.host).toBe(join(ROOT, 'deploy/grafana/provisioning'));
    for (const sub of ['datasources', 'dashboards']) {
      expect(existsSync(join(provisioning!.host, sub)), sub).toBe(true);
    }
    const providers = dashboardProviders();
    expect(providers.length).toBeGreaterThan(0);
    for (const provider of providers) {
      const mount = mounts.find((m) => m.container === provider.options.path);
      expect(mount, `a mount at ${provider.options.path}`).toBeDefined();
      expect(mount!.host).toBe(join(ROOT, 'deploy/grafana/dashboards'));
    }
    expect(loadDashboards().length).toBeGreaterThanOrEqual(2);
    for (const mount of mounts) {
      expect(existsSync(mount.host), mount.host).toBe(true);
      expect(mount.mode, mount.host).toBe('ro');
    }
    const home = grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    if (home) {
      const dashboards = mounts.find((m) => home.startsWith(`${m.container}/`));
      expect(dashboards, home).toBeDefined();
      expect(existsSync(join(dashboards!.host, home.slice(dashboards!.container.length)))).toBe(
        true,
      );
    }
  });

  it('points the datasource at the compose prometheus service on the port it listens on', () => {
    const [datasource] = provisionedDatasources();
    const url = new URL(datasource!.url);
    expect(url.protocol).toBe('http:');
    const prometheus = services[url.hostname];
    expect(prometheus, `a service named ${url.hostname}`).toBeDefined();
    expect(prometheus.image).toMatch(/^prom\/prometheus:/);
    const listen = (prometheus.command ?? [])
      .map((arg) => /^--web\.listen-address=.*:(\d+)$/.exec(arg)?.[1])
      .find(Boolean);
    expect(url.port || '80').toBe(listen ?? '9090');
    expect(prometheus.ports?.map((p) => p.split(':').at(-1))).toContain(url.port);
  });
});

describe('deploy/Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);

  it('builds on node:20-bookworm-slim and runs production dependencies as user node', () => {
    expect(stages.map((stage) => stage.split(/\s/)[0])).toEqual([
      'node:20-bookworm-slim',
      'node:20-bookworm-slim',
    ]);
    const [build, runtime] = stages;
    expect(build).toMatch(/^RUN npm ci --ignore-scripts$/m);
    expect(build).toMatch(/^RUN npm run build$/m);
    expect(runtime).toMatch(/^RUN npm ci --omit=dev --ignore-scripts/m);
    expect(runtime).toMatch(/^COPY --from=build \/app\/dist dist$/m);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^CMD \["node", "dist\/apps\/coordinator\/src\/main\.js"\]$/m);
  });

  it('CMD and the worker command name entry points that exist in the sources', () => {
    for (const main of ['dist/apps/coordinator/src/main.js', 'dist/apps/node-worker/src/main.js']) {
      expect(
        existsSync(join(ROOT, main.replace(/^dist\//, '').replace(/\.js$/, '.ts'))),
        main,
      ).toBe(true);
    }
  });
});

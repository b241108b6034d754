/**
 * End-to-end: the built coordinator and node-workers as separate processes
 * against a real Redis (see test/global-setup.ts), each group on its own queue
 * prefix. The distributed report must equal the embedded CLI report byte for
 * byte once `run` is removed — through a worker or the coordinator dying mid-run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import {
  compileExperiment,
  FleetEngine,
  parseSpecOrThrow,
  type Report,
} from '../libs/kdump-core/src';
import {
  CoordinatorApi,
  embeddedReport,
  fleetsim,
  http,
  readText,
  runOf,
  withoutRun,
  type ExperimentJson,
} from './support/api';
import { ROOT, sleep, type AppProcess } from './support/apps';
import { useFleet } from './support/fleet-hooks';
import { familyOf, parsePrometheusText, sumOf, type Exposition } from './support/prometheus';
import { shardQueueCounts } from './support/redis';

const QUICKSTART = 'examples/quickstart.yaml';

let tmp: string;
/** Quickstart with 20× the servers in shards of 100: runs for a few seconds on 2 workers. */
let bigSpec: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fleetsim-dist-e2e-'));
  const spec = parseYaml(readText(join(ROOT, QUICKSTART))) as {
    name: string;
    fleet: Array<{ count: number }>;
    run?: Record<string, unknown>;
  };
  spec.name = 'quickstart-x20';
  for (const group of spec.fleet) {
    group.count *= 20;
  }
  spec.run = { ...spec.run, shardSize: 100 };
  bigSpec = join(tmp, 'quickstart-x20.yaml');
  writeFileSync(bigSpec, stringifyYaml(spec));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** Report fields that count jobs: equal when every shard was merged exactly once. */
function jobCounts(report: Report): unknown {
  return {
    crash: report.crash && {
      jobs: report.crash.jobs,
      strategies: report.crash.strategies.map((s) => [s.strategy, s.jobs, s.captured]),
    },
    reboot: report.reboot && {
      jobs: report.reboot.jobs,
      strategies: report.reboot.strategies.map((s) => [s.strategy, s.jobs, s.inService]),
    },
  };
}

/** Expects the served report to be the embedded one of `file`, byte for byte without `run`. */
async function expectSameAsEmbedded(api: CoordinatorApi, id: string, file: string): Promise<void> {
  const [served, reference] = await Promise.all([api.reportText(id), embeddedReport(file)]);
  expect(jobCounts(JSON.parse(served) as Report)).toEqual(
    jobCounts(JSON.parse(reference) as Report),
  );
  expect(withoutRun(served)).toBe(withoutRun(reference));
  expect(runOf(served)).toMatchObject({ mode: 'distributed' });
}

async function scrape(app: AppProcess): Promise<{ text: string; metrics: Exposition }> {
  const r = await http('GET', `${app.url}/metrics`);
  expect(r.status, `${app.name} /metrics`).toBe(200);
  expect(r.contentType).toMatch(/^text\/plain/);
  return { text: r.text, metrics: parsePrometheusText(r.text) };
}

/** Every sample belongs to a family with a TYPE line. */
function expectTyped(name: string, e: Exposition): void {
  const untyped = [...new Set(e.samples.map((s) => s.name))].filter((n) => !familyOf(e, n));
  expect(untyped, `${name}: samples without a # TYPE`).toEqual([]);
}

const promtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;

describe('coordinator + 2 workers', () => {
  const h = useFleet('main');
  let coordinator: AppProcess;
  let workers: AppProcess[];
  let api: CoordinatorApi;
  let quickstartId: string;
  let quickstart: ExperimentJson;

  beforeAll(async () => {
    [coordinator, ...workers] = await Promise.all([
      h.fleet.coordinator(),
      h.fleet.worker(),
      h.fleet.worker(),
    ]);
    api = new CoordinatorApi(coordinator.url);
  });

  it('runs examples/quickstart.yaml to the embedded report, byte for byte but `run`', async () => {
    const post = await api.postSpec(readText(join(ROOT, QUICKSTART)));
    expect(post.status, post.text).toBe(201);
    expect(post.json).toMatchObject({
      name: 'quickstart',
      servers: 3000,
      state: expect.stringMatching(/^(queued|running|done)$/),
      shards: { done: expect.any(Number), total: expect.any(Number) },
    });
    expect(typeof post.json.createdAt).toBe('string');
    quickstartId = post.json.id;
    quickstart = await api.waitDone(quickstartId, 60_000);
    expect(quickstart.shards.done).toBe(quickstart.shards.total);
    expect(quickstart.shards.total).toBeGreaterThan(0);
    expect(quickstart.finishedAt).toBeTruthy();
    await expectSameAsEmbedded(api, quickstartId, QUICKSTART);

    const docs = await http('GET', `${api.base}/docs`);
    expect(docs.status, 'OpenAPI at /docs').toBe(200);
    expect(docs.contentType).toMatch(/html/);

    const list = await http<unknown>('GET', `${api.base}/experiments`);
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.json)).toContain(quickstartId);
    const markdown = await http(
      'GET',
      `${api.base}/experiments/${quickstartId}/report?format=markdown`,
    );
    expect(markdown.status).toBe(200);
    expect(markdown.text).toContain('quickstart');
  });

  it('has /metrics on both apps that parse and carry the finished experiment', async () => {
    const report = JSON.parse(await api.reportText(quickstartId)) as Report;
    const { metrics: c } = await scrape(coordinator);
    expectTyped('coordinator', c);
    const exp = { experiment: quickstartId };
    expect(c.types.get('fleetsim_recoveries_total')).toBe('counter');
    for (const s of report.crash!.strategies) {
      // profile="*" is the whole fleet; each profile's series add up to it.
      const at = { ...exp, strategy: s.strategy, profile: '*' };
      const crash = { ...at, kind: 'crash' };
      const profiles = report.crash!.byProfile.map((p) => p.profile);
      expect(
        profiles.reduce(
          (a, profile) =>
            a + sumOf(c, 'fleetsim_recoveries_total', { ...crash, profile, outcome: 'captured' }),
          0,
        ),
        s.strategy,
      ).toBe(s.captured);
      expect(
        sumOf(c, 'fleetsim_recoveries_total', { ...crash, outcome: 'captured' }),
        s.strategy,
      ).toBe(s.captured);
      expect(sumOf(c, 'fleetsim_recoveries_total', crash), s.strategy).toBe(s.jobs);
      expect(sumOf(c, 'fleetsim_capture_success_ratio', at), s.strategy).toBeCloseTo(
        s.captured / s.jobs,
        9,
      );
      expect(sumOf(c, 'fleetsim_downtime_seconds_count', crash), s.strategy).toBe(
        s.downtimeSeconds.count,
      );
      // Crash only: no `kind` label.
      expect(sumOf(c, 'fleetsim_capture_kernel_boot_seconds_count', at), s.strategy).toBe(
        s.captureKernelBootSeconds.count,
      );
      for (const [deviceClass, summary] of Object.entries(s.deviceReinitSeconds)) {
        expect(
          sumOf(c, 'fleetsim_device_reinit_seconds_count', { ...crash, device_class: deviceClass }),
          `${s.strategy} ${deviceClass}`,
        ).toBe(summary.count);
      }
    }
    expect(sumOf(c, 'fleetsim_experiment_progress_ratio', exp)).toBe(1);
    expect(sumOf(c, 'fleetsim_experiments', { state: 'done' })).toBeGreaterThanOrEqual(1);

    let shards = 0;
    let evaluations = 0;
    for (const w of workers) {
      const { metrics: m } = await scrape(w);
      expectTyped(w.name, m);
      shards += sumOf(m, 'fleetsim_worker_shards_processed_total');
      evaluations += sumOf(m, 'fleetsim_worker_evaluations_total');
      expect(sumOf(m, 'fleetsim_worker_job_failures_total'), w.name).toBe(0);
    }
    // No worker died here: each shard ran exactly once.
    expect(shards).toBe(quickstart.shards.total);
    expect(evaluations).toBe(report.crash!.jobs * report.crash!.strategies.length);
  });

  it('passes `promtool check metrics` on both apps', async (ctx) => {
    if (!promtool) {
      const why = 'promtool is not on PATH (Debian package "prometheus"): promtool check skipped';
      console.log(why);
      ctx.skip(why);
    }
    const said: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const app of [coordinator, ...workers]) {
      const { text } = await scrape(app);
      const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      said[app.name] =
        `${r.stdout}${r.stderr}`.trim() + (r.status === 0 ? '' : ` (exit ${r.status})`);
      expected[app.name] = '';
    }
    expect(said, 'promtool check metrics, per app').toEqual(expected);
  });

  it('gives the same report through `fleetsim run --coordinator`', async () => {
    const r = await fleetsim([
      'run',
      QUICKSTART,
      '--coordinator',
      coordinator.url,
      '--format',
      'json',
    ]);
    expect(r.stderr).toMatch(/^fleetsim: experiment \S+ submitted to http:\/\/127\.0\.0\.1:\d+\n$/);
    expect(r.code).toBe(0);
    expect(withoutRun(r.stdout)).toBe(withoutRun(await embeddedReport(QUICKSTART)));
    expect(r.stdout).toBe(JSON.stringify(JSON.parse(r.stdout), null, 2) + '\n');

    const viaEnv = await fleetsim(['status', quickstartId, '--format', 'json'], {
      env: { FLEETSIM_COORDINATOR: coordinator.url },
    });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(JSON.parse(viaEnv.stdout)).toMatchObject({ id: quickstartId, state: 'done' });
    const table = await fleetsim(['status', quickstartId, '--coordinator', coordinator.url]);
    expect(table.stdout).toMatch(/^state\s+done$/m);
  });

  it('answers one crash of one named server with the core trace', async () => {
    const model = compileExperiment(parseSpecOrThrow(readText(join(ROOT, QUICKSTART))));
    const engine = new FleetEngine(model);
    // storage-2s comes after 1,500 compute-2s servers.
    for (const [profile, index, server] of [
      ['compute-2s', 0, 0],
      ['storage-2s', 3, 1503],
      ['gpu-node', 499, 2999],
    ] as const) {
      const r = await http(
        'POST',
        `${api.base}/servers/${profile}/${index}/crash?experiment=${quickstartId}`,
      );
      expect([200, 201], r.text).toContain(r.status);
      expect(r.json).toEqual(JSON.parse(JSON.stringify(engine.traceJob(server, 'crash', 0))));
    }
  });

  it('refuses bad specs with every error and its path, and enqueues nothing', async () => {
    const before = await shardQueueCounts(h.redisUrl, h.prefix);
    const listBefore = await http<unknown>('GET', `${api.base}/experiments`);

    const yaml = [
      'name: broken',
      'seed: 1',
      'fleet:',
      '  - profile: compute-2s',
      '    count: -5',
      '  - profile: no-such-profile',
      '    count: 10',
      'events:',
      '  crash:',
      '    perServer: 1',
      '    causes: { panic: 1 }',
      'strategies: [none, no-such-strategy]',
      '',
    ].join('\n');
    const bad = await api.postSpec(yaml);
    expect(bad.status, bad.text).toBe(400);
    const body = bad.json as unknown as {
      message: string;
      errors: Array<{ path: string; line?: number; message: string }>;
    };
    expect(typeof body.message).toBe('string');
    const paths = body.errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['fleet[0].count', 'fleet[1].profile']));
    expect(paths.some((p) => p.startsWith('strategies'))).toBe(true);
    expect(body.errors.find((e) => e.path === 'fleet[0].count')?.line).toBe(5);
    for (const e of body.errors) {
      expect(e.message.length).toBeGreaterThan(0);
    }

    const syntax = await api.postSpec('name: [unclosed\nseed: 1\n');
    expect(syntax.status).toBe(400);
    expect(JSON.stringify(syntax.json)).toMatch(/"line":\s*\d+/);

    const json = await api.postSpec(
      JSON.stringify({ name: 'x', fleet: 'many' }),
      'application/json',
    );
    expect(json.status).toBe(400);
    expect(JSON.stringify(json.json)).toContain('fleet');

    const empty = await api.postSpec('', 'application/yaml');
    expect(empty.status).toBeGreaterThanOrEqual(400);
    expect(empty.status).toBeLessThan(500);

    // The CLI prints them the compiler way and exits 2.
    const file = join(tmp, 'broken.yaml');
    writeFileSync(file, yaml);
    const cli = await fleetsim(['run', file, '--coordinator', coordinator.url]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain(`${file}:5: fleet[0].count: `);

    expect(await shardQueueCounts(h.redisUrl, h.prefix)).toEqual(before);
    const listAfter = await http<unknown>('GET', `${api.base}/experiments`);
    expect(listAfter.json).toEqual(listBefore.json);
  });

  it('answers 404 with a clear message for unknown experiments and servers', async () => {
    for (const [method, path] of [
      ['GET', '/experiments/no-such-experiment'],
      ['GET', '/experiments/no-such-experiment/report'],
      ['DELETE', '/experiments/no-such-experiment'],
      ['POST', '/servers/compute-2s/0/crash?experiment=no-such-experiment'],
    ] as const) {
      const r = await http(method, api.base + path);
      expect(r.status, `${method} ${path}: ${r.text}`).toBe(404);
      expect((r.json as { message?: string }).message, `${method} ${path}`).toContain(
        'no-such-experiment',
      );
    }
    for (const path of [
      `/servers/no-such-profile/0/crash?experiment=${quickstartId}`,
      `/servers/compute-2s/1500/crash?experiment=${quickstartId}`,
      `/servers/compute-2s/-1/crash?experiment=${quickstartId}`,
      `/servers/compute-2s/0/explode?experiment=${quickstartId}`,
    ]) {
      const r = await http('POST', api.base + path);
      expect(r.status, `POST ${path}: ${r.text}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `POST ${path}: ${r.text}`).toBeLessThan(500);
    }
    const cli = await fleetsim(['status', 'no-such-experiment', '--coordinator', coordinator.url]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('no experiment "no-such-experiment"');
  });

  it('cancels a running experiment and leaves nothing queued', async () => {
    const id = await api.submit(readText(bigSpec));
    const running = await api.waitFor(
      id,
      (e) => e.state === 'running' || e.state === 'done',
      30_000,
    );
    expect(running.state).toBe('running');
    const early = await http('GET', `${api.base}/experiments/${id}/report`);
    expect(early.status, early.text).toBe(409);

    const del = await http<ExperimentJson>('DELETE', `${api.base}/experiments/${id}`);
    expect([200, 202], del.text).toContain(del.status);
    const cancelled = await api.waitFor(id, (e) => e.state === 'cancelled', 10_000);
    expect(cancelled.shards.done).toBeLessThan(cancelled.shards.total);

    let counts: Record<string, number> = {};
    const deadline = Date.now() + 15_000;
    do {
      counts = await shardQueueCounts(h.redisUrl, h.prefix);
      if (counts.waiting! + counts.delayed! + counts.prioritized! + counts.active! === 0) {
        break;
      }
      await sleep(100);
    } while (Date.now() < deadline);
    expect(counts).toMatchObject({ waiting: 0, delayed: 0, prioritized: 0, active: 0 });
    await sleep(500);
    expect((await api.experiment(id)).json.state).toBe('cancelled');
    expect((await http('GET', `${api.base}/experiments/${id}/report`)).status).toBe(410);
    const status = await fleetsim(['status', id, '--coordinator', coordinator.url]);
    expect(status.stdout).toMatch(/^state\s+cancelled$/m);
    // Cancelling again is refused, saying why.
    const again = await fleetsim(['cancel', id, '--coordinator', coordinator.url]);
    expect(again.code, again.stdout).toBe(2);
    expect(again.stderr).toMatch(/\b4\d\d\b/);
  });

  it('stops on SIGTERM', async () => {
    const exits = await Promise.all([coordinator, ...workers].map((a) => a.stop(15_000)));
    for (const [i, exit] of exits.entries()) {
      expect(exit, [coordinator, ...workers][i]!.name).toEqual({ code: 0, signal: null });
    }
  });
});

/** Waits until a tenth of the experiment's shards (at least 2) are done, or it left running. */
function underway(api: CoordinatorApi, id: string): ReturnType<CoordinatorApi['waitFor']> {
  return api.waitFor(
    id,
    (e) => e.shards.done >= Math.max(2, e.shards.total / 10) || e.state !== 'running',
    60_000,
  );
}

describe('a worker killed with SIGKILL mid-run', () => {
  const h = useFleet('kill-worker');

  it('completes, every shard merged once, with the embedded report', async () => {
    const reference = embeddedReport(bigSpec);
    const [coordinator, victim, survivor] = await Promise.all([
      h.fleet.coordinator(),
      h.fleet.worker(),
      h.fleet.worker(),
    ]);
    const api = new CoordinatorApi(coordinator.url);
    const id = await api.submit(readText(bigSpec));
    const mid = await underway(api, id);
    victim.kill('SIGKILL');
    expect(mid.state).toBe('running');
    expect(mid.shards.done).toBeLessThan(mid.shards.total);
    await victim.exited;

    // The dead worker's shard comes back once its lock expires (BullMQ stalled check).
    const done = await api.waitDone(id, 120_000);
    expect(done.shards).toEqual({ done: mid.shards.total, total: mid.shards.total });
    await reference;
    await expectSameAsEmbedded(api, id, bigSpec);

    const survivorShards = sumOf(
      (await scrape(survivor)).metrics,
      'fleetsim_worker_shards_processed_total',
    );
    expect(survivorShards).toBeGreaterThan(0);
    expect(survivorShards).toBeLessThanOrEqual(done.shards.total);
  });
});

describe('the coordinator killed mid-run and restarted', () => {
  const h = useFleet('kill-coordinator');

  it('carries on where it was and completes with the embedded report', async () => {
    const reference = embeddedReport(bigSpec);
    const [first] = await Promise.all([h.fleet.coordinator(), h.fleet.worker(), h.fleet.worker()]);
    const api = new CoordinatorApi(first.url);
    const id = await api.submit(readText(bigSpec));
    const mid = await underway(api, id);
    first.kill('SIGKILL');
    expect(mid.state).toBe('running');
    expect(mid.shards.done).toBeLessThan(mid.shards.total);
    await first.exited;
    // The workers go on meanwhile.
    await sleep(500);

    const second = await h.fleet.coordinator({ port: first.port, name: 'coordinator-2' });
    const done = await api.waitDone(id, 120_000);
    expect(done.shards.done).toBe(done.shards.total);
    await reference;
    await expectSameAsEmbedded(api, id, bigSpec);
    expect(second.exitStatus).toBeNull();
  });
});

describe('Redis unreachable', () => {
  const h = useFleet('no-redis');

  it('gives 503 on /health and clear errors, and does not crash', async () => {
    const env = { REDIS_URL: 'redis://127.0.0.1:1' };
    const [coordinator, worker] = await Promise.all([
      h.fleet.coordinator({ env, waitFor: 'answering' }),
      h.fleet.worker({ env, waitFor: 'answering' }),
    ]);
    for (const app of [coordinator, worker]) {
      const r = await http('GET', `${app.url}/health`);
      expect(r.status, `${app.name}: ${r.text}`).toBe(503);
    }
    const post = await http('POST', `${coordinator.url}/experiments`, {
      text: readText(join(ROOT, QUICKSTART)),
      contentType: 'application/yaml',
    });
    expect(post.status, post.text).toBeGreaterThanOrEqual(500);
    expect(typeof (post.json as { message?: unknown }).message).toBe('string');

    // Still alive a while later, still saying so.
    await sleep(3000);
    for (const app of [coordinator, worker]) {
      expect(app.exitStatus, `${app.name} exited`).toBeNull();
      expect((await http('GET', `${app.url}/health`)).status).toBe(503);
    }
    const cli = await fleetsim(['run', QUICKSTART, '--coordinator', coordinator.url]);
    expect(cli.code).toBe(1);
  });
});

describe('the coordinator not running at all', () => {
  it('makes `fleetsim run --coordinator` name the URL and exit 1', async () => {
    const r = await fleetsim(['run', QUICKSTART, '--coordinator', 'http://127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^fleetsim: cannot reach the coordinator at http:\/\/127\.0\.0\.1:1: /,
    );
  });
});

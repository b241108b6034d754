/**
 * The coordinator against a real Redis, in-process, with an in-process BullMQ
 * worker standing in for the node-workers (it calls runShardJob/runTraceJob).
 * Each test has its own queue prefix and cleans up after itself.
 */
import { Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import {
  compileExperiment,
  FleetEngine,
  parseSpecOrThrow,
  renderReportHtml,
  runExperiment,
  SHARD_JOB,
  shardJobId,
  type Report,
} from '../../../libs/kdump-core/src';
import type { CoordinatorConfig } from '../src/config/coordinator.config';
import { QueueRepository } from '../src/repositories/queue.repository';
import { WorkerRepository, type JobHandlers } from '../src/repositories/worker.repository';
import {
  api,
  cleanup,
  connection,
  coordinatorConfig,
  example,
  freshPrefix,
  INVALID_SPEC,
  queueCounts,
  startCoordinator,
  startShardWorker,
  until,
  withoutRun,
  type RunningCoordinator,
  type StandInWorker,
} from './coordinator-rig';

const QUICKSTART = example('quickstart.yaml');
const quickstart = parseSpecOrThrow(QUICKSTART);
const embedded = JSON.stringify(runExperiment(quickstart).report);

/** Everything a test started, stopped and cleaned up afterwards. */
const running: { apps: RunningCoordinator[]; workers: StandInWorker[]; prefixes: string[] } = {
  apps: [],
  workers: [],
  prefixes: [],
};

async function coordinator(
  prefix: string,
  overrides: Partial<CoordinatorConfig> = {},
  providers: Parameters<typeof startCoordinator>[1] = [],
) {
  const c = await startCoordinator(coordinatorConfig(prefix, overrides), providers);
  running.apps.push(c);
  return { ...c, http: api(c.url) };
}

function shardWorker(
  prefix: string,
  options?: Parameters<typeof startShardWorker>[1],
): StandInWorker {
  const w = startShardWorker(prefix, options);
  running.workers.push(w);
  return w;
}

function prefix(): string {
  const p = freshPrefix();
  running.prefixes.push(p);
  return p;
}

async function stop(c: RunningCoordinator): Promise<void> {
  running.apps = running.apps.filter((a) => a !== c);
  await c.app.close();
}

afterEach(async () => {
  await Promise.all(running.workers.map((w) => w.close(true)));
  await Promise.all(running.apps.map((c) => c.app.close()));
  await Promise.all(running.prefixes.map((p) => cleanup(p)));
  running.apps = [];
  running.workers = [];
  running.prefixes = [];
});

/** `name{labels}` → value, checking every line is Prometheus text. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) {
      continue;
    }
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

describe('an experiment end to end', () => {
  it('gives the embedded report byte for byte, its markdown and HTML, its metrics and traces', async () => {
    const p = prefix();
    const { http } = await coordinator(p);
    shardWorker(p);

    const created = await http.post('/experiments?shardSize=250', QUICKSTART);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      name: 'quickstart',
      state: 'queued',
      servers: 3000,
      shards: { done: 0, total: 12 },
    });
    expect(created.json.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const id = created.json.id as string;

    const done = await http.finished(id);
    expect(done).toMatchObject({ state: 'done', shards: { done: 12, total: 12 }, etaSeconds: 0 });
    expect(done.jobsPerSecond).toBeGreaterThan(0);
    expect(done.startedAt).not.toBeNull();
    expect(done.finishedAt).not.toBeNull();

    const report = await http.get(`/experiments/${id}/report`);
    expect(report.status).toBe(200);
    expect(withoutRun(report.json)).toBe(embedded);
    expect(report.json.run).toMatchObject({
      mode: 'distributed',
      shards: 12,
      shardSize: 250,
      threads: 1,
    });
    expect(report.json.run.wallSeconds).toBeGreaterThan(0);

    const markdown = await http.get(`/experiments/${id}/report?format=markdown`);
    expect(markdown.status).toBe(200);
    expect(markdown.headers.get('content-type')).toMatch(/^text\/markdown/);
    expect(markdown.text).toMatch(/^# kdump fleet simulation: quickstart/);

    // The HTML page is the core's rendering of the very report the JSON endpoint gives.
    const html = await http.get(`/experiments/${id}/report?format=html`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html.text).toBe(renderReportHtml(report.json as Report));
    expect(html.text).toContain('data-chart="capture-rate"');
    expect((await http.get(`/experiments/${id}/report?format=json`)).json).toEqual(report.json);
    const bogus = await http.get(`/experiments/${id}/report?format=bogus`);
    expect(bogus.status).toBe(400);
    expect(bogus.json.message).toBe('format must be one of json, markdown, html, got "bogus"');

    const list = await http.get('/experiments');
    expect(list.json.map((e: { id: string }) => e.id)).toEqual([id]);

    // Metrics: the finished experiment's numbers, from the merged aggregate.
    const scraped = await http.get('/metrics');
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
    const metrics = parseMetrics(scraped.text);
    const r = report.json as Report;
    for (const s of r.crash!.strategies) {
      expect(
        metrics.get(
          `fleetsim_recoveries_total{experiment="${id}",strategy="${s.strategy}",kind="crash",profile="*",outcome="captured"}`,
        ),
      ).toBe(s.captured);
      for (const [reason, n] of Object.entries(s.failureReasons)) {
        expect(
          metrics.get(
            `fleetsim_recoveries_total{experiment="${id}",strategy="${s.strategy}",kind="crash",profile="*",outcome="${reason}"}`,
          ),
        ).toBe(n);
      }
      expect(
        metrics.get(
          `fleetsim_capture_success_ratio{experiment="${id}",strategy="${s.strategy}",profile="*"}`,
        ),
      ).toBeCloseTo(s.captureRate.value!, 12);
      expect(
        metrics.get(
          `fleetsim_capture_kernel_boot_seconds_count{experiment="${id}",strategy="${s.strategy}",profile="*"}`,
        ),
      ).toBe(s.captureKernelBootSeconds.count);
      expect(
        metrics.get(
          `fleetsim_downtime_seconds_bucket{experiment="${id}",strategy="${s.strategy}",kind="crash",profile="*",le="+Inf"}`,
        ),
      ).toBe(s.downtimeSeconds.count);
      for (const [deviceClass, t] of Object.entries(s.deviceReinitSeconds)) {
        expect(
          metrics.get(
            `fleetsim_device_reinit_seconds_count{experiment="${id}",strategy="${s.strategy}",kind="crash",profile="*",device_class="${deviceClass}"}`,
          ),
        ).toBe(t.count);
      }
    }
    // Per profile: the report's byProfile, and the profiles add up to the fleet.
    for (const p of r.crash!.byProfile) {
      for (const s of p.strategies) {
        expect(
          metrics.get(
            `fleetsim_recoveries_total{experiment="${id}",strategy="${s.strategy}",kind="crash",profile="${p.profile}",outcome="captured"}`,
          ),
        ).toBe(s.successes);
      }
    }
    for (const s of r.crash!.strategies) {
      const perProfile = r.crash!.byProfile.reduce(
        (a, p) =>
          a +
          metrics.get(
            `fleetsim_recoveries_total{experiment="${id}",strategy="${s.strategy}",kind="crash",profile="${p.profile}",outcome="captured"}`,
          )!,
        0,
      );
      expect(perProfile).toBe(s.captured);
    }
    expect(metrics.get(`fleetsim_experiment_progress_ratio{experiment="${id}"}`)).toBe(1);
    expect(metrics.get('fleetsim_experiments{state="done"}')).toBe(1);
    expect(metrics.get('fleetsim_queue_jobs{queue="shards",state="waiting"}')).toBe(0);
    expect(metrics.has('process_cpu_seconds_total')).toBe(true);
    if (hasPromtool) {
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: scraped.text });
      expect(`${lint.stdout}${lint.stderr}`.trim()).toBe('');
      expect(lint.status).toBe(0);
    }

    // One crash of one named server: the very trace the core computes.
    const engine = new FleetEngine(compileExperiment(quickstart));
    const trace = await http.post(`/servers/gpu-node/3/crash?experiment=${id}`);
    expect(trace.status).toBe(200);
    expect(trace.json).toEqual(JSON.parse(JSON.stringify(engine.traceJob(2503, 'crash', 0))));
    const inline = await http.post('/servers/storage-2s/0/crash', QUICKSTART);
    expect(inline.status).toBe(200);
    expect(inline.json).toMatchObject({ server: 1500, profile: 'storage-2s', kind: 'crash' });

    const noProfile = await http.post(`/servers/nope/0/crash?experiment=${id}`);
    expect(noProfile.status).toBe(404);
    expect(noProfile.json.message).toMatch(/profile "nope" is not in this fleet/);
    const outOfRange = await http.post(`/servers/gpu-node/500/crash?experiment=${id}`);
    expect(outOfRange.status).toBe(404);
    expect(outOfRange.json.message).toMatch(/has 500 server\(s\).*500 is out of range/);
    expect((await http.post(`/servers/gpu-node/x1/crash?experiment=${id}`)).status).toBe(400);
    const noEvent = await http.post(`/servers/gpu-node/3/crash?experiment=${id}&event=4`);
    expect(noEvent.status).toBe(400);
    expect(noEvent.json.message).toMatch(/event 4 does not happen/);
    const noReboot = await http.post(`/servers/gpu-node/3/reboot?experiment=${id}`);
    expect(noReboot.status).toBe(400);
    expect(noReboot.json.message).toMatch(/no reboot events/);
    expect((await http.post('/servers/gpu-node/3/crash?experiment=exp_nope')).status).toBe(404);
    const badInline = await http.post('/servers/gpu-node/3/crash', INVALID_SPEC);
    expect(badInline.status).toBe(400);
    expect(badInline.json.errors[0]).toMatchObject({
      path: expect.any(String),
      line: expect.any(Number),
    });
  });
});

/** Processes every merge twice, as BullMQ would after a coordinator died mid-merge. */
@Injectable()
class TwiceMergingWorkerRepository extends WorkerRepository {
  static merges = 0;
  start(handlers: JobHandlers, onFailed: Parameters<WorkerRepository['start']>[1]): void {
    super.start(
      {
        ...handlers,
        merge: async (job: Job) => {
          const first = await handlers.merge(job);
          TwiceMergingWorkerRepository.merges++;
          const second = await handlers.merge(job);
          TwiceMergingWorkerRepository.merges++;
          expect(second).toEqual(first);
          return second;
        },
      },
      onFailed,
    );
  }
}

describe('exactly once', () => {
  it('a shard re-added after it completed, and a merge processed twice, change nothing', async () => {
    const p = prefix();
    const c = await coordinator(p, {}, [[WorkerRepository, TwiceMergingWorkerRepository]]);
    const queues = c.app.get(QueueRepository);
    let readded = false;
    // One shard at a time, in order: shard 0 completes while the others wait; it is
    // then enqueued again under the same id and parent, and runs a second time.
    const worker = shardWorker(p, { concurrency: 1 });
    worker.shards.on('completed', (job) => {
      if (job.name === SHARD_JOB && job.data.shard.index === 0 && !readded) {
        readded = true;
        void queues.addShards(job.data.experimentId, quickstart.spec, [job.data.shard]);
      }
    });
    const runs = new Map<number, number>();
    worker.shards.on('completed', (job) => {
      if (job.name === SHARD_JOB) {
        runs.set(job.data.shard.index, (runs.get(job.data.shard.index) ?? 0) + 1);
      }
    });
    TwiceMergingWorkerRepository.merges = 0;

    const created = await c.http.post('/experiments?shardSize=300', QUICKSTART);
    const id = created.json.id as string;
    const done = await c.http.finished(id);
    expect(done.state).toBe('done');
    expect(runs.get(0)).toBe(2);
    // The state is done after the first pass; the second one follows.
    expect(
      await until(
        async () => TwiceMergingWorkerRepository.merges,
        (n) => n === 2,
      ),
    ).toBe(2);
    const report = await c.http.get(`/experiments/${id}/report`);
    expect(withoutRun(report.json)).toBe(embedded);

    // After the merge the parent is gone: a late duplicate of a shard has nowhere to land.
    await expect(
      queues.addShards(id, quickstart.spec, [{ index: 3, serverStart: 900, serverEnd: 1200 }]),
    ).rejects.toThrow(/parent/i);
    const again = await c.http.get(`/experiments/${id}/report`);
    expect(withoutRun(again.json)).toBe(embedded);
    const counts = await queueCounts(p);
    expect(counts.shards.waiting + counts.shards.active + counts.shards.delayed).toBe(0);
    expect(Object.values(counts.experiments).every((n) => n === 0)).toBe(true);
  });

  it('a coordinator that was down when the shards finished merges them once it is back', async () => {
    const p = prefix();
    const first = await coordinator(p);
    const created = await first.http.post('/experiments?shardSize=500', QUICKSTART);
    const id = created.json.id as string;
    await stop(first);

    shardWorker(p);
    await until(
      () => queueCounts(p),
      (c) => c.shards.waiting + c.shards.active === 0 && c.experiments.waiting === 1,
    );
    const second = await coordinator(p);
    const done = await second.http.finished(id);
    expect(done).toMatchObject({ state: 'done', shards: { done: 6, total: 6 } });
    const report = await second.http.get(`/experiments/${id}/report`);
    expect(withoutRun(report.json)).toBe(embedded);
  });
});

describe('traces', () => {
  it("are answered while an experiment's shards wait: traces have a queue of their own", async () => {
    const p = prefix();
    const c = await coordinator(p, { traceTimeoutMs: 5000 });
    const worker = shardWorker(p);
    await worker.shards.pause();
    const created = await c.http.post('/experiments?shardSize=300', QUICKSTART);
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    const waiting = await until(
      () => queueCounts(p),
      (q) => (q.shards.waiting ?? 0) === 10,
    );
    expect(waiting.shards.waiting).toBe(10);

    const trace = await c.http.post(`/servers/gpu-node/3/crash?experiment=${id}`);
    expect(trace.status).toBe(200);
    expect(trace.json).toEqual(
      JSON.parse(
        JSON.stringify(new FleetEngine(compileExperiment(quickstart)).traceJob(2503, 'crash', 0)),
      ),
    );
    expect((await queueCounts(p)).shards.waiting).toBe(10);
    await worker.shards.resume();
    expect((await c.http.finished(id)).state).toBe('done');
  });
});

describe('refusals', () => {
  it('an invalid spec is a 400 with paths and lines, and nothing is enqueued', async () => {
    const p = prefix();
    const { http } = await coordinator(p, { maxServersPerSpec: 2000 });
    const bad = await http.post(
      '/experiments',
      'name: bad\nseed: 1\nfleet:\n  - profile: nope\n    count: 0\nevents:\n  crash:\n    perServer: 1\n    causes: { panic: 1 }\nstrategies: [none, bogus]\n',
    );
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/invalid spec: 3 error\(s\); nothing was enqueued/);
    expect(bad.json.errors).toEqual(
      expect.arrayContaining([
        { path: 'fleet[0].count', line: 5, message: expect.stringMatching(/>=1/) },
        {
          path: 'fleet[0].profile',
          line: 4,
          message: expect.stringMatching(/unknown profile "nope"/),
        },
        {
          path: 'strategies[1]',
          line: 10,
          message: expect.stringMatching(/unknown strategy "bogus"/),
        },
      ]),
    );
    const json = await http.post(
      '/experiments',
      '{"name": "x",\n "seed": "y"}',
      'application/json',
    );
    expect(json.status).toBe(400);
    expect(json.json.errors).toContainEqual(expect.objectContaining({ path: 'seed', line: 2 }));

    const tooBig = await http.post('/experiments', QUICKSTART);
    expect(tooBig.status).toBe(400);
    expect(tooBig.json.errors).toEqual([
      {
        path: 'fleet',
        line: 10,
        message: expect.stringMatching(/3000 servers.*at most 2000.*MAX_SERVERS_PER_SPEC/),
      },
    ]);
    const badShardSize = await http.post('/experiments?shardSize=-1', QUICKSTART);
    expect(badShardSize.status).toBe(400);
    expect(badShardSize.json.errors[0].path).toBe('shardSize');
    expect((await http.post('/experiments', '')).status).toBe(400);
    const form = await http.post('/experiments', QUICKSTART, 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
    const huge = await http.post('/experiments', `# ${'x'.repeat(1024 * 1024)}\n${QUICKSTART}`);
    expect(huge.status).toBe(413);
    expect(huge.json.message).toMatch(/MAX_BODY_BYTES/);

    const counts = await queueCounts(p);
    expect(Object.values(counts.shards).every((n) => n === 0)).toBe(true);
    expect(Object.values(counts.experiments).every((n) => n === 0)).toBe(true);
    expect((await http.get('/experiments')).json).toEqual([]);
  });

  it('an unknown id is a 404 with a clear message', async () => {
    const { http } = await coordinator(prefix());
    for (const res of [
      await http.get('/experiments/exp_nope'),
      await http.get('/experiments/exp_nope/report'),
      await http.delete('/experiments/exp_nope'),
    ]) {
      expect(res.status).toBe(404);
      expect(res.json.message).toBe('experiment "exp_nope" not found');
    }
    const badLimit = await http.get('/experiments?limit=0');
    expect(badLimit.status).toBe(400);
    expect(badLimit.json.message).toMatch(/limit must be an integer 1\.\.1000/);
  });
});

describe('retention', () => {
  it('deletes finished experiments beyond KEEP_EXPERIMENTS with their results, never active ones', async () => {
    const p = prefix();
    const c = await coordinator(p, { keepExperiments: 2 });
    const submit = async () => {
      await new Promise((r) => setTimeout(r, 5)); // distinct createdAt scores
      const created = await c.http.post('/experiments', QUICKSTART);
      expect(created.status).toBe(201);
      return created.json.id as string;
    };
    // No worker yet: three active experiments, all kept although KEEP_EXPERIMENTS is 2.
    const [a, b, d] = [await submit(), await submit(), await submit()];
    for (const id of [a, b, d]) {
      expect((await c.http.get(`/experiments/${id}`)).json.state).toBe('queued');
    }
    shardWorker(p);
    for (const id of [a, b, d]) {
      expect((await c.http.finished(id)).state).toBe('done');
    }
    const redis = new Redis(connection);
    try {
      const aggregateKeys = async () =>
        (await redis.keys(`${p}:*:aggregate`)).map((k) => k.split(':').at(-2)).sort();
      expect(await aggregateKeys()).toEqual([a, b, d].sort());

      // The fourth submission leaves the newest two: itself and d.
      const e = await submit();
      expect((await c.http.get(`/experiments/${a}`)).status).toBe(404);
      expect((await c.http.get(`/experiments/${b}`)).status).toBe(404);
      expect((await c.http.get(`/experiments/${d}/report`)).status).toBe(200);
      expect((await c.http.get('/experiments')).json.map((x: { id: string }) => x.id)).toEqual([
        e,
        d,
      ]);
      expect(await redis.keys(`${p}:*${a}*`)).toEqual([]);
      expect((await c.http.finished(e)).state).toBe('done');
      expect(await aggregateKeys()).toEqual([d, e].sort());
    } finally {
      redis.disconnect();
    }
  });
});

describe('cancel', () => {
  it('removes every pending shard, also those the plan job added, and refuses twice', async () => {
    const p = prefix();
    const { http } = await coordinator(p);
    // 2,000 shards: 999 ride with the flow, the plan job adds the rest in chunks.
    const created = await http.post('/experiments?shardSize=50', example('fleet-100k.yaml'));
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    await until(
      () => queueCounts(p),
      (c) => c.shards.waiting === 2000,
    );
    const early = await http.get(`/experiments/${id}/report`);
    expect(early.status).toBe(409);
    expect(early.json.message).toMatch(/is queued \(0 of 2000 shards done\)/);

    const cancelled = await http.delete(`/experiments/${id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({
      id,
      state: 'cancelled',
      shards: { done: 0, total: 2000 },
    });
    const counts = await queueCounts(p);
    expect(counts.shards.waiting + counts.shards.delayed + counts.shards.prioritized).toBe(0);
    // The merge parent, left without children, stands down and goes away.
    const settled = await until(
      () => queueCounts(p),
      (c) => Object.values(c.experiments).every((n) => n === 0),
    );
    expect(settled.experiments).toMatchObject({ waiting: 0, 'waiting-children': 0, active: 0 });

    expect((await http.delete(`/experiments/${id}`)).status).toBe(409);
    const gone = await http.get(`/experiments/${id}/report`);
    expect(gone.status).toBe(410);
    expect(gone.json.message).toMatch(/was cancelled \(0 of 2000 shards done\): it has no report/);
    expect((await http.get(`/experiments/${id}`)).json.state).toBe('cancelled');
  });
});

describe('failures', () => {
  it('a shard that fails for good fails the experiment, with the reason', async () => {
    const p = prefix();
    const { http } = await coordinator(p);
    shardWorker(p, {
      concurrency: 1,
      before: (job) => {
        if (job.id?.endsWith('-2')) {
          throw new Error('simulated worker bug');
        }
      },
    });
    const created = await http.post('/experiments?shardSize=300', QUICKSTART);
    const id = created.json.id as string;
    // Three attempts with 2 s and 4 s of backoff.
    const failed = await http.finished(id, 30_000);
    expect(failed.state).toBe('failed');
    expect(failed.error).toBe(
      `shard 2 (job ${shardJobId(id, 2)}) failed after 3 attempt(s): simulated worker bug`,
    );
    const counts = await queueCounts(p);
    expect(counts.shards.waiting + counts.shards.delayed).toBe(0);
    expect((await http.get(`/experiments/${id}/report`)).status).toBe(410);
  });
});

describe('Redis down', () => {
  it('/health is 503 with the reason, the API 503, and the app keeps running', async () => {
    const { http, app } = await coordinator(freshPrefix(), {
      redis: { host: '127.0.0.1', port: 1, db: 0, maxRetriesPerRequest: null },
    });
    const started = Date.now();
    const health = await http.get('/health');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(health.status).toBe(503);
    expect(health.json).toEqual({
      status: 'error',
      redis: 'down',
      message: expect.stringMatching(/redis:\/\/127\.0\.0\.1:1\/0 is unreachable/),
    });
    const list = await http.get('/experiments');
    expect(list.status).toBe(503);
    expect(list.json.message).toMatch(/^Redis is unavailable/);
    expect((await http.post('/experiments', QUICKSTART)).status).toBe(503);
    expect((await http.get('/metrics')).status).toBe(200);
    expect((await http.get('/health')).status).toBe(503);
    const closing = Date.now();
    await stop({ app, url: '' });
    expect(Date.now() - closing).toBeLessThan(3000);
  });

  it('/health is 200 when Redis answers', async () => {
    const { http } = await coordinator(prefix());
    const health = await until(
      () => http.get('/health'),
      (r) => r.status === 200,
      5000,
    );
    expect(health.json).toEqual({ status: 'ok', redis: 'up' });
  });
});

describe('OpenAPI', () => {
  it('serves the document at /docs', async () => {
    const { http } = await coordinator(prefix());
    const doc = await http.get('/docs-json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.json.paths)).toEqual(
      expect.arrayContaining([
        '/experiments',
        '/experiments/{id}',
        '/experiments/{id}/report',
        '/servers/{profile}/{index}/crash',
        '/servers/{profile}/{index}/reboot',
        '/health',
        '/metrics',
      ]),
    );
    const report = doc.json.paths['/experiments/{id}/report'].get;
    expect(report.parameters).toContainEqual(
      expect.objectContaining({
        name: 'format',
        in: 'query',
        required: false,
        schema: expect.objectContaining({ enum: ['json', 'markdown', 'html'] }),
      }),
    );
    expect(Object.keys(report.responses['200'].content)).toEqual([
      'application/json',
      'text/markdown',
      'text/html',
    ]);
    expect(report.responses).toHaveProperty('400');
    expect((await http.get('/docs')).status).toBe(200);
  });
});

/**
 * The node-worker against a real Redis (REDIS_URL, else the local one): the app
 * started in-process on a free port, the compiled sandboxed processor from
 * `dist/` (npm test builds first), a fresh queue prefix per suite, everything
 * obliterated and closed afterwards.
 */
import type { INestApplication } from '@nestjs/common';
import { Job, Queue, QueueEvents } from 'bullmq';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRedisConnection } from '../../../libs/fleet-platform/src';
import {
  compileExperiment,
  JOB_CONTRACT_VERSION,
  ModelCache,
  parseSpecOrThrow,
  planShards,
  runShardJob,
  runTraceJob,
  SHARD_JOB,
  SHARD_QUEUE,
  shardJobId,
  TRACE_JOB,
  TRACE_QUEUE,
  type ShardJobData,
  type TraceJobData,
} from '../../../libs/kdump-core/src';
import { listeningPort, startWorkerApp } from './main';
import { readWorkerConfig, type WorkerConfig } from './worker.config';

const REPO = path.resolve(__dirname, '../../..');
const DIST_PROCESSOR = path.join(REPO, 'dist/apps/node-worker/src/shard.processor.js');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const connection = readRedisConnection({ REDIS_URL });

const resolved = parseSpecOrThrow(
  readFileSync(path.join(REPO, 'examples/quickstart.yaml'), 'utf8'),
);
const spec = JSON.parse(JSON.stringify(resolved.spec)) as unknown;

function workerConfig(prefix: string, processorFile: string): WorkerConfig {
  return {
    ...readWorkerConfig(
      { REDIS_URL, QUEUE_PREFIX: prefix, WORKER_CONCURRENCY: '2' },
      processorFile,
    ),
    metricsPort: 0,
  };
}

/**
 * Prometheus text exposition: each line a comment, empty, or `name{labels} value`.
 * prom-client writes NaN as `Nan` (e.g. the event-loop lag of a fresh process);
 * Prometheus parses floats with Go's ParseFloat, which takes any case.
 */
const SAMPLE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? (-?[0-9.]+(e[+-]?[0-9]+)?|[Nn]a[Nn]|[+-]Inf)( -?[0-9]+)?$/;

function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) {
      continue;
    }
    expect(line).toMatch(SAMPLE);
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** Polls `read` until `done` holds (the worker's own events trail QueueEvents slightly). */
async function eventually<T>(
  read: () => Promise<T>,
  done: (v: T) => boolean,
  ms = 5000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) {
      return value;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A started worker app with its own queue prefix, queue and queue events. */
interface Rig {
  app: INestApplication;
  base: string;
  queue: Queue;
  events: QueueEvents;
  traceQueue: Queue;
  traceEvents: QueueEvents;
  metrics(): Promise<Map<string, number>>;
  close(): Promise<void>;
}

async function startRig(processorFile: string): Promise<Rig> {
  const prefix = `{test-${randomUUID()}}`;
  const queue = new Queue(SHARD_QUEUE, { connection, prefix });
  const events = new QueueEvents(SHARD_QUEUE, { connection, prefix });
  const traceQueue = new Queue(TRACE_QUEUE, { connection, prefix });
  const traceEvents = new QueueEvents(TRACE_QUEUE, { connection, prefix });
  await Promise.all([queue, events, traceQueue, traceEvents].map((q) => q.waitUntilReady()));
  const app = await startWorkerApp(workerConfig(prefix, processorFile), {
    handleSignals: false,
    logger: ['error'],
  });
  const base = `http://127.0.0.1:${listeningPort(app)}`;
  return {
    app,
    base,
    queue,
    events,
    traceQueue,
    traceEvents,
    async metrics() {
      return parseMetrics(await (await fetch(`${base}/metrics`)).text());
    },
    async close() {
      await app.close();
      await Promise.all([events.close(), traceEvents.close()]);
      for (const q of [queue, traceQueue]) {
        await q.obliterate({ force: true });
        await q.close();
      }
    },
  };
}

function shardData(experimentId: string, shardSize?: number): ShardJobData {
  const [shard] = planShards(compileExperiment(resolved), shardSize);
  return { v: JOB_CONTRACT_VERSION, experimentId, spec, shard: shard! };
}

describe('node-worker on a real Redis', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig(DIST_PROCESSOR);
  });

  afterAll(async () => {
    await rig?.close();
  });

  it('runs a shard of examples/quickstart.yaml and returns what runShardJob returns', async () => {
    const data = shardData('it-quickstart');
    const job = await rig.queue.add(SHARD_JOB, data, {
      jobId: shardJobId(data.experimentId, data.shard.index),
      attempts: 3,
    });
    const result: unknown = await job.waitUntilFinished(rig.events, 20_000);
    expect(result).toEqual(runShardJob(data, new ModelCache()));
    expect(result).toMatchObject({ servers: 3000, evaluations: 3000 * 12 });
  });

  it('runs a trace job and returns what runTraceJob returns', async () => {
    const data: TraceJobData = {
      v: JOB_CONTRACT_VERSION,
      spec,
      server: 1234,
      kind: 'crash',
      event: 0,
    };
    const job = await rig.traceQueue.add(TRACE_JOB, data, { attempts: 3 });
    const result: unknown = await job.waitUntilFinished(rig.traceEvents, 20_000);
    expect(result).toEqual(runTraceJob(data, new ModelCache()));
  });

  it('answers a trace while shards wait: traces have a queue of their own', async () => {
    await rig.queue.pause();
    try {
      const shard = await rig.queue.add(SHARD_JOB, shardData('it-waiting'));
      const data: TraceJobData = {
        v: JOB_CONTRACT_VERSION,
        spec,
        server: 7,
        kind: 'crash',
        event: 0,
      };
      const trace = await rig.traceQueue.add(TRACE_JOB, data);
      const result: unknown = await trace.waitUntilFinished(rig.traceEvents, 20_000);
      expect(result).toEqual(runTraceJob(data, new ModelCache()));
      expect(await shard.getState()).toBe('waiting');
      await shard.remove();
    } finally {
      await rig.queue.resume();
    }
  });

  it.each([
    ['an invalid spec', SHARD_JOB, { ...shardData('it-bad'), spec: { name: 'bad' } }, /spec/],
    ['an unknown job name', 'bogus', shardData('it-bogus'), /unknown job name "bogus"/],
  ])('fails %s once, without retry, despite attempts: 3', async (_what, name, data, message) => {
    const job = await rig.queue.add(name, data, { attempts: 3, backoff: 10 });
    await expect(job.waitUntilFinished(rig.events, 20_000)).rejects.toThrow(message);
    const stored = await Job.fromId(rig.queue, job.id!);
    expect(await stored!.getState()).toBe('failed');
    expect(stored!.attemptsMade).toBe(1);
    expect(stored!.failedReason).toMatch(/^InvalidJobError: /);
  });

  it('serves /metrics as Prometheus text with the jobs it ran', async () => {
    const res = await fetch(`${rig.base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const m = await eventually(
      () => rig.metrics(),
      (s) => s.get('fleetsim_worker_job_failures_total{reason="invalid"}') === 2,
    );
    expect(m.get('fleetsim_worker_shards_processed_total')).toBe(1);
    expect(m.get('fleetsim_worker_evaluations_total')).toBe(36_000);
    expect(m.get('fleetsim_worker_servers_simulated_total')).toBe(3000);
    expect(m.get('fleetsim_worker_shard_duration_seconds_count')).toBe(1);
    expect(m.get('fleetsim_worker_traces_processed_total')).toBe(2);
    expect(m.get('fleetsim_worker_job_failures_total{reason="invalid"}')).toBe(2);
    expect(m.get('fleetsim_worker_job_failures_total{reason="error"}')).toBe(0);
    expect(m.get('fleetsim_queue_jobs{queue="shards",state="completed"}')).toBe(1);
    expect(m.get('fleetsim_queue_jobs{queue="shards",state="failed"}')).toBe(2);
    expect(m.get('fleetsim_queue_jobs{queue="shards",state="waiting"}')).toBe(0);
    expect(m.get('fleetsim_worker_concurrency')).toBe(2);
    expect(m.get('fleetsim_worker_active_jobs')).toBe(0);
    expect([...m.keys()].some((k) => k.startsWith('process_cpu_seconds_total'))).toBe(true);
  });

  it('passes `promtool check metrics` (when promtool is installed)', async (ctx) => {
    const text = await (await fetch(`${rig.base}/metrics`)).text();
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    if (r.error) {
      ctx.skip();
    }
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.status).toBe(0);
  });

  it('answers /health with 200 while Redis answers', async () => {
    const res = await fetch(`${rig.base}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', redis: 'up' });
  });
});

describe('a transient failure on a real Redis', () => {
  let rig: Rig;
  let fixtureDir: string;

  beforeAll(async () => {
    // The real processor behind a wrapper that fails a job's first attempt with
    // a plain Error, as a worker thread running out of memory would.
    fixtureDir = mkdtempSync(path.join(tmpdir(), 'fleetsim-worker-'));
    const flaky = path.join(fixtureDir, 'flaky.processor.js');
    writeFileSync(
      flaky,
      `const real = require(${JSON.stringify(DIST_PROCESSOR)}).default;
module.exports = (job) => {
  if (job.attemptsMade === 0) throw new Error('simulated transient failure');
  return real(job);
};
`,
    );
    rig = await startRig(flaky);
  });

  afterAll(async () => {
    await rig?.close();
    rmSync(fixtureDir, { recursive: true, force: true });
  });

  it('is retried, and the retry completes with the same result', async () => {
    const data = shardData('it-flaky', 400);
    const job = await rig.queue.add(SHARD_JOB, data, { attempts: 3 });
    const result: unknown = await job.waitUntilFinished(rig.events, 20_000);
    expect(result).toEqual(runShardJob(data, new ModelCache()));
    const stored = await Job.fromId(rig.queue, job.id!);
    expect(stored!.attemptsMade).toBe(2);
    const m = await eventually(
      () => rig.metrics(),
      (s) => s.get('fleetsim_worker_shards_processed_total') === 1,
    );
    expect(m.get('fleetsim_worker_job_failures_total{reason="error"}')).toBe(1);
    expect(m.get('fleetsim_worker_job_failures_total{reason="invalid"}')).toBe(0);
    expect(m.get('fleetsim_worker_shards_processed_total')).toBe(1);
  });
});

describe('a job in progress on a real Redis', () => {
  let rig: Rig;
  let fixtureDir: string;
  let gate: string;

  beforeAll(async () => {
    // The real processor behind a wrapper that holds every job until the gate file exists.
    fixtureDir = mkdtempSync(path.join(tmpdir(), 'fleetsim-worker-'));
    gate = path.join(fixtureDir, 'open');
    const gated = path.join(fixtureDir, 'gated.processor.js');
    writeFileSync(
      gated,
      `const { existsSync } = require('node:fs');
const real = require(${JSON.stringify(DIST_PROCESSOR)}).default;
module.exports = async (job) => {
  while (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 20));
  return real(job);
};
`,
    );
    rig = await startRig(gated);
  });

  afterAll(async () => {
    // Open the gate first: closing the app waits for the jobs it holds.
    writeFileSync(gate, '');
    await rig?.close();
    rmSync(fixtureDir, { recursive: true, force: true });
  });

  it('counts in fleetsim_worker_active_jobs while it runs, out of fleetsim_worker_concurrency', async () => {
    const idle = await rig.metrics();
    expect(idle.get('fleetsim_worker_concurrency')).toBe(2);
    expect(idle.get('fleetsim_worker_active_jobs')).toBe(0);

    const data = shardData('it-gated', 400);
    const job = await rig.queue.add(SHARD_JOB, data, { attempts: 1 });
    const busy = await eventually(
      () => rig.metrics(),
      (m) => m.get('fleetsim_worker_active_jobs') === 1,
    );
    expect(busy.get('fleetsim_worker_active_jobs')).toBe(1);
    expect(busy.get('fleetsim_worker_shards_processed_total')).toBe(0);

    writeFileSync(gate, '');
    await job.waitUntilFinished(rig.events, 20_000);
    const done = await eventually(
      () => rig.metrics(),
      (m) => m.get('fleetsim_worker_shards_processed_total') === 1,
    );
    expect(done.get('fleetsim_worker_active_jobs')).toBe(0);
    expect(done.get('fleetsim_worker_concurrency')).toBe(2);
  });
});

/**
 * Redis restarted in the middle of an experiment (issue 10, faults). A private
 * `redis-server` on a free port, with AOF (appendfsync always), is stopped
 * while shards run and started again on the same files: the coordinator and
 * the worker reconnect, and the experiment completes with the embedded
 * report. Without persistence (SIGKILLed, started again empty) the experiment
 * ends `failed` with the data-loss reason, which the API and the CLI show.
 * The shared Redis is never touched. Skipped without `redis-server`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSpecOrThrow, runExperiment } from '../../../libs/kdump-core/src';
import { readRedisConnection } from '../../../libs/fleet-platform/src/config';
import { remoteRunCommand, statusCommand } from '../../cli/src/remote-commands';
import type { CliIo } from '../../cli/src/cli-io';
import { DATA_LOSS_REASON } from '../src/services/data-loss.service';
import {
  api,
  coordinatorConfig,
  example,
  freshPrefix,
  queueCounts,
  startCoordinator,
  startShardWorker,
  until,
  withoutRun,
  type RunningCoordinator,
  type StandInWorker,
} from './coordinator-rig';

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A private redis-server with AOF (or no persistence at all) in `dir`; resolves once it answers. */
async function startRedis(port: number, dir: string, persist = true): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      ...(persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (/Ready to accept connections/.test(out)) {
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  return child;
}

async function stopRedis(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

describe.skipIf(!hasRedisServer)('Redis restarted mid-run (AOF)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-redis-'));
  let redis: ChildProcess | undefined;
  let app: RunningCoordinator | undefined;
  let worker: StandInWorker | undefined;

  afterAll(async () => {
    await worker?.close(true);
    await app?.app.close();
    if (redis) {
      await stopRedis(redis);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('completes the experiment with the embedded report', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    redis = await startRedis(port, dir);
    const prefix = freshPrefix();
    app = await startCoordinator({
      ...coordinatorConfig(prefix),
      redis: readRedisConnection({ REDIS_URL: url }),
    });
    const http = api(app.url);
    // Slow shards, so that Redis goes away while some are done and some are not.
    worker = startShardWorker(prefix, {
      concurrency: 1,
      connection: readRedisConnection({ REDIS_URL: url }),
      before: () => new Promise((r) => setTimeout(r, 100)),
    });
    const quickstart = example('quickstart.yaml');
    const embedded = JSON.stringify(runExperiment(parseSpecOrThrow(quickstart)).report);

    const created = await http.post('/experiments?shardSize=100', quickstart);
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    const underway = await until(
      () => http.get(`/experiments/${id}`),
      (r) => (r.json?.shards?.done ?? 0) >= 3,
    );
    expect(underway.json.shards.done).toBeGreaterThanOrEqual(3);
    expect(underway.json.shards.done).toBeLessThan(underway.json.shards.total);

    await stopRedis(redis);
    // While Redis is down the API says so instead of hanging or crashing.
    const down = await http.get(`/experiments/${id}`);
    expect(down.status).toBe(503);
    redis = await startRedis(port, dir);

    // 503 while the coordinator reconnects; then the state, until it is final.
    const finished = await until(
      () => http.get(`/experiments/${id}`),
      (r) => r.status === 200 && !['queued', 'running'].includes(r.json?.state),
      120_000,
    );
    expect(finished.json.state).toBe('done');
    const report = await http.get(`/experiments/${id}/report`);
    expect(withoutRun(report.json)).toBe(embedded);
  });
});

function capture(): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { out: (t) => void (out += t), err: (t) => void (err += t), progressStream: null },
    out: () => out,
    err: () => err,
  };
}

describe.skipIf(!hasRedisServer)('Redis restarted mid-run without persistence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-redis-'));
  let redis: ChildProcess | undefined;
  let app: RunningCoordinator | undefined;
  let worker: StandInWorker | undefined;

  afterAll(async () => {
    await worker?.close(true);
    await app?.app.close();
    if (redis) {
      await stopRedis(redis);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends the experiment failed with the reason; HTTP and the CLI say so', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    redis = await startRedis(port, dir, false);
    const prefix = freshPrefix();
    app = await startCoordinator({
      ...coordinatorConfig(prefix),
      redis: readRedisConnection({ REDIS_URL: url }),
      dataLossCheckMs: 500,
    });
    const http = api(app.url);
    worker = startShardWorker(prefix, {
      concurrency: 1,
      connection: readRedisConnection({ REDIS_URL: url }),
      before: () => new Promise((r) => setTimeout(r, 100)),
    });
    const specFile = join(dir, 'quickstart.yaml');
    writeFileSync(specFile, example('quickstart.yaml'));

    // The CLI submits and follows the experiment, as `fleetsim run --coordinator` does.
    const cli = capture();
    const following = remoteRunCommand(
      { kind: 'run', spec: specFile, coordinator: app.url, shardSize: 100 },
      cli.io,
      { initialMs: 50, maxMs: 200, unreachableMs: 60_000 },
    );
    const underway = await until(
      () => http.get('/experiments'),
      (r) => (r.json?.[0]?.shards?.done ?? 0) >= 3,
    );
    const id = underway.json[0].id as string;
    expect(underway.json[0].shards.done).toBeLessThan(underway.json[0].shards.total);

    await stopRedis(redis, 'SIGKILL');
    redis = await startRedis(port, dir, false);

    const started = Date.now();
    const failed = await until(
      () => http.get(`/experiments/${id}`),
      (r) => r.status === 200 && !['queued', 'running'].includes(r.json?.state),
      30_000,
    );
    expect(failed.status).toBe(200);
    expect(failed.json).toMatchObject({ id, state: 'failed', error: DATA_LOSS_REASON });
    expect(Date.now() - started).toBeLessThan(30_000);

    const code = await following;
    expect(code).toBe(1);
    expect(cli.err()).toContain(`experiment ${id} failed`);
    expect(cli.err()).toContain(DATA_LOSS_REASON);

    const status = capture();
    expect(
      await statusCommand({ kind: 'status', id, coordinator: app.url, format: 'table' }, status.io),
    ).toBe(0);
    expect(status.out()).toMatch(/state\s+failed/);

    expect(status.out()).toContain(DATA_LOSS_REASON);
    // A failed experiment has no report, and says why.
    const report = await http.get(`/experiments/${id}/report`);
    expect(report.status).toBe(410);
    expect(JSON.stringify(report.json)).toContain(DATA_LOSS_REASON);

    // Nothing is left waiting: the flow went with the data.
    const counts = await queueCounts(prefix, readRedisConnection({ REDIS_URL: url }));
    for (const queue of [counts.shards, counts.experiments]) {
      expect(
        (queue.waiting ?? 0) +
          (queue.delayed ?? 0) +
          (queue.prioritized ?? 0) +
          (queue['waiting-children'] ?? 0),
      ).toBe(0);
    }
  });
});

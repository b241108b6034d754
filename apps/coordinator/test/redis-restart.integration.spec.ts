/**
 * Redis restarted in the middle of an experiment (issue 10, faults). A private
 * `redis-server` on a free port, with AOF (appendfsync always), is stopped
 * while shards run and started again on the same files: the coordinator and
 * the worker reconnect, and the experiment completes with the embedded
 * report. The shared Redis is never touched. Skipped without `redis-server`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSpecOrThrow, runExperiment } from '../../../libs/kdump-core/src';
import { readRedisConnection } from '../../../libs/fleet-platform/src/config';
import {
  api,
  coordinatorConfig,
  example,
  freshPrefix,
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

/** A private redis-server with AOF in `dir`; resolves once it answers. */
async function startRedis(port: number, dir: string): Promise<ChildProcess> {
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
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
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

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) {
    return;
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
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

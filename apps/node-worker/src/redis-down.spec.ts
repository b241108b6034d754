/**
 * The node-worker with Redis unreachable: it keeps running, says so on
 * `/health` (503 with the reason), keeps serving `/metrics`, and stops cleanly.
 * Needs no Redis, only the compiled processor (npm test builds first; without
 * it the suite fails saying so).
 */
import type { INestApplication } from '@nestjs/common';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listeningPort, startWorkerApp } from './main';
import { readWorkerConfig } from './worker.config';

const DIST_PROCESSOR = path.resolve(
  __dirname,
  '../../../dist/apps/node-worker/src/shard.processor.js',
);

describe('node-worker with Redis unreachable', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    // Port 1 on loopback: nothing listens, connections are refused at once.
    const config = readWorkerConfig(
      { REDIS_URL: 'redis://127.0.0.1:1', QUEUE_PREFIX: '{test-unreachable}' },
      DIST_PROCESSOR,
    );
    app = await startWorkerApp(
      { ...config, metricsPort: 0 },
      { handleSignals: false, logger: false },
    );
    base = `http://127.0.0.1:${listeningPort(app)}`;
  });

  afterAll(async () => {
    await app?.close();
  });

  it('answers /health with 503 and the reason, within about a second', async () => {
    const started = Date.now();
    const res = await fetch(`${base}/health`);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(res.status).toBe(503);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'error', redis: 'down' });
    expect(body.message).toMatch(/^Redis at redis:\/\/127\.0\.0\.1:1\/0 is not answering: /);
  });

  it('keeps serving /metrics, without queue depth it cannot read', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('fleetsim_worker_shards_processed_total 0');
    expect(text).not.toMatch(/^fleetsim_queue_jobs\{/m);
  });

  it('is still up after a few reconnect attempts', async () => {
    await new Promise((r) => setTimeout(r, 1000));
    expect((await fetch(`${base}/health`)).status).toBe(503);
  });

  it('stops promptly', async () => {
    const started = Date.now();
    await app.close();
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

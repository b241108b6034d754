/**
 * The bull-board queue UI at `/queues` against a real Redis: it shows the
 * coordinator's queues with their real counts, refuses every action while
 * read-only (the default), allows them with QUEUE_UI=read-write, and is gone
 * with QUEUE_UI=off.
 */
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { SHARD_QUEUE, TRACE_QUEUE } from '../../../libs/kdump-core/src';
import type { QueueUiMode } from '../src/config/coordinator.config';
import { EXPERIMENT_QUEUE } from '../src/domain/flow-jobs';
import {
  api,
  cleanup,
  connection,
  coordinatorConfig,
  example,
  freshPrefix,
  queueCounts,
  startCoordinator,
  until,
  type RunningCoordinator,
} from './coordinator-rig';

const running: { apps: RunningCoordinator[]; prefixes: string[] } = { apps: [], prefixes: [] };

afterEach(async () => {
  await Promise.all(running.apps.map((c) => c.app.close()));
  await Promise.all(running.prefixes.map((p) => cleanup(p)));
  running.apps = [];
  running.prefixes = [];
});

/** A coordinator (and no worker, so shards stay waiting) with one experiment submitted. */
async function coordinatorWithWaitingShards(queueUi: QueueUiMode) {
  const prefix = freshPrefix();
  running.prefixes.push(prefix);
  const c = await startCoordinator(coordinatorConfig(prefix, { queueUi }));
  running.apps.push(c);
  const http = api(c.url);
  const submitted = await http.post('/experiments', example('quickstart.yaml'));
  expect(submitted.status).toBe(201);
  const counts = await until(
    () => queueCounts(prefix),
    (q) => (q.shards.waiting ?? 0) > 0,
  );
  expect(counts.shards.waiting).toBeGreaterThan(0);
  return { prefix, url: c.url, counts };
}

async function call(method: string, url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { method });
  return { status: res.status, body: await res.text() };
}

interface BoardQueue {
  name: string;
  readOnlyMode: boolean;
  counts: Record<string, number>;
}

async function boardQueues(url: string): Promise<BoardQueue[]> {
  const res = await fetch(`${url}/queues/api/queues?activeQueue=${SHARD_QUEUE}&status=waiting`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { queues: BoardQueue[] }).queues;
}

async function isPaused(prefix: string): Promise<boolean> {
  const queue = new Queue(SHARD_QUEUE, { connection, prefix });
  try {
    return await queue.isPaused();
  } finally {
    await queue.close();
  }
}

describe('the queue UI at /queues', () => {
  it('is read-only by default: it shows the real queues and counts and refuses every action', async () => {
    const { prefix, url, counts } = await coordinatorWithWaitingShards('read-only');

    const page = await fetch(`${url}/queues`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('fleetsim queues (read-only)');

    const queues = await boardQueues(url);
    expect(queues.map((q) => q.name).sort()).toEqual(
      [EXPERIMENT_QUEUE, SHARD_QUEUE, TRACE_QUEUE].sort(),
    );
    const shards = queues.find((q) => q.name === SHARD_QUEUE)!;
    expect(shards.readOnlyMode).toBe(true);
    expect(shards.counts.waiting).toBe(counts.shards.waiting);

    for (const [method, route] of [
      ['PUT', `/queues/api/queues/${SHARD_QUEUE}/pause`],
      ['PUT', `/queues/api/queues/pause`],
      ['PUT', `/queues/api/queues/${SHARD_QUEUE}/clean/waiting`],
      ['PUT', `/queues/api/queues/${SHARD_QUEUE}/empty`],
      ['DELETE', `/queues/api/queues/${SHARD_QUEUE}/obliterate`],
      ['POST', `/queues/api/queues/${SHARD_QUEUE}/add`],
    ] as const) {
      const refused = await call(method, `${url}${route}`);
      expect(refused.status, `${method} ${route}`).toBe(405);
      expect(refused.body).toContain('QUEUE_UI=read-write');
    }
    expect(await isPaused(prefix)).toBe(false);
    expect((await queueCounts(prefix)).shards.waiting).toBe(counts.shards.waiting);
  });

  it('allows actions with QUEUE_UI=read-write', async () => {
    const { prefix, url } = await coordinatorWithWaitingShards('read-write');
    expect((await boardQueues(url)).every((q) => !q.readOnlyMode)).toBe(true);

    const paused = await call('PUT', `${url}/queues/api/queues/${SHARD_QUEUE}/pause`);
    expect(paused.status).toBe(200);
    expect(await isPaused(prefix)).toBe(true);
  });

  it('is gone with QUEUE_UI=off, and the API still answers', async () => {
    const { url } = await coordinatorWithWaitingShards('off');
    expect((await call('GET', `${url}/queues`)).status).toBe(404);
    expect((await call('GET', `${url}/queues/api/queues`)).status).toBe(404);
    expect((await call('GET', `${url}/experiments`)).status).toBe(200);
  });
});

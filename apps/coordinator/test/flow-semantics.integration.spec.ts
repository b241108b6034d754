/**
 * What the coordinator's exactly-once merge relies on in BullMQ itself, checked
 * on a real Redis (so an upgrade that changes it fails here, not in production):
 *
 * 1. A child removed on completion (`removeOnComplete: true`) still leaves its
 *    return value in the parent's `processed` hash, under the child's job key.
 * 2. A child re-added under the same id after it completed and was removed runs
 *    again and overwrites its own field: the parent still has one value per child.
 * 3. A pending child (the plan gate) holds the parent in `waiting-children`
 *    while more children are added to it.
 */
import { FlowProducer, Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, connection, freshPrefix, until } from './coordinator-rig';

let prefix = '';
const closers: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) {
    await close();
  }
  await cleanup(prefix);
});

describe('BullMQ flows as the coordinator uses them', () => {
  it('keeps removed children’s results in the parent, once per child id', async () => {
    prefix = freshPrefix();
    const shards = new Queue('shards', { connection, prefix });
    const parents = new Queue('experiments', { connection, prefix });
    const flow = new FlowProducer({ connection, prefix });
    const redis = new Redis(connection);
    closers.push(
      () => shards.close(),
      () => parents.close(),
      () => flow.close(),
      async () => redis.disconnect(),
    );
    const runs = new Map<string, number>();
    const shardWorker = new Worker(
      'shards',
      async (job: Job<{ i: number }>) => {
        runs.set(job.id!, (runs.get(job.id!) ?? 0) + 1);
        return { i: job.data.i, square: job.data.i * job.data.i };
      },
      { connection, prefix },
    );
    closers.push(() => shardWorker.close());
    const opts = (i: number) => ({ jobId: `e1-${i}`, removeOnComplete: true });

    // The parent, a gate child nobody processes yet, and two shards.
    await flow.add({
      name: 'merge',
      queueName: 'experiments',
      opts: { jobId: 'e1' },
      children: [
        {
          name: 'plan',
          queueName: 'experiments',
          opts: { jobId: 'e1-plan', removeOnComplete: true },
        },
        { name: 'shard', queueName: 'shards', data: { i: 0 }, opts: opts(0) },
        { name: 'shard', queueName: 'shards', data: { i: 1 }, opts: opts(1) },
      ],
    });
    const parent = (await Job.fromId(parents, 'e1'))!;
    await until(
      () => parent.getDependenciesCount({ processed: true }),
      (c) => c.processed === 2,
    );
    // (1) the children are gone, their values are not.
    expect(await redis.exists(shards.toKey('e1-0'), shards.toKey('e1-1'))).toBe(0);
    expect(await parent.getChildrenValues()).toEqual({
      [shards.toKey('e1-0')]: { i: 0, square: 0 },
      [shards.toKey('e1-1')]: { i: 1, square: 1 },
    });

    // (3) more children join while the gate holds the parent...
    const parentRef = { id: 'e1', queue: parents.qualifiedName };
    await shards.addBulk([
      { name: 'shard', data: { i: 2 }, opts: { ...opts(2), parent: parentRef } },
    ]);
    // (2) ...including one that already ran: it runs again, under the same field.
    await shards.add('shard', { i: 1 }, { ...opts(1), parent: parentRef });
    await until(
      async () => runs.get('e1-1') ?? 0,
      (n) => n === 2,
    );
    await until(
      () => parent.getDependenciesCount({ processed: true, unprocessed: true }),
      (c) => c.unprocessed === 1,
    );
    expect(await parent.getState()).toBe('waiting-children');
    const values = await parent.getChildrenValues();
    expect(Object.keys(values).sort()).toEqual(
      [shards.toKey('e1-0'), shards.toKey('e1-1'), shards.toKey('e1-2')].sort(),
    );
    expect(values[shards.toKey('e1-1')]).toEqual({ i: 1, square: 1 });

    // Opening the gate releases the parent with one value per child.
    const gate = new Worker(
      'experiments',
      async (job) => (job.name === 'plan' ? 'added' : 'merged'),
      {
        connection,
        prefix,
      },
    );
    closers.push(() => gate.close());
    await until(
      () => parent.getState(),
      (s) => s === 'completed',
    );
    expect(await parent.getDependenciesCount()).toMatchObject({ processed: 4, unprocessed: 0 });
  });
});

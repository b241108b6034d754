import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { AggregateLayout, rolloutPlan, type ShardTask } from '../../../libs/kdump-core/src';
import { runShardsOnThreads, WorkerFailure } from './thread-pool';

const layout = new AggregateLayout(['a', 'b'], ['nic']);

const tasks = (count: number, size = 3): ShardTask[] =>
  Array.from({ length: count }, (_, index) => ({
    index,
    serverStart: index * size,
    serverEnd: (index + 1) * size,
  }));

/**
 * A stand-in worker speaking the shard protocol: slot 0 counts servers, slot 1
 * sums shard indices, the last slot counts shards. `failOn` makes it throw on
 * that shard; `exitOn` makes it exit quietly.
 */
function fakeWorker(opts: { failOn?: number; exitOn?: number } = {}): Worker {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    parentPort.on('message', ({ task, buffer }) => {
      if (task.index === workerData.failOn) throw new Error('boom on ' + task.index);
      if (task.index === workerData.exitOn) process.exit(3);
      const slots = buffer ? new Float64Array(buffer).fill(0) : new Float64Array(workerData.size);
      slots[0] = task.serverEnd - task.serverStart;
      slots[1] = task.index;
      slots[slots.length - 1] = 1;
      parentPort.postMessage({ index: task.index, slots }, [slots.buffer]);
    });`;
  return new Worker(code, { eval: true, workerData: { size: layout.size, ...opts } });
}

describe('runShardsOnThreads', () => {
  it('merges every shard exactly once, whatever the thread count', async () => {
    for (const threads of [1, 2, 5]) {
      const done: number[] = [];
      const total = await runShardsOnThreads(tasks(40), {
        threads,
        layout,
        spawn: () => fakeWorker(),
        onShardDone: (t) => done.push(t.index),
      });
      expect(total.slots[0]).toBe(120);
      expect(total.slots[1]).toBe((39 * 40) / 2);
      expect(total.slots[layout.size - 1]).toBe(40);
      expect([...done].sort((x, y) => x - y)).toEqual([...Array(40).keys()]);
    }
  });

  it('starts no more workers than shards', async () => {
    let started = 0;
    await runShardsOnThreads(tasks(2), {
      threads: 8,
      layout,
      spawn: () => {
        started++;
        return fakeWorker();
      },
    });
    expect(started).toBe(2);
  });

  it('returns an empty aggregate for an empty plan without starting a worker', async () => {
    const total = await runShardsOnThreads([], {
      threads: 2,
      layout,
      spawn: () => {
        throw new Error('no worker needed');
      },
    });
    expect(total.slots.every((v) => v === 0)).toBe(true);
  });

  it('fails with the worker error and terminates every worker', async () => {
    const workers: Worker[] = [];
    const exited: number[] = [];
    const run = runShardsOnThreads(tasks(20), {
      threads: 3,
      layout,
      spawn: () => {
        const w = fakeWorker({ failOn: 7 });
        w.on('exit', () => exited.push(w.threadId));
        workers.push(w);
        return w;
      },
    });
    await expect(run).rejects.toThrow(WorkerFailure);
    await expect(run).rejects.toThrow(/shard 7: boom on 7/);
    // Give the last 'exit' events a turn of the loop.
    await new Promise((r) => setImmediate(r));
    expect(exited).toHaveLength(workers.length);
  });

  it('fails when a worker exits before the run ends', async () => {
    await expect(
      runShardsOnThreads(tasks(5), { threads: 1, layout, spawn: () => fakeWorker({ exitOn: 2 }) }),
    ).rejects.toThrow(/exited with code 3/);
  });

  it('fails when a worker sends an aggregate of the wrong layout', async () => {
    const other = new AggregateLayout(['a'], []);
    await expect(
      runShardsOnThreads(tasks(3), { threads: 1, layout: other, spawn: () => fakeWorker() }),
    ).rejects.toThrow(/slots, layout has/);
  });

  it("merges each shard's roll-out tally: servers and not back add, longest times take the max", async () => {
    // 2 waves × 1 strategy: [servers, firmware longest, not back, longest] per wave. Each shard
    // puts one server in wave (index % 2), not back when its index is odd, longest = index.
    const plan = rolloutPlan({ waveSize: 1 }, 2, 1);
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      parentPort.on('message', ({ task }) => {
        const slots = new Float64Array(workerData.size);
        const rollout = new Float64Array(8);
        const w = (task.index % 2) * 4;
        rollout[w] = 1;
        rollout[w + 1] = 100 - task.index;
        rollout[w + 2] = task.index % 2;
        rollout[w + 3] = task.index;
        if (task.index === workerData.noTallyOn) {
          parentPort.postMessage({ index: task.index, slots });
        } else {
          parentPort.postMessage({ index: task.index, slots, rollout });
        }
      });`;
    const spawn =
      (noTallyOn = -1) =>
      () =>
        new Worker(code, { eval: true, workerData: { size: layout.size, noTallyOn } });
    for (const threads of [1, 3]) {
      const total = await runShardsOnThreads(tasks(10), {
        threads,
        layout,
        rollout: plan,
        spawn: spawn(),
      });
      // wave 0: shards 0,2,4,6,8; wave 1: 1,3,5,7,9 (all not back)
      expect(Array.from(total.rollout!.slots)).toEqual([5, 100, 0, 8, 5, 99, 5, 9]);
    }
    await expect(
      runShardsOnThreads(tasks(4), { threads: 1, layout, rollout: plan, spawn: spawn(2) }),
    ).rejects.toThrow(/shard 2 with roll-out tally of undefined slots, the plan has 8/);
  });
});

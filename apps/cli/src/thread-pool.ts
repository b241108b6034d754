/**
 * Runs a shard plan on worker threads: each idle worker gets the next shard, each
 * result is merged as it arrives. Merging is exact and order-independent, so the
 * total has the same bytes whatever the thread count or finishing order.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  emptyAggregate,
  emptyTally,
  mergeInto,
  type Aggregate,
  type AggregateLayout,
  type RolloutPlan,
  type RolloutTally,
  type CouplingLayout,
  type ShardTask,
} from '../../../libs/kdump-core/src';
import type { ShardRequest, ShardResponse, ShardWorkerData } from './shard-worker';

/** A worker thread failed or died: the run cannot finish. */
export class WorkerFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerFailure';
  }
}

export interface ThreadPoolOptions {
  /** Worker threads to start; at most one per shard is started. */
  threads: number;
  /** Layout of the aggregates the workers send back. */
  layout: AggregateLayout;
  /** The spec's roll-out plan: each shard then sends its waves' tally too. */
  rollout?: RolloutPlan | null;
  /** Layout of their failure-domain slots, for a spec with domains (couplingLayout). */
  coupling?: CouplingLayout | null;
  /** Starts one worker speaking the {@link ShardRequest}/{@link ShardResponse} protocol. */
  spawn: () => Worker;
  /** Called after each shard is merged. */
  onShardDone?: (task: ShardTask) => void;
}

/** Starts a compiled `shard-worker.js` (next to this file) for a spec. */
export function spawnShardWorker(data: ShardWorkerData): Worker {
  return new Worker(join(__dirname, 'shard-worker.js'), { workerData: data });
}

/**
 * Simulates every task on worker threads and returns the merged aggregate.
 * Rejects with {@link WorkerFailure} when a worker throws or exits early; every
 * worker is terminated before the promise settles, on success as on failure.
 */
export function runShardsOnThreads(
  tasks: readonly ShardTask[],
  options: ThreadPoolOptions,
): Promise<Aggregate> {
  const { layout } = options;
  if (!Number.isInteger(options.threads) || options.threads < 1) {
    throw new RangeError(`threads must be a positive integer, got ${options.threads}`);
  }
  const total = emptyAggregate(layout);
  const plan = options.rollout ?? null;
  if (plan) {
    total.rollout = emptyTally(plan.waves, plan.strategies);
  }
  if (tasks.length === 0) {
    return Promise.resolve(total);
  }
  return new Promise<Aggregate>((resolve, reject) => {
    const workers: Worker[] = [];
    const inFlight = new Map<Worker, ShardTask>();
    let next = 0;
    let done = 0;
    let settled = false;

    const finish = (failure: Error | null) => {
      if (settled) {
        return;
      }
      settled = true;
      void Promise.allSettled(workers.map((w) => w.terminate())).then(() =>
        failure ? reject(failure) : resolve(total),
      );
    };

    const dispatch = (worker: Worker, buffer?: ArrayBuffer) => {
      if (next >= tasks.length) {
        inFlight.delete(worker);
        return;
      }
      const task = tasks[next++]!;
      inFlight.set(worker, task);
      const request: ShardRequest = { task, buffer };
      worker.postMessage(request, buffer ? [buffer] : []);
    };

    const onResult = (worker: Worker, id: number, response: ShardResponse) => {
      const task = inFlight.get(worker);
      if (!task || response?.index !== task.index) {
        throw new WorkerFailure(
          `worker ${id} answered shard ${String(response?.index)}, expected ${task?.index ?? 'none'}`,
        );
      }
      const slots = response.slots;
      if (!(slots instanceof Float64Array) || slots.length !== layout.size) {
        throw new WorkerFailure(
          `worker ${id} sent shard ${task.index} with ${String(slots?.length)} slots, layout has ${layout.size}`,
        );
      }
      let rollout: RolloutTally | undefined;
      if (plan) {
        const t = response.rollout;
        if (!(t instanceof Float64Array) || t.length !== total.rollout!.slots.length) {
          throw new WorkerFailure(
            `worker ${id} sent shard ${task.index} with roll-out tally of ${String(t?.length)} slots, the plan has ${total.rollout!.slots.length}`,
          );
        }
        rollout = { waves: plan.waves, strategies: plan.strategies, slots: t };
      }
      const coupling = options.coupling;
      if (
        coupling &&
        !(response.coupling instanceof Float64Array && response.coupling.length === coupling.size)
      ) {
        throw new WorkerFailure(
          `worker ${id} sent shard ${task.index} without its ${coupling.size} failure-domain slots`,
        );
      }
      mergeInto(total, {
        layout,
        slots,
        rollout,
        coupling: coupling ? { layout: coupling, slots: response.coupling! } : undefined,
      });
      done++;
      options.onShardDone?.(task);
      if (done === tasks.length) {
        finish(null);
      } else {
        dispatch(worker, slots.buffer as ArrayBuffer);
      }
    };

    const threads = Math.min(options.threads, tasks.length);
    try {
      for (let id = 0; id < threads; id++) {
        const worker = options.spawn();
        workers.push(worker);
        worker.on('message', (response: ShardResponse) => {
          if (settled) {
            return;
          }
          try {
            onResult(worker, id, response);
          } catch (e) {
            finish(e instanceof Error ? e : new Error(String(e)));
          }
        });
        worker.on('error', (e: unknown) => {
          const shard = inFlight.get(worker);
          const where = shard ? ` on shard ${shard.index}` : '';
          finish(new WorkerFailure(`worker ${id} failed${where}: ${errorMessage(e)}`));
        });
        worker.on('messageerror', (e: unknown) => {
          finish(new WorkerFailure(`worker ${id} sent an unreadable message: ${errorMessage(e)}`));
        });
        worker.on('exit', (code) => {
          finish(new WorkerFailure(`worker ${id} exited with code ${code} before the run ended`));
        });
        dispatch(worker);
      }
    } catch (e) {
      finish(new WorkerFailure(`cannot start a worker thread: ${errorMessage(e)}`));
    }
  });
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Benchmark worker thread: compiles the spec itself, plans the fleet with the
 * shard size it is given, then runs the shard indices each message lists and
 * answers with the evaluations made and its own busy time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FleetEngine, planShards } from '../libs/kdump-core/src';
import { threadTimes } from './machine';
import { loadModel } from './setup';

/** What the main thread passes in `workerData`. */
export interface WorkerSetup {
  specPath: string;
  shardSize: number;
}

/** A batch of work: shard indices of the worker's plan (repeats allowed). */
export interface RunRequest {
  shards: number[];
}

export type WorkerReply =
  | { kind: 'ready'; shards: number }
  | {
      kind: 'done';
      evaluations: number;
      busySeconds: number;
      /** Of the busy time: seconds on a CPU, and runnable but waiting for one. */
      onCpuSeconds: number;
      waitingSeconds: number;
    }
  | { kind: 'failed'; message: string };

const port = parentPort;
if (!port) {
  throw new Error('thread-worker must run in a worker thread');
}
const setup = workerData as WorkerSetup;
const engine = new FleetEngine(loadModel(setup.specPath));
const plan = planShards(engine.model, setup.shardSize);

port.on('message', (request: RunRequest) => {
  try {
    const before = engine.counters.evaluations;
    const times = threadTimes();
    const start = process.hrtime.bigint();
    for (const i of request.shards) {
      engine.runShard(plan[i]!);
    }
    const busySeconds = Number(process.hrtime.bigint() - start) / 1e9;
    const after = threadTimes();
    const reply: WorkerReply = {
      kind: 'done',
      evaluations: engine.counters.evaluations - before,
      busySeconds,
      onCpuSeconds: after.onCpu - times.onCpu,
      waitingSeconds: after.waiting - times.waiting,
    };
    port.postMessage(reply);
  } catch (e) {
    const reply: WorkerReply = { kind: 'failed', message: String(e) };
    port.postMessage(reply);
  }
});
const ready: WorkerReply = { kind: 'ready', shards: plan.length };
port.postMessage(ready);

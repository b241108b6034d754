/**
 * A worker thread of the embedded run. It compiles the spec itself (from the same
 * text and seed override as the main thread, so the same model), then simulates
 * one shard per message and posts the shard's aggregate back.
 *
 * Input (workerData): {@link ShardWorkerData}.
 * Input (message):    {@link ShardRequest}, one at a time.
 * Output (message):   {@link ShardResponse}, `slots.buffer` transferred.
 * A failure is thrown: the main thread sees it as the worker's `error` event.
 */
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import {
  compileExperiment,
  domainSimulatorFor,
  FleetEngine,
  rolloutEngines,
  tallyRollout,
  simulateShard,
  type ShardTask,
} from '../../../libs/kdump-core/src';
import { resolveWorkerSpec, type WorkerSpecData } from './worker-spec';

/** The spec the shard worker parses again (text and seed override of the main thread). */
export type ShardWorkerData = WorkerSpecData;

export interface ShardRequest {
  task: ShardTask;
  /** A buffer of layout size to simulate into (zeroed here), recycled from an earlier result. */
  buffer?: ArrayBuffer;
}

export interface ShardResponse {
  index: number;
  slots: Float64Array;
  /** The shard's roll-out tally slots (rollout-waves.ts), when the spec has a `rollout:`. */
  rollout?: Float64Array;
  /** The shard's failure-domain slots (coupling-aggregate.ts), for a spec with domains. */
  coupling?: Float64Array;
}

/** Compiles the spec and serves shard requests on `port`. */
export function serveShards(data: ShardWorkerData, port: MessagePort): void {
  const model = compileExperiment(resolveWorkerSpec(data));
  const engine = new FleetEngine(model);
  const domains = domainSimulatorFor(model);
  const rollout = rolloutEngines(engine);
  const size = engine.layout.size;
  port.on('message', (request: ShardRequest) => {
    const slots =
      request.buffer && request.buffer.byteLength === size * Float64Array.BYTES_PER_ELEMENT
        ? new Float64Array(request.buffer).fill(0)
        : new Float64Array(size);
    const agg = simulateShard(engine, domains, request.task, { layout: engine.layout, slots });
    const response: ShardResponse = { index: request.task.index, slots };
    if (rollout) {
      response.rollout = tallyRollout(rollout, request.task).slots;
    }
    const transfer: ArrayBuffer[] = [slots.buffer as ArrayBuffer];
    if (agg.coupling) {
      response.coupling = agg.coupling.slots;
      transfer.push(agg.coupling.slots.buffer as ArrayBuffer);
    }
    port.postMessage(response, transfer);
  });
}

if (!isMainThread && parentPort) {
  serveShards(workerData as ShardWorkerData, parentPort);
}

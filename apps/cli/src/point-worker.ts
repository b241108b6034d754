/**
 * A worker thread of an embedded decision (sweep, crashkernel, sensitivity):
 * it parses the spec itself (same text and seed override as the main thread,
 * so the same resolution), then runs one whole point per message.
 *
 * Input (workerData): {@link PointWorkerData}.
 * Input (message):    {@link PointJob}, one at a time.
 * Output (message):   {@link PointDone}: the point's report.
 * A failure is thrown: the main thread sees it as the worker's `error` event.
 */
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import {
  resolvePoint,
  runExperiment,
  type PointRequest,
  type Report,
} from '../../../libs/kdump-core/src';
import { resolveWorkerSpec, type WorkerSpecData } from './worker-spec';

/** The spec the point worker parses again (text and seed override of the main thread). */
export type PointWorkerData = WorkerSpecData;

export interface PointJob {
  index: number;
  request: PointRequest;
}

export interface PointDone {
  index: number;
  report: Report;
}

/** Parses the spec and serves point jobs on `port`. */
export function servePoints(data: PointWorkerData, port: MessagePort): void {
  const resolved = resolveWorkerSpec(data);
  port.on('message', (job: PointJob) => {
    const report = runExperiment(resolvePoint(resolved, job.request)).report;
    const done: PointDone = { index: job.index, report };
    port.postMessage(done);
  });
}

if (!isMainThread && parentPort) {
  servePoints(workerData as PointWorkerData, parentPort);
}

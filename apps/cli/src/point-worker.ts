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
  parseSpecText,
  resolvePoint,
  runExperiment,
  type PointRequest,
  type Report,
} from '../../../libs/kdump-core/src';

export interface PointWorkerData {
  specText: string;
  seed?: number;
}

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
  const parsed = parseSpecText(data.specText, { seed: data.seed });
  if (!parsed.ok) {
    throw new Error(
      `the spec does not validate in the worker thread: ${parsed.errors
        .map((e) => `${e.path}: ${e.message}`)
        .join('; ')}`,
    );
  }
  const { resolved } = parsed;
  port.on('message', (job: PointJob) => {
    const report = runExperiment(resolvePoint(resolved, job.request)).report;
    const done: PointDone = { index: job.index, report };
    port.postMessage(done);
  });
}

if (!isMainThread && parentPort) {
  servePoints(workerData as PointWorkerData, parentPort);
}

/**
 * Runs the points of a decision's batches on worker threads, one whole point
 * per thread at a time. A point's report does not depend on which thread ran
 * it, so the document is the same at 1 thread or N.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PointRequest, Report } from '../../../libs/kdump-core/src';
import type { PointDone, PointJob, PointWorkerData } from './point-worker';
import { WorkerFailure } from './thread-pool';

/** Worker threads kept across the batches of one decision; {@link close} ends them. */
export class PointPool {
  private readonly workers: Worker[] = [];

  /**
   * @param spawn starts one worker speaking the {@link PointJob}/{@link PointDone} protocol
   */
  constructor(
    private readonly threads: number,
    private readonly spawn: () => Worker,
  ) {
    if (!Number.isInteger(threads) || threads < 1) {
      throw new RangeError(`threads must be a positive integer, got ${threads}`);
    }
  }

  /**
   * Runs a batch; reports in request order.
   * @param onPoint called as each point's report arrives
   * @throws WorkerFailure when a thread throws or exits
   */
  run(
    requests: readonly PointRequest[],
    onPoint?: (request: PointRequest) => void,
  ): Promise<Report[]> {
    const reports: Report[] = new Array<Report>(requests.length);
    if (requests.length === 0) {
      return Promise.resolve(reports);
    }
    while (this.workers.length < Math.min(this.threads, requests.length)) {
      this.workers.push(this.spawn());
    }
    const busy = this.workers.slice(0, Math.min(this.threads, requests.length));
    return new Promise<Report[]>((resolve, reject) => {
      let next = 0;
      let done = 0;
      let settled = false;
      const cleanups: (() => void)[] = [];
      const finish = (failure: Error | null) => {
        if (settled) {
          return;
        }
        settled = true;
        cleanups.forEach((c) => c());
        if (failure) {
          reject(failure);
        } else {
          resolve(reports);
        }
      };
      const dispatch = (worker: Worker) => {
        if (next < requests.length) {
          const job: PointJob = { index: next, request: requests[next]! };
          next++;
          worker.postMessage(job);
        }
      };
      busy.forEach((worker, id) => {
        const onMessage = (msg: PointDone) => {
          if (settled) {
            return;
          }
          if (typeof msg?.index !== 'number' || reports[msg.index] !== undefined) {
            finish(
              new WorkerFailure(
                `worker ${id} answered point ${String(msg?.index)} twice or unasked`,
              ),
            );
            return;
          }
          reports[msg.index] = msg.report;
          onPoint?.(requests[msg.index]!);
          if (++done === requests.length) {
            finish(null);
          } else {
            dispatch(worker);
          }
        };
        const onError = (e: unknown) =>
          finish(
            new WorkerFailure(`worker ${id} failed: ${e instanceof Error ? e.message : String(e)}`),
          );
        const onExit = (code: number) =>
          finish(new WorkerFailure(`worker ${id} exited with code ${code} before the run ended`));
        worker.on('message', onMessage);
        worker.on('error', onError);
        worker.on('exit', onExit);
        cleanups.push(() => {
          worker.off('message', onMessage);
          worker.off('error', onError);
          worker.off('exit', onExit);
        });
        dispatch(worker);
      });
    });
  }

  /** Ends every thread. */
  async close(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}

/** Starts a compiled `point-worker.js` (next to this file) for a spec. */
export function spawnPointWorker(data: PointWorkerData): Worker {
  return new Worker(join(__dirname, 'point-worker.js'), { workerData: data });
}

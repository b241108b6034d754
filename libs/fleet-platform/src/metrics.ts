/**
 * Prometheus helpers shared by the coordinator and the node-workers. Each app
 * owns its own prom-client `Registry` (never the global one), so several app
 * instances can live in one process (tests) without "already registered".
 */
import { Gauge, type Registry } from 'prom-client';

/** The BullMQ job states reported as queue depth, in a fixed order. */
export const QUEUE_JOB_STATES = [
  'waiting',
  'prioritized',
  'delayed',
  'active',
  'waiting-children',
  'completed',
  'failed',
] as const;

export type QueueJobState = (typeof QUEUE_JOB_STATES)[number];

/** What the gauge needs of a BullMQ `Queue`. */
export interface CountableQueue {
  readonly name: string;
  getJobCounts(...types: QueueJobState[]): Promise<Record<string, number>>;
}

/**
 * Registers `fleetsim_queue_jobs{queue,state}`: jobs per BullMQ state, read
 * from Redis with `getJobCounts()` at scrape time. When Redis does not answer
 * within `timeoutMs` the gauge is left empty for that scrape (a missing series,
 * not a stale number), so `/metrics` keeps answering while Redis is down.
 */
export function registerQueueDepthGauge(
  registry: Registry,
  queues: readonly CountableQueue[],
  timeoutMs = 1000,
): Gauge<'queue' | 'state'> {
  return new Gauge({
    name: 'fleetsim_queue_jobs',
    help: 'Jobs in the BullMQ queue by state, read from Redis at scrape time.',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        queues.map(async (queue) => {
          const counts = await withTimeout(queue.getJobCounts(...QUEUE_JOB_STATES), timeoutMs);
          if (!counts) {
            return;
          }
          for (const state of QUEUE_JOB_STATES) {
            this.set({ queue: queue.name, state }, counts[state] ?? 0);
          }
        }),
      );
    },
  });
}

/** The promise's value, or undefined when it rejects or takes longer than `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

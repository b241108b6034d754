import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { Worker, type Job } from 'bullmq';
import { performance } from 'node:perf_hooks';
import {
  ModelCache,
  SHARD_JOB,
  SHARD_QUEUE,
  TRACE_JOB,
  TRACE_QUEUE,
  type JobTrace,
  type ShardJobResult,
} from '../../../libs/kdump-core/src';
import { RedisErrorLog } from '../../../libs/fleet-platform/src/redis-error-log';
import { RedisHealth } from './redis-health.service';
import { processShardQueueJob } from './shard.processor';
import { WorkerMetrics, type FailureReason } from './worker.metrics';
import { describeRedis, WORKER_CONFIG, type WorkerConfig } from './worker.config';

type ShardQueueResult = ShardJobResult | JobTrace;

/** While draining on shutdown, give up once Redis has not answered for this long. */
const REDIS_GONE_GIVE_UP_MS = 3000;

/**
 * The BullMQ workers of the node-worker. Shards run in the sandboxed processor
 * on worker threads (one per concurrent job), so this thread stays free to
 * renew locks, answer `/health` and `/metrics`, and shut down on SIGTERM.
 * Traces (one server's crash or reboot: a millisecond or so) come from a queue
 * of their own and run right here, one at a time, so they are answered while
 * every worker thread is busy with an experiment's shards.
 */
@Injectable()
export class ShardWorkerService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('ShardWorker');
  /** The shard worker and the trace worker, once started. */
  private workers: Worker<unknown, ShardQueueResult>[] = [];
  /** Specs compiled for traces on this thread (the shard threads have their own). */
  private readonly traceModels = new ModelCache();
  /** Active job id → performance.now() when it was picked up. */
  private readonly active = new Map<string, number>();
  private completed = 0;
  private failed = 0;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly metrics: WorkerMetrics,
    private readonly health: RedisHealth,
    private readonly errorLog: RedisErrorLog,
  ) {}

  /** Starts taking jobs. Idempotent. */
  start(): void {
    if (this.workers.length > 0) {
      return;
    }
    const {
      concurrency,
      traceConcurrency,
      queuePrefix,
      processorFile,
      redis,
      lockDurationMs,
      stalledIntervalMs,
    } = this.config;
    const worker = new Worker<unknown, ShardQueueResult>(SHARD_QUEUE, processorFile, {
      connection: redis,
      prefix: queuePrefix,
      concurrency,
      useWorkerThreads: true,
      autorun: true,
      lockDuration: lockDurationMs,
      stalledInterval: stalledIntervalMs,
    });
    worker.on('active', (job) => {
      if (job.id) {
        this.active.set(job.id, performance.now());
        this.metrics.activeJobsChanged(this.active.size);
      }
    });
    worker.on('completed', (job, result) => this.onCompleted(job, result));
    worker.on('failed', (job, err) => this.onFailed(job, err));
    worker.on('error', (err) => this.errorLog.error('worker', err));
    worker.on('ready', () => this.errorLog.recovered('worker'));
    const traceWorker = new Worker<unknown, ShardQueueResult>(
      TRACE_QUEUE,
      async (job) => processShardQueueJob(job, this.traceModels),
      {
        connection: redis,
        prefix: queuePrefix,
        concurrency: traceConcurrency,
        autorun: true,
        lockDuration: lockDurationMs,
        stalledInterval: stalledIntervalMs,
      },
    );
    traceWorker.on('completed', (job, result) => this.onCompleted(job, result));
    traceWorker.on('failed', (job, err) => this.onFailed(job, err));
    traceWorker.on('error', (err) => this.errorLog.error('trace worker', err));
    traceWorker.on('ready', () => this.errorLog.recovered('trace worker'));
    this.workers = [worker, traceWorker];
    this.logger.log(
      `started: queue ${SHARD_QUEUE}, concurrency ${concurrency} (worker threads); queue ${TRACE_QUEUE} on the main thread, ${traceConcurrency} in flight; prefix ${queuePrefix}, Redis ${describeRedis(redis)}`,
    );
  }

  /**
   * Stops taking jobs, lets the active ones finish (their results are stored
   * as usual), then closes the connections and the worker threads. Runs before
   * the HTTP server closes, so `/health` answers while draining.
   *
   * While Redis does not answer, no active job can store its result, and
   * BullMQ's graceful `close()` would wait forever for its connections
   * (taskforcesh/bullmq#4656). Then the worker closes at once instead: the
   * active jobs keep their locks until those expire, and another worker's
   * stalled-job check puts them back in the queue.
   */
  async beforeApplicationShutdown(signal?: string): Promise<void> {
    const workers = this.workers;
    if (workers.length === 0) {
      return;
    }
    this.workers = [];
    const closeAll = async (force?: boolean) => {
      await Promise.all(workers.map((w) => w.close(force)));
    };
    const on = signal ? ` on ${signal}` : '';
    const redis = await this.health.check();
    if (!redis.up) {
      this.logger.warn(
        `stopping${on} with Redis unreachable (${redis.message}): ${this.active.size} active job(s) go back to the queue when their locks expire`,
      );
      await closeAll(true);
    } else {
      this.logger.log(
        `stopping${on}: taking no new jobs, waiting for ${this.active.size} active job(s)`,
      );
      let closed = false;
      const closing = closeAll().then(() => {
        closed = true;
      });
      await Promise.race([closing, this.untilRedisGone(REDIS_GONE_GIVE_UP_MS, () => closed)]);
      if (!closed) {
        this.logger.warn(
          `Redis stopped answering while draining: not waiting for ${this.active.size} active job(s); they go back to the queue when their locks expire`,
        );
        return;
      }
    }
    this.logger.log(
      `stopped: ${this.completed} job(s) completed, ${this.failed} failed attempt(s)`,
    );
  }

  /**
   * Resolves once Redis has not answered for `ms` in a row, or (quietly) once
   * `stop()` holds; polls every half second.
   */
  private async untilRedisGone(ms: number, stop: () => boolean): Promise<void> {
    let downSince: number | undefined;
    while (!stop()) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (stop()) {
        return;
      }
      if ((await this.health.check()).up) {
        downSince = undefined;
      } else {
        downSince ??= Date.now();
        if (Date.now() - downSince >= ms) {
          return;
        }
      }
    }
  }

  private onCompleted(job: Job<unknown, ShardQueueResult>, result: ShardQueueResult): void {
    this.completed++;
    const seconds = this.elapsedSeconds(job);
    if (job.name === SHARD_JOB) {
      this.metrics.shardCompleted(result as ShardJobResult, seconds);
    } else if (job.name === TRACE_JOB) {
      this.metrics.traceCompleted();
    }
  }

  private onFailed(job: Job<unknown, ShardQueueResult> | undefined, err: Error): void {
    this.failed++;
    // The sandbox hands the error over as a plain Error carrying the original name.
    const reason: FailureReason = err.name === 'UnrecoverableError' ? 'invalid' : 'error';
    this.metrics.jobFailed(reason);
    if (!job) {
      this.logger.warn(`a job failed: ${err.message}`);
      return;
    }
    this.elapsedSeconds(job);
    const attempts = job.opts.attempts ?? 1;
    const retried = reason === 'error' && job.attemptsMade < attempts;
    const data = job.data as { experimentId?: string; shard?: { index?: number } } | null;
    this.logger.warn({
      experimentId: data?.experimentId,
      shard: data?.shard?.index,
      jobId: job.id,
      attempt: job.attemptsMade,
      message: `job ${job.id} (${job.name}) failed, attempt ${job.attemptsMade} of ${attempts}, ${
        reason === 'invalid'
          ? 'invalid payload, not retried'
          : retried
            ? 'will be retried'
            : 'no attempts left'
      }: ${err.message}`,
    });
  }

  /** Wall seconds since the job was picked up, and forgets it. */
  private elapsedSeconds(job: Job): number {
    const started = job.id ? this.active.get(job.id) : undefined;
    if (job.id) {
      this.active.delete(job.id);
      this.metrics.activeJobsChanged(this.active.size);
    }
    if (started !== undefined) {
      return (performance.now() - started) / 1000;
    }
    return job.processedOn && job.finishedOn ? (job.finishedOn - job.processedOn) / 1000 : 0;
  }
}

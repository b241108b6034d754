import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { FlowProducer, Job, Queue, QueueEvents } from 'bullmq';
import { randomUUID } from 'node:crypto';
import {
  SHARD_JOB,
  SHARD_QUEUE,
  TRACE_JOB,
  TRACE_QUEUE,
  type JobTrace,
  type ShardTask,
  type SpecRef,
  type TraceJobData,
} from '../../../../libs/kdump-core/src';
import { SHARD_QUEUE_STREAMS } from '../../../../libs/fleet-platform/src/shard-queue';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config/coordinator.config';
import {
  EXPERIMENT_QUEUE,
  MERGE_JOB,
  mergeJobOptions,
  PLAN_JOB,
  planJobId,
  planJobOptions,
  shardJobData,
  shardJobOptions,
  type ExperimentJobData,
} from '../domain/flow-jobs';
import { RedisErrorLog } from '../../../../libs/fleet-platform/src/redis-error-log';
import { specRefOf } from '../../../../libs/fleet-platform/src/spec-ref';
import { coordinatorKeyBase } from './coordinator-store';
import { experimentKey } from './experiment.repository';
import { commandConnection, RedisRepository } from './redis.repository';

/** Where a merge parent stands, read from BullMQ. */
export interface FlowProgress {
  /** The parent's BullMQ state, or `missing` when it is gone (completed and removed, or never added). */
  parentState: string;
  /** Shards whose results reached the parent. */
  shardsDone: number;
  /** Children still pending (shards and the plan gate). */
  pending: number;
}

/** A child that failed for good, as BullMQ kept it. */
export interface FailedChild {
  queue: string;
  jobId: string;
  failedReason: string | null;
  attemptsMade: number;
}

/** The trace job did not finish in time. */
export class TraceTimeoutError extends Error {}
/** The trace job failed (the worker refused it or the simulation threw). */
export class TraceFailedError extends Error {}

/**
 * BullMQ, as the coordinator uses it: the shard queue and the trace queue
 * (node-workers consume them), the experiment queue (merge parents and plan
 * gates, consumed by the coordinator), the flow producer, and the events of the
 * shard and trace queues.
 */
@Injectable()
export class QueueRepository implements OnApplicationShutdown {
  private readonly logger = new Logger('Queues');
  readonly shards: Queue;
  readonly experiments: Queue;
  readonly traces: Queue;
  private readonly flow: FlowProducer;
  private readonly keyBase: string;
  private readonly shardEvents: QueueEvents;
  private readonly traceEvents: QueueEvents;
  /**
   * Trace jobs being waited for, by job id. One pair of listeners on the trace
   * events serves them all: `job.waitUntilFinished` adds three listeners per
   * wait (one on the queue's `closing`), which piles up past Node's limit of
   * 10 under concurrent requests.
   */
  private readonly traceWaits = new Map<
    string,
    { resolve: (trace: JobTrace) => void; reject: (err: Error) => void }
  >();

  constructor(
    @Inject(COORDINATOR_CONFIG) config: CoordinatorConfig,
    private readonly redis: RedisRepository,
    errorLog: RedisErrorLog,
  ) {
    const prefix = config.queuePrefix;
    this.keyBase = coordinatorKeyBase(prefix);
    const connection = commandConnection(config.redis);
    this.shards = new Queue(SHARD_QUEUE, {
      connection,
      prefix,
      streams: SHARD_QUEUE_STREAMS,
    });
    this.experiments = new Queue(EXPERIMENT_QUEUE, { connection, prefix });
    this.traces = new Queue(TRACE_QUEUE, { connection, prefix });
    this.flow = new FlowProducer({ connection, prefix });
    // Blocking XREAD: its connection must retry forever.
    this.shardEvents = new QueueEvents(SHARD_QUEUE, { connection: config.redis, prefix });
    this.traceEvents = new QueueEvents(TRACE_QUEUE, { connection: config.redis, prefix });
    const onError = (source: string) => (err: Error) => errorLog.error(source, err);
    this.shards.on('error', onError('shard queue'));
    this.experiments.on('error', onError('experiment queue'));
    this.traces.on('error', onError('trace queue'));
    this.flow.on('error', onError('flow producer'));
    this.shardEvents.on('error', onError('shard queue events'));
    this.traceEvents.on('error', onError('trace queue events'));
    this.traceEvents.on('completed', ({ jobId, returnvalue }) =>
      this.traceWaits.get(jobId)?.resolve(returnvalue as unknown as JobTrace),
    );
    this.traceEvents.on('failed', ({ jobId, failedReason }) =>
      this.traceWaits.get(jobId)?.reject(new TraceFailedError(failedReason)),
    );
  }

  /**
   * The reference shards carry to their experiment's spec: the record's `spec`
   * field, as ExperimentRepository.create wrote it (`JSON.stringify(spec)`).
   */
  private specRef(experimentId: string, spec: unknown): SpecRef {
    return specRefOf(experimentKey(this.keyBase, experimentId), 'spec', JSON.stringify(spec));
  }

  /**
   * Adds an experiment's flow in one transaction: the merge parent, its plan
   * gate and the first chunk of shards.
   */
  async addExperimentFlow(
    experimentId: string,
    spec: unknown,
    firstShards: readonly ShardTask[],
  ): Promise<void> {
    this.redis.assertReady();
    const data: ExperimentJobData = { experimentId };
    const specRef = this.specRef(experimentId, spec);
    await this.flow.add({
      name: MERGE_JOB,
      queueName: EXPERIMENT_QUEUE,
      data,
      opts: mergeJobOptions(experimentId),
      children: [
        { name: PLAN_JOB, queueName: EXPERIMENT_QUEUE, data, opts: planJobOptions(experimentId) },
        ...firstShards.map((shard) => ({
          name: SHARD_JOB,
          queueName: SHARD_QUEUE,
          data: shardJobData(experimentId, specRef, shard),
          opts: shardJobOptions(experimentId, shard.index),
        })),
      ],
    });
  }

  /**
   * Adds more shards under an experiment's merge parent, in one pipeline.
   * Ids are the shard ids, so adding a chunk twice adds nothing twice.
   * Throws when BullMQ refuses one (its merge parent is gone: code -5).
   */
  async addShards(
    experimentId: string,
    spec: unknown,
    shards: readonly ShardTask[],
  ): Promise<void> {
    const parent = { id: experimentId, queue: this.experiments.qualifiedName };
    const specRef = this.specRef(experimentId, spec);
    const jobs = await this.shards.addBulk(
      shards.map((shard) => ({
        name: SHARD_JOB,
        data: shardJobData(experimentId, specRef, shard),
        opts: { ...shardJobOptions(experimentId, shard.index), parent },
      })),
    );
    // addBulk hands BullMQ's error codes back as ids instead of throwing.
    const refused = jobs.findIndex((job) => /^-\d+$/.test(String(job.id)));
    if (refused >= 0) {
      const code = String(jobs[refused]!.id);
      throw new Error(
        `BullMQ refused shard ${shards[refused]!.index} of experiment ${experimentId} (code ${code}${
          code === '-5' ? ': its merge parent is gone' : ''
        })`,
      );
    }
  }

  mergeJob(experimentId: string): Promise<Job | undefined> {
    return Job.fromId(this.experiments, experimentId);
  }

  /** Key of a shard job, as the parent's dependency sets name it. */
  shardJobKey(jobId: string): string {
    return this.shards.toKey(jobId);
  }

  /** Shards done and pending of an experiment's flow, from the merge parent's dependencies. */
  async progress(experimentId: string): Promise<FlowProgress> {
    this.redis.assertReady();
    const parent = await this.mergeJob(experimentId);
    if (!parent) {
      return { parentState: 'missing', shardsDone: 0, pending: 0 };
    }
    const [counts, planDone, parentState] = await Promise.all([
      parent.getDependenciesCount({ processed: true, unprocessed: true }),
      this.redis.client.hexists(
        this.experiments.toKey(`${experimentId}:processed`),
        this.experiments.toKey(planJobId(experimentId)),
      ),
      parent.getState(),
    ]);
    return {
      parentState,
      shardsDone: Math.max(0, (counts.processed ?? 0) - (planDone ? 1 : 0)),
      pending: counts.unprocessed ?? 0,
    };
  }

  /**
   * The results that reached an experiment's merge parent, page by page
   * (HSCAN: a field may come twice; the caller keys by shard).
   */
  async *processedChildren(experimentId: string, pageSize = 20): AsyncGenerator<[string, unknown]> {
    const parent = await this.mergeJob(experimentId);
    if (!parent) {
      return;
    }
    let cursor = 0;
    do {
      const page = await parent.getDependencies({ processed: { cursor, count: pageSize } });
      for (const entry of Object.entries(page.processed ?? {})) {
        yield entry;
      }
      cursor = Number(page.nextProcessedCursor ?? 0);
    } while (cursor !== 0);
  }

  /**
   * Removes every child of the merge parent that has not started (waiting,
   * delayed, prioritized); running ones finish and are then dropped by the
   * merge. Returns how many were removed.
   */
  async removePendingChildren(experimentId: string): Promise<number> {
    const parent = await this.mergeJob(experimentId);
    if (!parent) {
      return 0;
    }
    let removed = 0;
    // Removing while scanning: repeat until a pass removes nothing.
    for (let pass = 0; pass < 10; pass++) {
      let removedThisPass = 0;
      let cursor = 0;
      do {
        const page = await parent.getDependencies({ unprocessed: { cursor, count: 500 } });
        const results = await Promise.all(
          (page.unprocessed ?? []).map((key) => this.removeByKey(key)),
        );
        removedThisPass += results.filter(Boolean).length;
        cursor = Number(page.nextUnprocessedCursor ?? 0);
      } while (cursor !== 0);
      removed += removedThisPass;
      if (removedThisPass === 0) {
        break;
      }
    }
    return removed;
  }

  private async removeByKey(key: string): Promise<boolean> {
    for (const queue of [this.shards, this.experiments]) {
      const start = `${queue.qualifiedName}:`;
      if (key.startsWith(start)) {
        // 0 when the job is locked (running): it finishes on its own.
        return (await queue.remove(key.slice(start.length))) === 1;
      }
    }
    return false;
  }

  /** The child named in a BullMQ "child <key> failed" reason, as kept in the failed set. */
  async failedChild(key: string): Promise<FailedChild | null> {
    for (const queue of [this.shards, this.experiments]) {
      const start = `${queue.qualifiedName}:`;
      if (key.startsWith(start)) {
        const jobId = key.slice(start.length);
        const job = await Job.fromId(queue, jobId);
        return {
          queue: queue.name,
          jobId,
          failedReason: job?.failedReason ?? null,
          attemptsMade: job?.attemptsMade ?? 0,
        };
      }
    }
    return null;
  }

  /** Node-worker connections on the shard queue (0 when Redis will not say). */
  async workersCount(): Promise<number> {
    try {
      return await this.shards.getWorkersCount();
    } catch {
      return 0;
    }
  }

  /**
   * Runs one trace job and waits for its outcome. The job is kept a few minutes
   * after it finishes (so the wait cannot miss it), then BullMQ drops it.
   */
  async runTrace(data: TraceJobData, timeoutMs: number): Promise<JobTrace> {
    this.redis.assertReady();
    const jobId = `trace_${randomUUID().replace(/-/g, '')}`;
    // Listening before the job exists: its events cannot be missed.
    await this.traceEvents.waitUntilReady();
    let timer: NodeJS.Timeout | undefined;
    const outcome = new Promise<JobTrace>((resolve, reject) => {
      this.traceWaits.set(jobId, { resolve, reject });
      timer = setTimeout(
        () =>
          reject(
            new TraceTimeoutError(
              `no node-worker finished the ${data.kind} job within ${timeoutMs / 1000} s; is a node-worker running on this Redis and queue prefix?`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      const job = await this.traces.add(TRACE_JOB, data, {
        jobId,
        attempts: 1,
        removeOnComplete: { age: 300, count: 1000 },
        removeOnFail: { age: 300, count: 1000 },
      });
      try {
        return await outcome;
      } catch (err) {
        if (err instanceof TraceTimeoutError) {
          // Nobody took it: do not leave it for a worker that comes much later.
          await job.remove().catch(() => undefined);
        }
        throw err;
      }
    } finally {
      clearTimeout(timer);
      this.traceWaits.delete(jobId);
      // A rejection nobody awaits (the add failed) must not surface as unhandled.
      outcome.catch(() => undefined);
    }
  }

  /** Shard starts and completions, as the shard queue's events report them. */
  onShardEvents(listeners: {
    active: (jobId: string) => void;
    completed: (jobId: string, result: unknown) => void;
  }): void {
    this.shardEvents.on('active', ({ jobId }) => listeners.active(jobId));
    this.shardEvents.on('completed', ({ jobId, returnvalue }) =>
      listeners.completed(jobId, returnvalue),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    for (const wait of this.traceWaits.values()) {
      wait.reject(new TraceFailedError('the coordinator is shutting down'));
    }
    const ms = this.redis.ready ? 3000 : 200;
    await Promise.all([
      closeWithin(this.shardEvents, ms),
      closeWithin(this.traceEvents, ms),
      closeWithin(this.traces, ms),
      closeWithin(this.flow, ms),
      closeWithin(this.shards, ms),
      closeWithin(this.experiments, ms),
    ]);
    this.logger.debug('closed');
  }
}

/**
 * Closes a BullMQ object, or drops its connections when that takes longer than
 * `ms`: while Redis is down, `close()` and `disconnect()` wait for a connection
 * that never comes.
 */
export async function closeWithin(
  closeable: { close(): Promise<void>; getBackend(): { close(force?: boolean): Promise<void> } },
  ms: number,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    const outcome = await Promise.race([
      closeable.close().catch(() => 'failed' as const),
      timedOut,
    ]);
    if (outcome === 'timeout' || outcome === 'failed') {
      await closeable
        .getBackend()
        .close(true)
        .catch(() => undefined);
    }
  } finally {
    clearTimeout(timer);
  }
}

import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { UnrecoverableError, type Job } from 'bullmq';
import {
  decodeShardResult,
  emptyAggregate,
  encodeSparse,
  mergeInto,
  planShards,
  shardJobId,
  type ShardJobResult,
} from '../../../../libs/kdump-core/src';
import { parseShardJobId } from '../domain/experiment';
import { ACTIVE_STATES, isActive } from '../../../../libs/fleet-contract/src/http-contract';
import {
  MERGE_JOB,
  SHARD_CHUNK,
  type ExperimentJobData,
  type MergeJobResult,
  type PlanJobResult,
} from '../domain/flow-jobs';
import { ExperimentRepository } from '../repositories/experiment.repository';
import { QueueRepository } from '../repositories/queue.repository';
import { RedisErrorLog } from '../../../../libs/fleet-platform/src/redis-error-log';
import { WorkerRepository } from '../repositories/worker.repository';
import { ExperimentModels } from './experiment-models.service';

/**
 * The life of an experiment's flow after it was posted: the plan gate puts the
 * remaining shards on the queue, the merge parent merges every shard result
 * exactly once, failures end the experiment, and shard events feed live progress.
 *
 * Exactly once: a shard's result lands in the merge parent's `processed` hash
 * under the shard's job key (`<prefix>:shards:<exp>-<i>`), written by BullMQ in
 * the same script that completes the shard. A shard re-run after its worker
 * died has the same job id and computes the same bytes, so it overwrites its
 * own field with the same value. The merge reads that hash, keys results by
 * shard index (HSCAN may repeat a field), refuses to finish unless every shard
 * index 0..n-1 is there once, and stores the merged aggregate with a
 * state-checked script: re-running the merge writes the same bytes again.
 */
@Injectable()
export class FlowService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Flow');

  constructor(
    private readonly experiments: ExperimentRepository,
    private readonly queues: QueueRepository,
    private readonly worker: WorkerRepository,
    private readonly models: ExperimentModels,
    private readonly errorLog: RedisErrorLog,
  ) {}

  onApplicationBootstrap(): void {
    this.worker.start(
      { plan: (job) => this.plan(job), merge: (job) => this.merge(job) },
      (job, err, final) => this.onFailed(job, err, final),
    );
    this.queues.onShardEvents({
      active: (jobId) => this.onShardActive(jobId),
      completed: (jobId, result) => this.onShardCompleted(jobId, result),
    });
  }

  /**
   * The plan gate: enqueues the shards the flow did not carry, chunk by chunk,
   * resuming where a previous attempt stopped. Stops (and removes what it
   * added) when the experiment was cancelled meanwhile.
   */
  async plan(job: Job<ExperimentJobData>): Promise<PlanJobResult> {
    const id = job.data.experimentId;
    const rec = await this.experiments.get(id);
    if (!rec) {
      throw new UnrecoverableError(`experiment ${id} has no record in Redis`);
    }
    if (!isActive(rec.state)) {
      return { experimentId: id, enqueuedShards: rec.enqueuedShards, stoppedBy: rec.state };
    }
    const shards = planShards(this.models.modelOf(rec).model, rec.shardSize);
    if (shards.length !== rec.shardsTotal) {
      throw new UnrecoverableError(
        `experiment ${id}: the plan has ${shards.length} shards, the record says ${rec.shardsTotal}`,
      );
    }
    let enqueued = rec.enqueuedShards;
    while (enqueued < shards.length) {
      const state = await this.experiments.getState(id);
      if (state === null || !isActive(state)) {
        await this.queues.removePendingChildren(id);
        return { experimentId: id, enqueuedShards: enqueued, stoppedBy: state ?? 'missing' };
      }
      const chunk = shards.slice(enqueued, enqueued + SHARD_CHUNK);
      await this.queues.addShards(id, rec.spec, chunk);
      enqueued += chunk.length;
      await this.experiments.setEnqueued(id, enqueued);
    }
    // A cancel that raced with the last chunk may have cleaned up before it landed.
    const state = await this.experiments.getState(id);
    if (state === null || !isActive(state)) {
      await this.queues.removePendingChildren(id);
      return { experimentId: id, enqueuedShards: enqueued, stoppedBy: state ?? 'missing' };
    }
    return { experimentId: id, enqueuedShards: enqueued };
  }

  /** The merge parent: runs once every child is done. */
  async merge(job: Job<ExperimentJobData>): Promise<MergeJobResult> {
    const id = job.data.experimentId;
    const rec = await this.experiments.get(id);
    if (!rec) {
      throw new UnrecoverableError(`experiment ${id} has no record in Redis`);
    }
    if (!isActive(rec.state) && rec.state !== 'done') {
      // Cancelled or failed: the results that came in are dropped with this job.
      return { experimentId: id, state: rec.state, shards: 0, evaluations: 0 };
    }
    const mergeStarted = performance.now();
    const { layout } = this.models.modelOf(rec);
    const total = emptyAggregate(layout);
    const merged = new Set<number>();
    let evaluations = 0;
    for await (const [key, value] of this.queues.processedChildren(id)) {
      const parsed = parseShardJobId(key.slice(key.lastIndexOf(':') + 1));
      if (!parsed || key !== this.queues.shardJobKey(shardJobId(id, parsed.shardIndex))) {
        continue; // the plan gate
      }
      const result = value as ShardJobResult;
      if (
        parsed.experimentId !== id ||
        result?.experimentId !== id ||
        result.shardIndex !== parsed.shardIndex ||
        parsed.shardIndex >= rec.shardsTotal
      ) {
        throw new UnrecoverableError(
          `experiment ${id}: child ${key} returned shard ${String(result?.shardIndex)} of experiment ${String(result?.experimentId)}`,
        );
      }
      if (merged.has(parsed.shardIndex)) {
        continue;
      }
      try {
        mergeInto(total, decodeShardResult(layout, result));
      } catch (e) {
        throw new UnrecoverableError(
          `experiment ${id}: shard ${parsed.shardIndex} returned an unreadable result: ${(e as Error).message}`,
        );
      }
      merged.add(parsed.shardIndex);
      evaluations += result.evaluations;
    }
    if (merged.size !== rec.shardsTotal) {
      const missing: number[] = [];
      for (let i = 0; i < rec.shardsTotal && missing.length < 10; i++) {
        if (!merged.has(i)) {
          missing.push(i);
        }
      }
      throw new UnrecoverableError(
        `experiment ${id}: ${merged.size} of ${rec.shardsTotal} shard results reached the merge (missing ${missing.join(', ')}${rec.shardsTotal - merged.size > missing.length ? ', ...' : ''})`,
      );
    }
    const servers = total.slots[layout.serversSlot];
    if (servers !== rec.servers) {
      throw new UnrecoverableError(
        `experiment ${id}: the merged shards simulated ${servers} servers, the fleet has ${rec.servers}`,
      );
    }
    const threads = await this.queues.workersCount();
    const state = await this.experiments.finish(
      id,
      encodeSparse(total),
      evaluations,
      threads,
      Date.now(),
    );
    if (state === 'done') {
      const seconds = ((performance.now() - mergeStarted) / 1000).toFixed(2);
      this.logger.log({
        message: `experiment ${id} done: ${merged.size} shards, ${evaluations} evaluations, merged in ${seconds} s`,
        experimentId: id,
        shards: merged.size,
        evaluations,
        mergeSeconds: Number(seconds),
      });
    }
    return { experimentId: id, state, shards: merged.size, evaluations };
  }

  /** A merge that failed for good fails its experiment (a failed shard or plan gate fails the merge). */
  private onFailed(job: Job, err: Error, final: boolean): void {
    if (!final) {
      this.logger.warn({
        message: `${job.name} ${job.id} failed, will retry: ${err.message}`,
        experimentId: (job.data as Partial<ExperimentJobData> | null)?.experimentId,
        jobId: job.id,
      });
      return;
    }
    if (job.name !== MERGE_JOB) {
      // The failure moves on to the merge parent (failParentOnFailure).
      this.logger.warn({
        message: `${job.name} ${job.id} failed: ${err.message}`,
        experimentId: (job.data as Partial<ExperimentJobData> | null)?.experimentId,
        jobId: job.id,
      });
      return;
    }
    const id = (job.data as ExperimentJobData).experimentId;
    this.failExperiment(id, job.failedReason || err.message).catch((e: unknown) =>
      this.errorLog.error(`failing experiment ${id}`, e),
    );
  }

  /**
   * Marks an experiment failed (unless it already stopped) with a readable
   * reason, and removes its shards that have not started.
   */
  async failExperiment(id: string, reason: string): Promise<void> {
    const error = await this.describeFailure(reason);
    const progress = await this.queues.progress(id);
    const result = await this.experiments.transition(id, ACTIVE_STATES, 'failed', {
      error,
      finishedAt: Date.now(),
      shardsDone: progress.shardsDone,
    });
    if (result.ok) {
      this.logger.warn({ message: `experiment ${id} failed: ${error}`, experimentId: id });
      await this.queues.removePendingChildren(id);
    }
  }

  /** "child <key> failed" → which shard, after how many attempts, and why. */
  private async describeFailure(reason: string): Promise<string> {
    const m = /^child (\S+) failed/.exec(reason);
    if (!m) {
      return reason;
    }
    const child = await this.queues.failedChild(m[1]!).catch(() => null);
    if (!child) {
      return reason;
    }
    const shard = parseShardJobId(child.jobId);
    const what = shard
      ? `shard ${shard.shardIndex} (job ${child.jobId})`
      : `${child.queue} job ${child.jobId}`;
    return `${what} failed after ${child.attemptsMade} attempt(s): ${child.failedReason ?? 'no reason kept'}`;
  }

  private onShardActive(jobId: string): void {
    const shard = parseShardJobId(jobId);
    if (shard) {
      this.experiments
        .markStarted(shard.experimentId, Date.now())
        .catch((e: unknown) => this.errorLog.error('shard events', e));
    }
  }

  private onShardCompleted(jobId: string, result: unknown): void {
    const shard = parseShardJobId(jobId);
    const evaluations = (result as Partial<ShardJobResult> | null)?.evaluations;
    if (shard && typeof evaluations === 'number') {
      this.experiments
        .recordShard(shard.experimentId, shard.shardIndex, evaluations, Date.now())
        .catch((e: unknown) => this.errorLog.error('shard events', e));
    }
  }
}

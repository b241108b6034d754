/**
 * The coordinator's BullMQ flow of one experiment, as data: names, ids and the
 * options of every node. A FlowProducer does not apply a queue's
 * defaultJobOptions, so every node carries its own.
 *
 *   experiments/merge  id <exp>            parent: merges every child's result once
 *   ├── experiments/plan  id <exp>-plan    gate: enqueues shards beyond the first chunk
 *   ├── shards/shard      id <exp>-0       ShardJobData → ShardJobResult (node-workers)
 *   ├── ...
 *   └── shards/shard      id <exp>-<n-1>
 *
 * The parent leaves `waiting-children` only when every child is done; the plan
 * child stays pending until all shards are on the queue, so a parent can never
 * be released while shards are still being added.
 */
import type { JobsOptions } from 'bullmq';
import {
  JOB_CONTRACT_VERSION,
  shardJobId,
  type ShardJobData,
  type ShardTask,
  type SpecRef,
} from '../../../../libs/kdump-core/src';

/** Queue of the coordinator's own jobs (merge parents and plan gates). */
export const EXPERIMENT_QUEUE = 'experiments';
export const MERGE_JOB = 'merge';
export const PLAN_JOB = 'plan';
export type CoordinatorJobName = typeof MERGE_JOB | typeof PLAN_JOB;
export const COORDINATOR_JOB_NAMES: readonly CoordinatorJobName[] = [MERGE_JOB, PLAN_JOB];

/**
 * Shards per Redis round trip when enqueueing: the first chunk rides with the
 * flow (one MULTI), each later one is an addBulk pipeline of the plan job.
 */
export const SHARD_CHUNK = 1000;

/** Input of `merge` and `plan`. */
export interface ExperimentJobData {
  experimentId: string;
}

/** Output of `merge`. */
export interface MergeJobResult {
  experimentId: string;
  /** `done`, or the state that made the merge stand down (cancelled, failed). */
  state: string;
  shards: number;
  evaluations: number;
}

/** Output of `plan`. */
export interface PlanJobResult {
  experimentId: string;
  enqueuedShards: number;
  /** Set when the experiment stopped while shards were being added. */
  stoppedBy?: string;
}

/** Job id of an experiment's plan gate. */
export function planJobId(experimentId: string): string {
  return `${experimentId}-plan`;
}

const FAILED_KEEP = { count: 1000, age: 7 * 24 * 3600 };

/** The merge parent: retried on transient errors; removed when done (its children's results go with it). */
export function mergeJobOptions(experimentId: string): JobsOptions {
  return {
    jobId: experimentId,
    attempts: 5,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: true,
    removeOnFail: FAILED_KEEP,
  };
}

/** The plan gate: when it cannot finish, the experiment fails. */
export function planJobOptions(experimentId: string): JobsOptions {
  return {
    jobId: planJobId(experimentId),
    attempts: 5,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: true,
    removeOnFail: FAILED_KEEP,
    failParentOnFailure: true,
  };
}

/**
 * A shard: idempotent id, three attempts with backoff, removed once its result
 * is in the parent; a shard that fails for good fails the experiment.
 */
export function shardJobOptions(experimentId: string, shardIndex: number): JobsOptions {
  return {
    jobId: shardJobId(experimentId, shardIndex),
    attempts: 3,
    backoff: { type: 'exponential', delay: 2000 },
    removeOnComplete: true,
    removeOnFail: FAILED_KEEP,
    failParentOnFailure: true,
  };
}

/** A shard's payload: the spec by reference (stored once in the experiment's record), never a copy. */
export function shardJobData(
  experimentId: string,
  specRef: SpecRef,
  shard: ShardTask,
): ShardJobData {
  return { v: JOB_CONTRACT_VERSION, experimentId, specRef, shard };
}

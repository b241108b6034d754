/**
 * An experiment as the coordinator keeps it (a Redis hash), its API view (the
 * contract's `ExperimentView`), plus the progress arithmetic. Pure: the clock comes in as an argument.
 */
import { randomBytes } from 'node:crypto';
import {
  isActive,
  type ExperimentState,
  type ExperimentView,
} from '../../../../libs/fleet-contract/src/http-contract';

/** The stored experiment. Times are epoch milliseconds. */
export interface ExperimentRecord {
  id: string;
  name: string;
  state: ExperimentState;
  servers: number;
  shardsTotal: number;
  /** Servers per shard as planned (the last shard may be smaller). */
  shardSize: number;
  /** The validated spec (`resolved.spec`), as sent to the workers. */
  spec: unknown;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  error: string | null;
  /** Shards put on the queue so far (the plan job resumes from here). */
  enqueuedShards: number;
  /** Evaluations and shards seen in `completed` events while running (live progress only). */
  evaluationsSeen: number;
  shardsSeen: number;
  /** Exact evaluations of the merged experiment (done only). */
  evaluations: number | null;
  /** Shards done when the experiment stopped (failed, cancelled). */
  shardsDone: number | null;
  /** Node-worker connections on the shard queue when the experiment was merged. */
  threads: number | null;
  /** The batch this experiment is a point of (`POST /batches`), or null. */
  batch?: string | null;
  /** Its point's index in the batch, or null. */
  point?: number | null;
}

/**
 * A new experiment id: `exp_` and a base-36 millisecond time (so ids sort by
 * creation) and 6 random hex digits. Letters, digits and `_` only: a valid
 * BullMQ job id, and its shard ids `<id>-<n>` parse back unambiguously.
 */
export function newExperimentId(
  nowMs: number,
  random: () => Buffer = () => randomBytes(3),
): string {
  return `exp_${nowMs.toString(36)}${random().toString('hex')}`;
}

/** The experiment id and shard index of a shard job id (`<id>-<n>`), or null. */
export function parseShardJobId(
  jobId: string,
): { experimentId: string; shardIndex: number } | null {
  const m = /^(exp_[a-z0-9]+)-(\d+)$/.exec(jobId);
  return m ? { experimentId: m[1]!, shardIndex: Number(m[2]) } : null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * The API view of an experiment.
 * @param shardsDone shards whose results reached the merge job (from BullMQ), for a running one
 * @param nowMs the clock
 */
export function experimentView(
  rec: ExperimentRecord,
  shardsDone: number,
  nowMs: number,
): ExperimentView {
  const total = rec.shardsTotal;
  const done = rec.state === 'done' ? total : Math.max(0, Math.min(total, Math.floor(shardsDone)));
  const { jobsPerSecond, etaSeconds } = pace(rec, done, nowMs);
  const view: ExperimentView = {
    id: rec.id,
    name: rec.name,
    state: rec.state,
    servers: rec.servers,
    shards: { done, total },
    jobsPerSecond,
    etaSeconds,
    createdAt: iso(rec.createdAt)!,
    startedAt: iso(rec.startedAt),
    finishedAt: iso(rec.finishedAt),
  };
  if (rec.error) {
    view.error = rec.error;
  }
  return view;
}

/** Jobs (evaluations) per second and the ETA. */
export function pace(
  rec: ExperimentRecord,
  done: number,
  nowMs: number,
): { jobsPerSecond: number | null; etaSeconds: number | null } {
  const since = rec.startedAt ?? rec.createdAt;
  if (rec.state === 'done') {
    const seconds = ((rec.finishedAt ?? nowMs) - since) / 1000;
    const evaluations = rec.evaluations ?? rec.evaluationsSeen;
    return {
      jobsPerSecond: seconds > 0 ? Math.round(evaluations / seconds) : null,
      etaSeconds: 0,
    };
  }
  if (!isActive(rec.state)) {
    return { jobsPerSecond: null, etaSeconds: null };
  }
  const seconds = (nowMs - since) / 1000;
  if (done === 0 || seconds <= 0) {
    return { jobsPerSecond: done === 0 ? 0 : null, etaSeconds: null };
  }
  // Events missed while the coordinator was down: scale what was seen up to the shards done.
  const evaluations =
    rec.shardsSeen >= done || rec.shardsSeen === 0
      ? rec.evaluationsSeen
      : (rec.evaluationsSeen / rec.shardsSeen) * done;
  return {
    jobsPerSecond: Math.round(evaluations / seconds),
    etaSeconds: Math.round(((seconds * (rec.shardsTotal - done)) / done) * 10) / 10,
  };
}

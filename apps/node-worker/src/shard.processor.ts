/**
 * The sandboxed processor of the `shards` queue. BullMQ loads the compiled file
 * (`shard.processor.js`) in a worker thread of its pool and calls the default
 * export once per job, so the CPU-bound simulation never blocks the main
 * thread's lock renewal. The `traces` queue's jobs run through the same
 * {@link processShardQueueJob}, on the main thread (they take a millisecond).
 *
 * Input:  a job named `shard` ({@link ShardJobData}) or `trace` ({@link TraceJobData}).
 * Output: {@link ShardJobResult} or {@link JobTrace}.
 * Errors: a payload that can never succeed ({@link InvalidJobError}, or an
 *   unknown job name) becomes BullMQ's `UnrecoverableError`: failed once, never
 *   retried. Anything else is rethrown as is and retried per the job's attempts.
 *
 * Why a fresh `UnrecoverableError` and not a subclass: the sandbox sends the
 * error to the main thread as its own properties (message, stack, name) and the
 * main thread rebuilds a plain `Error`; BullMQ then decides "no retry" by
 * `err.name === 'UnrecoverableError'` alone. A subclass would carry its own
 * name and be retried.
 */
import { UnrecoverableError } from 'bullmq';
import { Redis } from 'ioredis';
import { readRedisConnection } from '../../../libs/fleet-platform/src/config';
import { SpecRefError, SpecResolver } from '../../../libs/fleet-platform/src/spec-ref';
import {
  InvalidJobError,
  ModelCache,
  runShardJob,
  runTraceJob,
  SHARD_JOB,
  SHARD_QUEUE,
  TRACE_JOB,
  TRACE_QUEUE,
  type JobTrace,
  type ShardJobData,
  type ShardJobResult,
  type TraceJobData,
} from '../../../libs/kdump-core/src';

/** What the processor reads of a (sandboxed) BullMQ job. */
export interface ShardQueueJob {
  name: string;
  data: unknown;
}

/** Runs one shard or trace job with `cache`, mapping deterministic failures. */
export function processShardQueueJob(
  job: ShardQueueJob,
  cache: ModelCache,
): ShardJobResult | JobTrace {
  try {
    switch (job.name) {
      case SHARD_JOB:
        return runShardJob(job.data as ShardJobData, cache);
      case TRACE_JOB:
        return runTraceJob(job.data as TraceJobData, cache);
      default:
        throw new InvalidJobError(
          `unknown job name "${job.name}": this worker runs "${SHARD_JOB}" jobs (queue ${SHARD_QUEUE}) and "${TRACE_JOB}" jobs (queue ${TRACE_QUEUE})`,
        );
    }
  } catch (err) {
    if (err instanceof InvalidJobError) {
      throw new UnrecoverableError(`${err.name}: ${err.message}`);
    }
    throw err;
  }
}

/**
 * Fills in the spec a shard job refers to (`specRef`: stored once per
 * experiment) before it runs; a spec that is gone or not the one referred to
 * fails the job for good.
 */
export async function withResolvedSpec(
  job: ShardQueueJob,
  resolver: () => SpecResolver,
): Promise<ShardQueueJob> {
  const data = job.data as { spec?: unknown; specRef?: ShardJobData['specRef'] } | null;
  if (job.name !== SHARD_JOB || data === null || typeof data !== 'object' || !data.specRef) {
    return job;
  }
  try {
    return { name: job.name, data: { ...data, spec: await resolver().specOf(data) } };
  } catch (err) {
    if (err instanceof SpecRefError) {
      throw new UnrecoverableError(`${err.name}: ${err.message}`);
    }
    throw err;
  }
}

/** One cache per worker thread: each spec is compiled once per thread, however many shards. */
const threadCache = new ModelCache();
let threadResolver: SpecResolver | undefined;

/**
 * This thread's reader of stored specs: a Redis connection of its own (the
 * thread shares no objects with the main one), from the same REDIS_URL. A
 * command fails after a few retries, so a Redis outage fails the attempt
 * (retried later) instead of hanging it.
 */
function resolver(): SpecResolver {
  if (!threadResolver) {
    const redis = new Redis({ ...readRedisConnection(process.env), maxRetriesPerRequest: 3 });
    redis.on('error', () => undefined);
    threadResolver = new SpecResolver((key, field) => redis.hget(key, field));
  }
  return threadResolver;
}

/** The sandboxed processor BullMQ calls (module.exports.default of the compiled file). */
export default async function shardProcessor(
  job: ShardQueueJob,
): Promise<ShardJobResult | JobTrace> {
  return processShardQueueJob(await withResolvedSpec(job, resolver), threadCache);
}

/**
 * The node-worker's configuration: read once from the environment at start,
 * validated, typed. A bad value stops the worker with a {@link ConfigError}
 * naming the variable.
 */
import { availableParallelism } from 'node:os';
import { readLogFormat, type LogFormat } from '../../../libs/fleet-platform/src/logger';
import * as path from 'node:path';
import {
  readPort,
  readPositiveInt,
  readQueuePrefix,
  readRedisConnection,
  type RedisConnectionOptions,
} from '../../../libs/fleet-platform/src';

/** Injection token of the {@link WorkerConfig}. */
export const WORKER_CONFIG = Symbol('WORKER_CONFIG');

/** Most jobs one worker process runs at once (each on its own worker thread). */
export const MAX_WORKER_CONCURRENCY = 1024;

export interface WorkerConfig {
  /** REDIS_URL (default redis://127.0.0.1:6379). */
  redis: RedisConnectionOptions;
  /** QUEUE_PREFIX (default `{fleetsim}`): BullMQ key prefix with a hash tag. */
  queuePrefix: string;
  /** METRICS_PORT (default 3001): `/metrics` and `/health`. 0 picks a free port (tests). */
  metricsPort: number;
  /** WORKER_CONCURRENCY (default: the cores): jobs at once, one worker thread each. */
  concurrency: number;
  /**
   * TRACE_CONCURRENCY (default 16): trace jobs in flight on the main thread.
   * Each computes in about a millisecond; the others meanwhile wait on Redis
   * (fetching, storing results), so a burst of traces does not queue behind
   * one job's round trips.
   */
  traceConcurrency: number;
  /**
   * WORKER_LOCK_DURATION_MS (default 30000, BullMQ's): how long a job's lock lasts
   * without renewal. A worker that dies holds its jobs this long at most.
   */
  lockDurationMs: number;
  /**
   * WORKER_STALLED_INTERVAL_MS (default 30000, BullMQ's): how often this worker
   * looks for jobs whose lock expired (their worker died) and hands them back.
   */
  stalledIntervalMs: number;
  /** Absolute path of the compiled sandboxed processor (a `.js` file). */
  processorFile: string;
  /** LOG_FORMAT (default text): `json` writes one JSON object per log line. */
  logFormat: LogFormat;
}

type Env = Record<string, string | undefined>;

/** The compiled processor next to this file (`dist/apps/node-worker/src/shard.processor.js`). */
export function defaultProcessorFile(): string {
  return path.join(__dirname, 'shard.processor.js');
}

/** Reads and validates the worker's environment; throws ConfigError naming a bad variable. */
export function readWorkerConfig(
  env: Env,
  processorFile: string = defaultProcessorFile(),
): WorkerConfig {
  return {
    redis: readRedisConnection(env),
    queuePrefix: readQueuePrefix(env),
    metricsPort: readPort(env, 'METRICS_PORT', 3001),
    concurrency: readPositiveInt(
      env,
      'WORKER_CONCURRENCY',
      Math.min(availableParallelism(), MAX_WORKER_CONCURRENCY),
      MAX_WORKER_CONCURRENCY,
    ),
    traceConcurrency: readPositiveInt(env, 'TRACE_CONCURRENCY', 16, 256),
    lockDurationMs: readPositiveInt(env, 'WORKER_LOCK_DURATION_MS', 30_000, 3_600_000),
    stalledIntervalMs: readPositiveInt(env, 'WORKER_STALLED_INTERVAL_MS', 30_000, 3_600_000),
    processorFile,
    logFormat: readLogFormat(env),
  };
}

/** `host:port/db` of the Redis connection, for logs (never the password). */
export function describeRedis(redis: RedisConnectionOptions): string {
  const host = redis.host.includes(':') ? `[${redis.host}]` : redis.host;
  return `${redis.tls ? 'rediss' : 'redis'}://${host}:${redis.port}/${redis.db}`;
}

/**
 * The coordinator's configuration: read once from the environment at start,
 * validated, typed. A bad value stops the coordinator with a {@link ConfigError}
 * naming the variable.
 */
import {
  readChoice,
  readPort,
  readPositiveInt,
  readQueuePrefix,
  readRedisConnection,
  type RedisConnectionOptions,
} from '../../../../libs/fleet-platform/src/config';

/** Injection token of the {@link CoordinatorConfig}. */
export const COORDINATOR_CONFIG = Symbol('COORDINATOR_CONFIG');

/** Default MAX_SERVERS_PER_SPEC: 10^8 servers. */
export const DEFAULT_MAX_SERVERS = 100_000_000;
/** Default MAX_BODY_BYTES: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** What the bull-board queue UI at `/queues` may do. */
export const QUEUE_UI_MODES = ['read-only', 'read-write', 'off'] as const;
export type QueueUiMode = (typeof QUEUE_UI_MODES)[number];

export interface CoordinatorConfig {
  /** REDIS_URL (default redis://127.0.0.1:6379). */
  redis: RedisConnectionOptions;
  /** QUEUE_PREFIX (default `{fleetsim}`): BullMQ key prefix with a hash tag; the coordinator's own keys live under it too. */
  queuePrefix: string;
  /** PORT (default 3000). 0 picks a free port (tests). */
  port: number;
  /** MAX_SERVERS_PER_SPEC (default 100,000,000): the largest fleet one experiment may have. */
  maxServersPerSpec: number;
  /** MAX_BODY_BYTES (default 1 MiB): the largest request body (a spec). */
  maxBodyBytes: number;
  /** TRACE_TIMEOUT_MS (default 30,000): how long a crash/reboot request waits for a node-worker. */
  traceTimeoutMs: number;
  /** METRICS_EXPERIMENTS (default 20): finished experiments whose results `/metrics` exports, newest first. */
  metricsExperiments: number;
  /** KEEP_EXPERIMENTS (default 1000): experiments kept in Redis; older finished ones are deleted with their results when one is submitted. */
  keepExperiments: number;
  /** QUEUE_UI (default read-only): the bull-board queue UI at `/queues`; `read-write` allows retry/clean/pause, `off` removes it. */
  queueUi: QueueUiMode;
}

type Env = Record<string, string | undefined>;

/** Reads and validates the coordinator's environment; throws ConfigError naming a bad variable. */
export function readCoordinatorConfig(env: Env): CoordinatorConfig {
  return {
    redis: readRedisConnection(env),
    queuePrefix: readQueuePrefix(env),
    port: readPort(env, 'PORT', 3000),
    maxServersPerSpec: readPositiveInt(env, 'MAX_SERVERS_PER_SPEC', DEFAULT_MAX_SERVERS),
    maxBodyBytes: readPositiveInt(env, 'MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES, 1024 ** 3),
    traceTimeoutMs: readPositiveInt(env, 'TRACE_TIMEOUT_MS', 30_000, 3_600_000),
    metricsExperiments: readPositiveInt(env, 'METRICS_EXPERIMENTS', 20, 1000),
    keepExperiments: readPositiveInt(env, 'KEEP_EXPERIMENTS', 1000, 1_000_000),
    queueUi: readChoice(env, 'QUEUE_UI', QUEUE_UI_MODES, 'read-only'),
  };
}

/** `redis[s]://host:port/db` of the Redis connection, for logs and errors (never the password). */
export function describeRedis(redis: RedisConnectionOptions): string {
  const host = redis.host.includes(':') ? `[${redis.host}]` : redis.host;
  return `${redis.tls ? 'rediss' : 'redis'}://${host}:${redis.port}/${redis.db}`;
}

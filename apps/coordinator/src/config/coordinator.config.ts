/**
 * The coordinator's configuration: read once from the environment at start,
 * validated, typed. A bad value stops the coordinator with a {@link ConfigError}
 * naming the variable.
 */
import { readFileSync } from 'node:fs';
import { readLogFormat, type LogFormat } from '../../../../libs/fleet-platform/src/logger';
import { isIP } from 'node:net';
import {
  ConfigError,
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
  /** DATA_LOSS_CHECK_MS (default 2,000): how often the coordinator checks that Redis kept its data (and on every reconnect). */
  dataLossCheckMs: number;
  /** QUEUE_UI (default read-only): the bull-board queue UI at `/queues`; `read-write` allows retry/clean/pause, `off` removes it. */
  queueUi: QueueUiMode;
  /** Tokens and who may read; see {@link AccessConfig}. */
  access: AccessConfig;
  /** HOST: where to listen; 127.0.0.1 without API_TOKEN, else 0.0.0.0. */
  host: string;
  /** CORS_ORIGINS: browser origins allowed to call the API; none by default. */
  corsOrigins: string[];
  /** BODY_TIMEOUT_MS (default 10,000): a request body that stalls this long is answered 408 and dropped. */
  bodyTimeoutMs: number;
  /** HEADERS_TIMEOUT_MS (default 10,000): the most a client may take to send its headers. */
  headersTimeoutMs: number;
  /** REQUEST_TIMEOUT_MS (default 30,000): the most a client may take to send its whole request. */
  requestTimeoutMs: number;
  /** LOG_FORMAT (default text): `json` writes one JSON object per log line. */
  logFormat: LogFormat;
}

/** Who may read (GET experiments, reports, metrics, docs) when API_TOKEN is set. */
export const READ_ACCESS_MODES = ['token', 'public'] as const;
export type ReadAccess = (typeof READ_ACCESS_MODES)[number];

/** Who may do what. With no write token, nothing is checked (and the default host is loopback). */
export interface AccessConfig {
  /** API_TOKEN or the file API_TOKEN_FILE names: needed by every mutation, the queue UI and traces. */
  writeToken: string | null;
  /** API_READ_TOKEN: a second token that may only read. */
  readToken: string | null;
  /** API_READS (default token): `public` opens reads to anyone. */
  reads: ReadAccess;
}

/** Shortest token accepted: 16 characters (a guessable token is no lock). */
export const MIN_TOKEN_LENGTH = 16;

type Env = Record<string, string | undefined>;

function readToken(
  env: Env,
  variable: string,
  fileVariable: string | null,
  readFile: (path: string) => string,
): string | null {
  let raw = env[variable];
  let source = variable;
  const file = fileVariable ? env[fileVariable] : undefined;
  if (file !== undefined && file !== '') {
    if (raw !== undefined && raw !== '') {
      throw new ConfigError(fileVariable!, `give ${variable} or ${fileVariable}, not both`);
    }
    source = fileVariable!;
    try {
      raw = readFile(file).trim();
    } catch (e) {
      throw new ConfigError(fileVariable!, `cannot read "${file}": ${(e as Error).message}`);
    }
  }
  if (raw === undefined || raw === '') {
    return null;
  }
  if (raw.length < MIN_TOKEN_LENGTH || /\s/.test(raw)) {
    throw new ConfigError(
      source,
      `a token must be at least ${MIN_TOKEN_LENGTH} characters without spaces (got ${raw.length})`,
    );
  }
  return raw;
}

/** The access rules, from API_TOKEN / API_TOKEN_FILE, API_READ_TOKEN and API_READS. */
export function readAccessConfig(
  env: Env,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): AccessConfig {
  const writeToken = readToken(env, 'API_TOKEN', 'API_TOKEN_FILE', readFile);
  const readTokenValue = readToken(env, 'API_READ_TOKEN', null, readFile);
  const reads = readChoice(env, 'API_READS', READ_ACCESS_MODES, 'token');
  if (readTokenValue !== null && writeToken === null) {
    throw new ConfigError('API_READ_TOKEN', 'is only meaningful with API_TOKEN set');
  }
  if (readTokenValue !== null && readTokenValue === writeToken) {
    throw new ConfigError('API_READ_TOKEN', 'must differ from API_TOKEN');
  }
  return { writeToken, readToken: readTokenValue, reads };
}

/** HOST: an IP address or a host name to listen on. */
function readHost(env: Env, fallback: string): string {
  const raw = env.HOST;
  if (raw === undefined || raw === '') {
    return fallback;
  }
  if (isIP(raw) === 0 && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(raw)) {
    throw new ConfigError('HOST', `must be an IP address or a host name, got "${raw}"`);
  }
  return raw;
}

/** CORS_ORIGINS: comma-separated origins (`https://host[:port]`) allowed to call the API from a browser. */
function readOrigins(env: Env): string[] {
  const raw = env.CORS_ORIGINS;
  if (raw === undefined || raw.trim() === '') {
    return [];
  }
  return raw.split(',').map((o) => {
    const origin = o.trim();
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError(
        'CORS_ORIGINS',
        `"${origin}" is not an origin such as https://host:port`,
      );
    }
    if (url.origin !== origin) {
      throw new ConfigError(
        'CORS_ORIGINS',
        `"${origin}" is not an origin (scheme://host[:port], no path); did you mean ${url.origin}?`,
      );
    }
    return origin;
  });
}

/** Reads and validates the coordinator's environment; throws ConfigError naming a bad variable. */
export function readCoordinatorConfig(
  env: Env,
  readFile?: (path: string) => string,
): CoordinatorConfig {
  const access = readAccessConfig(env, readFile);
  const headersTimeoutMs = readPositiveInt(env, 'HEADERS_TIMEOUT_MS', 10_000, 600_000);
  const requestTimeoutMs = readPositiveInt(env, 'REQUEST_TIMEOUT_MS', 30_000, 600_000);
  if (requestTimeoutMs < headersTimeoutMs) {
    throw new ConfigError(
      'REQUEST_TIMEOUT_MS',
      `must be at least HEADERS_TIMEOUT_MS (${headersTimeoutMs}), got ${requestTimeoutMs}`,
    );
  }
  return {
    redis: readRedisConnection(env),
    queuePrefix: readQueuePrefix(env),
    port: readPort(env, 'PORT', 3000),
    maxServersPerSpec: readPositiveInt(env, 'MAX_SERVERS_PER_SPEC', DEFAULT_MAX_SERVERS),
    maxBodyBytes: readPositiveInt(env, 'MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES, 1024 ** 3),
    traceTimeoutMs: readPositiveInt(env, 'TRACE_TIMEOUT_MS', 30_000, 3_600_000),
    metricsExperiments: readPositiveInt(env, 'METRICS_EXPERIMENTS', 20, 1000),
    keepExperiments: readPositiveInt(env, 'KEEP_EXPERIMENTS', 1000, 1_000_000),
    dataLossCheckMs: readPositiveInt(env, 'DATA_LOSS_CHECK_MS', 2_000, 3_600_000),
    queueUi: readChoice(env, 'QUEUE_UI', QUEUE_UI_MODES, 'read-only'),
    access,
    host: readHost(env, access.writeToken === null ? '127.0.0.1' : '0.0.0.0'),
    corsOrigins: readOrigins(env),
    bodyTimeoutMs: readPositiveInt(env, 'BODY_TIMEOUT_MS', 10_000, 600_000),
    headersTimeoutMs,
    requestTimeoutMs,
    logFormat: readLogFormat(env),
  };
}

/** `redis[s]://host:port/db` of the Redis connection, for logs and errors (never the password). */
export function describeRedis(redis: RedisConnectionOptions): string {
  const host = redis.host.includes(':') ? `[${redis.host}]` : redis.host;
  return `${redis.tls ? 'rediss' : 'redis'}://${host}:${redis.port}/${redis.db}`;
}

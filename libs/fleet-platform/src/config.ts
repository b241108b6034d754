/**
 * Configuration shared by the coordinator and the node-workers: read once from
 * the environment, validated, typed. A bad value stops the app at start with a
 * message naming the variable.
 */

/** A configuration value is missing or malformed. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** Connection options for ioredis, from a redis:// or rediss:// URL. */
export interface RedisConnectionOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls?: Record<string, never>;
  /** BullMQ workers need null: a blocking command must never give up. */
  maxRetriesPerRequest: null;
}

type Env = Record<string, string | undefined>;

/** Parses REDIS_URL (default redis://127.0.0.1:6379). */
export function readRedisConnection(env: Env, variable = 'REDIS_URL'): RedisConnectionOptions {
  const raw = env[variable] ?? 'redis://127.0.0.1:6379';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      variable,
      `"${redact(raw)}" is not a URL (expected redis://[user:password@]host:port[/db])`,
    );
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError(variable, `scheme must be redis:// or rediss://, got ${url.protocol}//`);
  }
  if (!url.hostname) {
    throw new ConfigError(variable, 'has no host');
  }
  const port = url.port ? Number(url.port) : 6379;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(variable, `port must be 1..65535, got ${url.port}`);
  }
  const dbText = url.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) {
    throw new ConfigError(variable, `database must be a non-negative integer, got "${dbText}"`);
  }
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    db,
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

function redact(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

/**
 * QUEUE_PREFIX (default `{fleetsim}`): BullMQ's key prefix. It must hold a
 * Redis Cluster hash tag `{...}` so every key of a flow lands in one slot.
 */
export function readQueuePrefix(env: Env, variable = 'QUEUE_PREFIX'): string {
  const prefix = env[variable] ?? '{fleetsim}';
  if (!/^[A-Za-z0-9_.:-]*\{[A-Za-z0-9_.-]+\}[A-Za-z0-9_.:-]*$/.test(prefix)) {
    throw new ConfigError(
      variable,
      `"${prefix}" must contain one hash tag such as {fleetsim} (letters, digits, _ . -), so Redis Cluster keeps a flow in one slot`,
    );
  }
  return prefix;
}

/** A TCP port from the environment. */
export function readPort(env: Env, variable: string, fallback: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(variable, `must be an integer 1..65535, got "${raw}"`);
  }
  return port;
}

/** A positive integer from the environment. */
export function readPositiveInt(
  env: Env,
  variable: string,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const v = Number(raw);
  if (!/^\d+$/.test(raw) || v < 1 || v > max) {
    throw new ConfigError(variable, `must be an integer 1..${max}, got "${raw}"`);
  }
  return v;
}

/** A boolean from the environment: true/false/1/0/yes/no. */
export function readBoolean(env: Env, variable: string, fallback: boolean): boolean {
  const raw = env[variable];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const v = raw.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) {
    return true;
  }
  if (['0', 'false', 'no', 'off'].includes(v)) {
    return false;
  }
  throw new ConfigError(variable, `must be true or false, got "${raw}"`);
}

/** One of a fixed set of words from the environment (case-insensitive). */
export function readChoice<T extends string>(
  env: Env,
  variable: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = env[variable];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const v = raw.toLowerCase();
  const choice = choices.find((c) => c === v);
  if (choice === undefined) {
    throw new ConfigError(variable, `must be one of ${choices.join(', ')}, got "${raw}"`);
  }
  return choice;
}

/**
 * Global setup of the end-to-end project: finds the Redis the tests use and
 * hands its URL to them (`inject('redisUrl')`, see test/support/redis.ts).
 *
 * 1. `REDIS_URL` when it is set — it must answer PING;
 * 2. else a Redis answering on 127.0.0.1:6379;
 * 3. else a `redis-server` from the PATH, started on a free port with a
 *    temporary directory and stopped afterwards;
 * 4. else a throwaway Redis 7 started with testcontainers (needs a Docker engine);
 * 5. else no Redis: tests that need one fail with {@link NO_REDIS}, naming the
 *    ways out. Tests that need none (the embedded CLI) still run.
 * Every test uses a queue prefix of its own and cleans up after itself.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** redis:// URL of the tests' Redis; '' when there is none (see `redisProblem`). */
    redisUrl: string;
    /** Why there is no Redis; '' when there is one. */
    redisProblem: string;
    /** Where it came from: 'REDIS_URL', 'local', 'redis-server', 'testcontainers' or 'none'. */
    redisSource: string;
  }
}

export const NO_REDIS =
  'end-to-end tests need a Redis 7: run one on 127.0.0.1:6379, set REDIS_URL, install redis-server ' +
  '(apt-get install redis-server; the tests start it themselves), or make a Docker engine available ' +
  'so they start one with testcontainers';

const LOCAL_REDIS = 'redis://127.0.0.1:6379';

/** A TCP port nobody listens on now (the OS picks it). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts `redis-server` from the PATH on a free loopback port, keeping nothing on
 * disk; resolves to its URL and a stop function, or null when there is none.
 */
export async function startRedisServer(): Promise<{
  url: string;
  stop: () => Promise<void>;
} | null> {
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    return null;
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { cwd: dir, stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const stop = async () => {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 50; i++) {
    if ((await pingRedis(url, 500)) === null) {
      return { url, stop };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  return null;
}

const REDIS_IMAGE = 'redis:7-alpine';

/** PINGs `url`; resolves to null when it answers, else to the reason. */
export async function pingRedis(url: string, timeoutMs = 3000): Promise<string | null> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const pong = await client.ping();
    return pong === 'PONG' ? null : `answered ${pong} to PING`;
  } catch (e) {
    return (e as Error).message || String(e);
  } finally {
    client.disconnect();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let stop: () => Promise<void> = async () => undefined;
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) {
    const problem = await pingRedis(fromEnv);
    if (problem) {
      // REDIS_URL was chosen on purpose: do not quietly use another Redis.
      provide(project, '', `REDIS_URL=${fromEnv} does not answer PING (${problem}); ${NO_REDIS}`);
    } else {
      provide(project, fromEnv, '', 'REDIS_URL');
    }
    return stop;
  }
  if ((await pingRedis(LOCAL_REDIS, 1000)) === null) {
    provide(project, LOCAL_REDIS, '', 'local');
    process.env.REDIS_URL = LOCAL_REDIS;
    console.log(`[e2e] REDIS_URL is not set: using the Redis answering at ${LOCAL_REDIS}`);
    return stop;
  }
  const started = await startRedisServer();
  if (started) {
    provide(project, started.url, '', 'redis-server');
    process.env.REDIS_URL = started.url;
    console.log(`[e2e] REDIS_URL is not set: started redis-server at ${started.url}`);
    return started.stop;
  }
  try {
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer(REDIS_IMAGE).start();
    const url = container.getConnectionUrl();
    stop = async () => {
      await container.stop();
    };
    provide(project, url, '', 'testcontainers');
    // Child processes and tests that read the environment get it too.
    process.env.REDIS_URL = url;
    console.log(`[e2e] REDIS_URL is not set: started ${REDIS_IMAGE} with testcontainers at ${url}`);
  } catch (e) {
    const reason = ((e as Error).message || String(e)).split('\n')[0];
    provide(project, '', `${NO_REDIS} (testcontainers: ${reason})`);
    console.warn(`[e2e] no Redis: ${NO_REDIS} (testcontainers: ${reason})`);
  }
  return stop;
}

function provide(project: TestProject, url: string, problem: string, source = 'none'): void {
  project.provide('redisUrl', url);
  project.provide('redisProblem', problem);
  project.provide('redisSource', source);
}

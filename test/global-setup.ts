/**
 * Global setup of the end-to-end project: finds the Redis the tests use and
 * hands its URL to them (`inject('redisUrl')`, see test/support/redis.ts).
 *
 * 1. `REDIS_URL` when it is set — it must answer PING;
 * 2. else a throwaway Redis 7 started with testcontainers (needs a Docker engine);
 * 3. else no Redis: tests that need one fail with {@link NO_REDIS}, naming both
 *    ways out. Tests that need none (the embedded CLI) still run.
 */
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** redis:// URL of the tests' Redis; '' when there is none (see `redisProblem`). */
    redisUrl: string;
    /** Why there is no Redis; '' when there is one. */
    redisProblem: string;
    /** Where it came from: 'REDIS_URL', 'testcontainers' or 'none'. */
    redisSource: string;
  }
}

export const NO_REDIS =
  'end-to-end tests need a Redis 7: set REDIS_URL (e.g. redis://127.0.0.1:6379, as .ci/run does), ' +
  'or make a Docker engine available so they start one with testcontainers';

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

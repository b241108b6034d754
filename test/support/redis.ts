/**
 * Redis for the end-to-end tests: the URL the global setup found, a unique
 * queue prefix per test file, and cleanup of that prefix's keys afterwards.
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { SHARD_QUEUE } from '../../libs/kdump-core/src';
import { readRedisConnection } from '../../libs/fleet-platform/src';

/** The tests' Redis URL; throws the global setup's reason when there is none. */
export function requireRedisUrl(): string {
  const url = inject('redisUrl');
  if (!url) {
    throw new Error(inject('redisProblem') || 'no Redis for the end-to-end tests');
  }
  return url;
}

/** A fresh hash-tagged queue prefix, `{e2e-<tag>-<random>}`. */
export function uniquePrefix(tag = 'e2e'): string {
  const safe = tag.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 24);
  return `{e2e-${safe}-${randomBytes(4).toString('hex')}}`;
}

/** A glob that matches `literal` exactly, then anything (SCAN MATCH syntax). */
export function scanPattern(literal: string): string {
  return literal.replace(/[*?[\]\\]/g, (c) => `\\${c}`) + '*';
}

/** Every key that starts with `prefix`. */
export async function keysWithPrefix(redisUrl: string, prefix: string): Promise<string[]> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', scanPattern(prefix), 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return keys;
  } finally {
    redis.disconnect();
  }
}

/** Deletes every key that starts with `prefix`; resolves to how many went. */
export async function cleanPrefix(redisUrl: string, prefix: string): Promise<number> {
  const keys = await keysWithPrefix(redisUrl, prefix);
  if (keys.length === 0) {
    return 0;
  }
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let removed = 0;
    for (let i = 0; i < keys.length; i += 500) {
      removed += await redis.unlink(...keys.slice(i, i + 500));
    }
    return removed;
  } finally {
    redis.disconnect();
  }
}

/** BullMQ's job counts of the shard queue under `prefix`. */
export async function shardQueueCounts(
  redisUrl: string,
  prefix: string,
): Promise<Record<string, number>> {
  const queue = new Queue(SHARD_QUEUE, {
    connection: readRedisConnection({ REDIS_URL: redisUrl }),
    prefix,
  });
  try {
    return await queue.getJobCounts(
      'waiting',
      'delayed',
      'prioritized',
      'active',
      'waiting-children',
      'completed',
      'failed',
    );
  } finally {
    await queue.close();
  }
}

import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../libs/fleet-platform/src';
import { describeRedis, readWorkerConfig } from './worker.config';

describe('readWorkerConfig', () => {
  it('has defaults for everything', () => {
    const config = readWorkerConfig({}, '/x/shard.processor.js');
    expect(config).toEqual({
      redis: { host: '127.0.0.1', port: 6379, db: 0, maxRetriesPerRequest: null },
      queuePrefix: '{fleetsim}',
      metricsPort: 3001,
      concurrency: Math.min(availableParallelism(), 1024),
      traceConcurrency: 16,
      lockDurationMs: 30_000,
      stalledIntervalMs: 30_000,
      processorFile: '/x/shard.processor.js',
      logFormat: 'text',
    });
  });

  it('reads every variable', () => {
    const config = readWorkerConfig({
      REDIS_URL: 'rediss://w:secret@redis.internal:6380/2',
      QUEUE_PREFIX: 'prod-{fleetsim}',
      METRICS_PORT: '9100',
      WORKER_CONCURRENCY: '6',
      WORKER_LOCK_DURATION_MS: '5000',
      WORKER_STALLED_INTERVAL_MS: '2500',
    });
    expect(config.lockDurationMs).toBe(5000);
    expect(config.stalledIntervalMs).toBe(2500);
    expect(config.redis).toMatchObject({ host: 'redis.internal', port: 6380, db: 2, tls: {} });
    expect(config.queuePrefix).toBe('prod-{fleetsim}');
    expect(config.metricsPort).toBe(9100);
    expect(config.concurrency).toBe(6);
    expect(path.basename(config.processorFile)).toBe('shard.processor.js');
    expect(describeRedis(config.redis)).toBe('rediss://redis.internal:6380/2');
  });

  it.each([
    ['REDIS_URL', 'http://redis:6379'],
    ['QUEUE_PREFIX', 'fleetsim'],
    ['METRICS_PORT', '0'],
    ['METRICS_PORT', '70000'],
    ['METRICS_PORT', 'abc'],
    ['WORKER_CONCURRENCY', '0'],
    ['WORKER_CONCURRENCY', '-2'],
    ['WORKER_CONCURRENCY', '1.5'],
    ['WORKER_CONCURRENCY', 'many'],
    ['WORKER_CONCURRENCY', '1025'],
    ['WORKER_LOCK_DURATION_MS', '0'],
    ['WORKER_STALLED_INTERVAL_MS', 'soon'],
  ])('refuses %s=%s with an error naming the variable', (variable, value) => {
    let caught: unknown;
    try {
      readWorkerConfig({ [variable]: value });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(variable);
    expect((caught as ConfigError).message).toMatch(new RegExp(`^${variable}: `));
  });

  it('never shows the Redis password in logs', () => {
    const config = readWorkerConfig({ REDIS_URL: 'redis://u:hunter2@10.0.0.5:6379' });
    expect(describeRedis(config.redis)).toBe('redis://10.0.0.5:6379/0');
  });
});

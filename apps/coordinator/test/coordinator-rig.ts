/**
 * Test rig of the coordinator against a real Redis (REDIS_URL, else the local
 * one): the app in-process on a free port, an in-process BullMQ worker that
 * runs shard and trace jobs with the core (standing in for the node-worker),
 * a fresh queue prefix per test and full cleanup. Test-only: it lives outside
 * `src`, so the build leaves it out.
 */
import type { INestApplication, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  readRedisConnection,
  type RedisConnectionOptions,
} from '../../../libs/fleet-platform/src/config';
import { SpecResolver, SpecRefError } from '../../../libs/fleet-platform/src/spec-ref';
import {
  InvalidJobError,
  ModelCache,
  runShardJob,
  runTraceJob,
  SHARD_JOB,
  SHARD_QUEUE,
  TRACE_QUEUE,
  type ShardJobData,
  type TraceJobData,
} from '../../../libs/kdump-core/src';
import { isActive } from '../../../libs/fleet-contract/src/http-contract';
import { configureCoordinatorApp, listeningPort, NEST_APP_OPTIONS } from '../src/app.factory';
import { AppModule } from '../src/app.module';
import { readCoordinatorConfig, type CoordinatorConfig } from '../src/config/coordinator.config';
import { EXPERIMENT_QUEUE } from '../src/domain/flow-jobs';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const connection = readRedisConnection({ REDIS_URL });
export const REPO = path.resolve(__dirname, '../../..');

/**
 * A spec every route that takes one refuses with spec errors (400), each with
 * a path and a line: `fleet` is not a list, and `seed`, `events` and
 * `strategies` are missing.
 */
export const INVALID_SPEC = 'name: x\nfleet: 3\n';

export function example(file: string): string {
  return readFileSync(path.join(REPO, 'examples', file), 'utf8');
}

/** A queue prefix of its own, with a hash tag. */
export function freshPrefix(): string {
  return `cotest-{${randomUUID().slice(0, 8)}}`;
}

export function coordinatorConfig(
  prefix: string,
  overrides: Partial<CoordinatorConfig> = {},
): CoordinatorConfig {
  return {
    ...readCoordinatorConfig({ REDIS_URL, QUEUE_PREFIX: prefix }),
    port: 0,
    ...overrides,
  };
}

export interface RunningCoordinator {
  app: INestApplication;
  url: string;
}

/**
 * Starts a coordinator on a free port. `overrides` swaps providers (a class
 * for a class), e.g. a worker repository that processes every merge twice.
 */
export async function startCoordinator(
  config: CoordinatorConfig,
  overrides: [Type, Type][] = [],
): Promise<RunningCoordinator> {
  let builder = Test.createTestingModule({ imports: [AppModule.forRoot(config)] });
  for (const [token, useClass] of overrides) {
    builder = builder.overrideProvider(token).useClass(useClass);
  }
  const moduleRef = await builder.compile();
  const app = configureCoordinatorApp(
    moduleRef.createNestApplication({ ...NEST_APP_OPTIONS, logger: false }),
  );
  await app.listen(0, '127.0.0.1');
  return { app, url: `http://127.0.0.1:${listeningPort(app)}` };
}

/** A stand-in node-worker: its shard worker and its trace worker. */
export interface StandInWorker {
  shards: Worker;
  traces: Worker;
  close(force?: boolean): Promise<void>;
}

/**
 * A stand-in node-worker: BullMQ workers in this process that run shard and
 * trace jobs with the core, each from its own queue (an invalid payload fails
 * without retry).
 */
export function startShardWorker(
  prefix: string,
  options: {
    concurrency?: number;
    /** Runs before the job; throw to fail it. */
    before?: (job: Job) => void | Promise<void>;
    /** Another Redis than REDIS_URL's (a private one a test restarts). */
    connection?: typeof connection;
  } = {},
): StandInWorker {
  const redisOptions = options.connection ?? connection;
  const cache = new ModelCache();
  // Shards refer to their spec (stored once in the experiment's record), as the node-worker reads it.
  const redis = new Redis(redisOptions);
  redis.on('error', () => undefined);
  const specs = new SpecResolver((key, field) => redis.hget(key, field));
  const processor = async (job: Job) => {
    await options.before?.(job);
    try {
      if (job.name === SHARD_JOB) {
        const data = job.data as ShardJobData;
        return runShardJob({ ...data, spec: await specs.specOf(data) }, cache);
      }
      return runTraceJob(job.data as TraceJobData, cache);
    } catch (e) {
      if (e instanceof InvalidJobError || e instanceof SpecRefError) {
        throw new UnrecoverableError(`${e.name}: ${e.message}`);
      }
      throw e;
    }
  };
  const shards = new Worker(SHARD_QUEUE, processor, {
    connection: redisOptions,
    prefix,
    concurrency: options.concurrency ?? 2,
  });
  const traces = new Worker(TRACE_QUEUE, processor, {
    connection: redisOptions,
    prefix,
    concurrency: 16,
  });
  shards.on('error', () => undefined);
  traces.on('error', () => undefined);
  return {
    shards,
    traces,
    close: async (force) => {
      await Promise.all([shards.close(force), traces.close(force)]);
      redis.disconnect();
    },
  };
}

/** Job counts of the coordinator's queues under a prefix. */
export async function queueCounts(
  prefix: string,
  redis: RedisConnectionOptions = connection,
): Promise<{ shards: Record<string, number>; experiments: Record<string, number> }> {
  const shards = new Queue(SHARD_QUEUE, { connection: redis, prefix });
  const experiments = new Queue(EXPERIMENT_QUEUE, { connection: redis, prefix });
  try {
    return { shards: await shards.getJobCounts(), experiments: await experiments.getJobCounts() };
  } finally {
    await Promise.all([shards.close(), experiments.close()]);
  }
}

/** Obliterates the queues and deletes every other key under the prefix. */
export async function cleanup(prefix: string): Promise<void> {
  for (const name of [SHARD_QUEUE, TRACE_QUEUE, EXPERIMENT_QUEUE]) {
    const queue = new Queue(name, { connection, prefix });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
  const redis = new Redis(connection);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) {
        await redis.del(...keys);
      }
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Polls `read` until `done` holds; the last value when time runs out. */
export async function until<T>(
  read: () => Promise<T>,
  done: (v: T) => boolean,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) {
      return value;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A small HTTP client of the coordinator. */
export function api(url: string) {
  const call = async (method: string, route: string, body?: string, type = 'application/yaml') => {
    const res = await fetch(`${url}${route}`, {
      method,
      ...(body !== undefined ? { body, headers: { 'Content-Type': type } } : {}),
    });
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON (markdown, metrics)
    }
    return { status: res.status, text, json: json as any, headers: res.headers }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  return {
    get: (route: string) => call('GET', route),
    post: (route: string, body?: string, type?: string) => call('POST', route, body, type),
    delete: (route: string) => call('DELETE', route),
    /** Polls an experiment until it leaves queued/running. */
    async finished(id: string, ms = 30_000) {
      const res = await until(
        () => call('GET', `/experiments/${id}`),
        (r) => r.status !== 200 || !isActive(r.json?.state),
        ms,
      );
      return res.json;
    },
  };
}

/** The report without `run` (the only part that is not a function of spec and seed). */
export function withoutRun(report: Record<string, unknown>): string {
  const { run: _run, ...rest } = report;
  return JSON.stringify(rest);
}

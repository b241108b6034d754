import { UnrecoverableError } from 'bullmq';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compileExperiment,
  JOB_CONTRACT_VERSION,
  ModelCache,
  parseSpecOrThrow,
  planShards,
  runShardJob,
  runTraceJob,
  type ShardJobData,
  type TraceJobData,
} from '../../../libs/kdump-core/src';
import { SpecResolver, specRefOf } from '../../../libs/fleet-platform/src/spec-ref';
import shardProcessor, { processShardQueueJob, withResolvedSpec } from './shard.processor';

const resolved = parseSpecOrThrow(
  readFileSync(path.resolve(__dirname, '../../../examples/quickstart.yaml'), 'utf8'),
);
const spec = JSON.parse(JSON.stringify(resolved.spec)) as unknown;
const [firstShard] = planShards(compileExperiment(resolved), 500);

const shardData: ShardJobData = {
  v: JOB_CONTRACT_VERSION,
  experimentId: 'exp-1',
  spec,
  shard: firstShard!,
};
const traceData: TraceJobData = {
  v: JOB_CONTRACT_VERSION,
  spec,
  server: 7,
  kind: 'crash',
  event: 0,
};

/** What BullMQ's sandbox sends to the main thread for a thrown error (errorToJSON). */
function overTheSandbox(err: unknown): Error {
  const own: Record<string, unknown> = {};
  for (const key of Object.getOwnPropertyNames(err)) {
    own[key] = (err as Record<string, unknown>)[key];
  }
  return Object.assign(new Error(), JSON.parse(JSON.stringify(own)) as object);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('the sandboxed shard processor', () => {
  it('runs a shard job exactly as runShardJob does', async () => {
    const result = await shardProcessor({ name: 'shard', data: shardData });
    expect(result).toEqual(runShardJob(shardData, new ModelCache()));
    expect(result).toMatchObject({ experimentId: 'exp-1', shardIndex: 0, servers: 500 });
  });

  it('runs a trace job exactly as runTraceJob does', async () => {
    expect(await shardProcessor({ name: 'trace', data: traceData })).toEqual(
      runTraceJob(traceData, new ModelCache()),
    );
  });

  it.each([
    ['an unknown job name', { name: 'crash', data: shardData }, /unknown job name "crash"/],
    [
      'a payload of another contract version',
      { name: 'shard', data: { ...shardData, v: 2 } },
      /version 2/,
    ],
    ['an invalid spec', { name: 'shard', data: { ...shardData, spec: { name: 'x' } } }, /spec/],
    [
      'a shard outside the fleet',
      {
        name: 'shard',
        data: { ...shardData, shard: { index: 0, serverStart: 0, serverEnd: 1e6 } },
      },
      /not a range of servers/,
    ],
    ['no payload at all', { name: 'shard', data: null }, /not an object/],
    ['a bad trace kind', { name: 'trace', data: { ...traceData, kind: 'explode' } }, /kind/],
  ])('fails %s with UnrecoverableError', async (_what, job, message) => {
    const err = await rejection(shardProcessor(job));
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect((err as Error).message).toMatch(/^InvalidJobError: /);
    expect((err as Error).message).toMatch(message);
    // What decides "no retry" in the main thread: the name survives the trip.
    expect(overTheSandbox(err).name).toBe('UnrecoverableError');
  });

  it('rethrows any other error as is, so BullMQ retries it', () => {
    const boom = new Error('worker thread ran out of memory');
    const failingCache = {
      engineFor() {
        throw boom;
      },
    } as unknown as ModelCache;
    const err = thrown(() =>
      processShardQueueJob({ name: 'shard', data: shardData }, failingCache),
    );
    expect(err).toBe(boom);
    expect(overTheSandbox(err).name).toBe('Error');
  });

  it('compiles a spec once per thread however many shards it runs', () => {
    const cache = new ModelCache();
    const first = cache.engineFor(spec);
    processShardQueueJob({ name: 'shard', data: shardData }, cache);
    processShardQueueJob({ name: 'trace', data: traceData }, cache);
    expect(cache.engineFor(spec)).toBe(first);
  });
});

describe('a shard that refers to its spec (stored once per experiment)', () => {
  const json = JSON.stringify(spec);
  const store = new Map([['{p}:coordinator:experiment:exp-1', json]]);
  const reads: string[] = [];
  const resolver = new SpecResolver(async (key) => {
    reads.push(key);
    return store.get(key) ?? null;
  });
  const ref = specRefOf('{p}:coordinator:experiment:exp-1', 'spec', json);
  const { spec: _inline, ...withoutSpec } = shardData;

  it('runs it as the same shard with the spec inline, reading the spec once', async () => {
    for (let i = 0; i < 3; i++) {
      const job = await withResolvedSpec(
        { name: 'shard', data: { ...withoutSpec, specRef: ref } },
        () => resolver,
      );
      expect(processShardQueueJob(job, new ModelCache())).toEqual(
        runShardJob(shardData, new ModelCache()),
      );
    }
    expect(reads).toEqual(['{p}:coordinator:experiment:exp-1']);
  });

  it.each([
    ['gone', { ...ref, key: '{p}:coordinator:experiment:gone' }, /gone from Redis/],
    ['another spec', { ...ref, sha256: '0'.repeat(64) }, /SHA-256/],
  ])('fails for good when the spec is %s', async (_what, specRef, message) => {
    // A fresh resolver: a spec already read is kept by its digest, wherever it was.
    const fresh = new SpecResolver(async (key) => store.get(key) ?? null);
    const err = await rejection(
      withResolvedSpec({ name: 'shard', data: { ...withoutSpec, specRef } }, () => fresh),
    );
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect((err as Error).message).toMatch(message);
  });
});

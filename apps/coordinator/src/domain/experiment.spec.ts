import { describe, expect, it } from 'vitest';
import { shardJobId } from '../../../../libs/kdump-core/src';
import {
  experimentView,
  newExperimentId,
  pace,
  parseShardJobId,
  type ExperimentRecord,
} from './experiment';

const T0 = Date.UTC(2026, 0, 1);

function record(overrides: Partial<ExperimentRecord> = {}): ExperimentRecord {
  return {
    id: 'exp_abc123',
    name: 'quickstart',
    state: 'running',
    servers: 3000,
    shardsTotal: 10,
    shardSize: 300,
    spec: {},
    createdAt: T0,
    startedAt: T0 + 1000,
    finishedAt: null,
    error: null,
    enqueuedShards: 10,
    evaluationsSeen: 0,
    shardsSeen: 0,
    evaluations: null,
    shardsDone: null,
    threads: null,
    ...overrides,
  };
}

describe('experiment ids', () => {
  it('are valid BullMQ ids whose shard ids parse back', () => {
    const id = newExperimentId(T0, () => Buffer.from([0xab, 0xcd, 0xef]));
    expect(id).toBe(`exp_${T0.toString(36)}abcdef`);
    expect(parseShardJobId(shardJobId(id, 17))).toEqual({ experimentId: id, shardIndex: 17 });
  });

  it('sort by creation time', () => {
    const a = newExperimentId(T0, () => Buffer.from([0xff, 0xff, 0xff]));
    const b = newExperimentId(T0 + 1, () => Buffer.from([0, 0, 0]));
    expect(a < b).toBe(true);
  });

  it('other job ids are not shards', () => {
    expect(parseShardJobId('exp_abc-plan')).toBeNull();
    expect(parseShardJobId('trace_0123456789abcdef')).toBeNull();
    expect(parseShardJobId('42')).toBeNull();
  });
});

describe('progress and ETA', () => {
  it('extrapolates the pace of the shards done', () => {
    // 4 of 10 shards in 8 s since the start: 12 s to go.
    const rec = record({ evaluationsSeen: 40_000, shardsSeen: 4 });
    expect(pace(rec, 4, T0 + 9000)).toEqual({ jobsPerSecond: 5000, etaSeconds: 12 });
  });

  it('scales evaluations up when completion events were missed', () => {
    const rec = record({ evaluationsSeen: 20_000, shardsSeen: 2 });
    expect(pace(rec, 4, T0 + 9000).jobsPerSecond).toBe(5000);
  });

  it('has no ETA before the first shard is done', () => {
    expect(pace(record({ state: 'queued', startedAt: null }), 0, T0 + 5000)).toEqual({
      jobsPerSecond: 0,
      etaSeconds: null,
    });
  });

  it('uses the exact evaluations once done', () => {
    const rec = record({ state: 'done', evaluations: 27_000, finishedAt: T0 + 4000 });
    expect(pace(rec, 10, T0 + 60_000)).toEqual({ jobsPerSecond: 9000, etaSeconds: 0 });
  });

  it('shows a done experiment with every shard done, and stopped ones as they stopped', () => {
    const done = experimentView(
      record({ state: 'done', evaluations: 1, finishedAt: T0 + 2000 }),
      3,
      T0,
    );
    expect(done.shards).toEqual({ done: 10, total: 10 });
    expect(done.finishedAt).toBe(new Date(T0 + 2000).toISOString());
    const cancelled = experimentView(
      record({ state: 'cancelled', shardsDone: 4, finishedAt: T0 + 5000 }),
      4,
      T0 + 9000,
    );
    expect(cancelled).toMatchObject({
      state: 'cancelled',
      shards: { done: 4, total: 10 },
      jobsPerSecond: null,
      etaSeconds: null,
    });
    expect(cancelled).not.toHaveProperty('error');
    expect(experimentView(record({ state: 'failed', error: 'shard 3 failed' }), 0, T0).error).toBe(
      'shard 3 failed',
    );
  });
});

import { describe, expect, it } from 'vitest';
import {
  BatchViewSchema,
  METRIC_POINTS,
  type ExperimentView,
} from '../../../../libs/fleet-contract/src/http-contract';
import { batchState, batchView, metricsNote, newBatchId, readBatchBody } from './batch';

function point(id: string, state: ExperimentView['state'], done: number, error?: string) {
  return {
    id,
    name: 'n',
    state,
    servers: 100,
    shards: { done, total: 4 },
    jobsPerSecond: null,
    etaSeconds: null,
    createdAt: '2026-12-03T00:00:00.000Z',
    startedAt: null,
    finishedAt: null,
    ...(error ? { error } : {}),
  } satisfies ExperimentView;
}

describe('batch state', () => {
  it('is failed, then cancelled, before done; running once a point started', () => {
    expect(batchState(['done', 'failed', 'cancelled'])).toBe('failed');
    expect(batchState(['done', 'cancelled'])).toBe('cancelled');
    expect(batchState(['done', 'done'])).toBe('done');
    expect(batchState(['done', 'queued'])).toBe('running');
    expect(batchState(['queued', 'queued'])).toBe('queued');
  });

  it('sums servers and shards, names the first failed point', () => {
    const v = batchView(
      { id: 'bat_1', name: 'n', createdAt: 0, labels: ['a', 'b'], experiments: ['e1', 'e2'] },
      [point('e1', 'done', 4), point('e2', 'failed', 1, 'shard 3 failed')],
    );
    expect(v).toMatchObject({
      state: 'failed',
      servers: 200,
      shards: { done: 5, total: 8 },
      metricsPoints: 2,
      error: 'point 1 (b): shard 3 failed',
    });
    expect(v.points).toEqual([
      { index: 0, label: 'a', experiment: 'e1', state: 'done' },
      { index: 1, label: 'b', experiment: 'e2', state: 'failed' },
    ]);
    expect(v.note).toBeUndefined();
    expect(BatchViewSchema.safeParse(v).success).toBe(true);
  });

  it('says when the metrics leave points out', () => {
    expect(metricsNote(METRIC_POINTS)).toBeUndefined();
    expect(metricsNote(METRIC_POINTS + 1)).toMatch(/points 0\.\.63 of this batch's 65/);
  });

  it('makes ids BullMQ and the shard id parser accept', () => {
    expect(newBatchId(36 ** 3, () => Buffer.from([1, 2, 255]))).toBe('bat_10000102ff');
  });
});

describe('readBatchBody', () => {
  it('reads spec and points', () => {
    const r = readBatchBody(
      JSON.stringify({
        spec: 'name: x',
        points: [{ label: 'p', values: [{ path: 'a', value: 1 }] }],
      }),
      10,
    );
    expect(r).toEqual({
      ok: true,
      spec: 'name: x',
      points: [{ label: 'p', values: [{ path: 'a', value: 1 }] }],
    });
  });

  it('names every problem with its path', () => {
    const bad = (body: unknown, max = 10) =>
      readBatchBody(typeof body === 'string' ? body : JSON.stringify(body), max);
    expect(bad('name: x')).toMatchObject({ ok: false, problems: [{ path: '' }] });
    expect(bad({ points: [] })).toMatchObject({
      ok: false,
      problems: [{ path: 'spec' }, { path: 'points' }],
    });
    expect(bad({ spec: 's', points: [{ label: 1, values: [{ path: 'a' }] }] })).toMatchObject({
      ok: false,
      problems: [{ path: 'points[0].label' }, { path: 'points[0].values' }],
    });
    const many = bad({ spec: 's', points: [1, 2, 3].map(() => ({ label: '', values: [] })) }, 2);
    expect(many).toMatchObject({ ok: false, problems: [{ path: 'points' }] });
    expect(JSON.stringify(many)).toMatch(/3 points; a batch holds at most 2/);
  });
});

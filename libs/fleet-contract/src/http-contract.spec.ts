import { describe, expect, it } from 'vitest';
import {
  ACTIVE_STATES,
  ANSWERS,
  contractBreach,
  ErrorBodySchema,
  EXPERIMENT_STATES,
  ExperimentViewSchema,
  FINISHED_STATES,
  HealthSchema,
  isActive,
  isFinished,
  nestPath,
  routePath,
  ROUTES,
  routeText,
  SpecErrorsBodySchema,
} from './http-contract';

const VIEW = {
  id: 'exp_m3x9k2a1f4c2e1',
  name: 'quickstart',
  state: 'done',
  servers: 3000,
  shards: { done: 12, total: 12 },
  jobsPerSecond: 250000,
  etaSeconds: 0,
  createdAt: '2026-12-03T17:00:00.000Z',
  startedAt: '2026-12-03T17:00:00.100Z',
  finishedAt: '2026-12-03T17:00:02.000Z',
};

describe('experiment states', () => {
  it('splits every state into active or finished, never both', () => {
    expect([...ACTIVE_STATES, ...FINISHED_STATES].sort()).toEqual([...EXPERIMENT_STATES].sort());
    for (const state of EXPERIMENT_STATES) {
      expect(isActive(state)).toBe(!isFinished(state));
    }
    expect(isActive('queued')).toBe(true);
    expect(isFinished('cancelled')).toBe(true);
  });
});

describe('routes', () => {
  it('fills parameters, encoded in paths and as given in messages', () => {
    expect(routePath(ROUTES.getReport, { id: 'exp_1' })).toBe('/experiments/exp_1/report');
    expect(routePath(ROUTES.crashServer, { profile: 'gpu node', index: 3 })).toBe(
      '/servers/gpu%20node/3/crash',
    );
    expect(routeText(ROUTES.cancelExperiment, { id: 'a/b' })).toBe('DELETE /experiments/a/b');
    expect(routePath(ROUTES.listExperiments)).toBe('/experiments');
  });

  it('throws on a parameter left out (a caller bug)', () => {
    expect(() => routePath(ROUTES.getExperiment)).toThrow(
      'route /experiments/:id: no value for :id',
    );
  });

  it('gives Nest its paths without the leading slash', () => {
    expect(nestPath(ROUTES.rebootServer)).toBe('servers/:profile/:index/reboot');
  });

  it('has an answer schema (or null) for every route', () => {
    expect(Object.keys(ANSWERS).sort()).toEqual(Object.keys(ROUTES).sort());
  });
});

describe('payloads', () => {
  it('reads an experiment view, with and without an error', () => {
    expect(ExperimentViewSchema.parse(VIEW)).toEqual(VIEW);
    const failed = { ...VIEW, state: 'failed', etaSeconds: null, error: 'worker exploded' };
    expect(ExperimentViewSchema.parse(failed)).toEqual(failed);
  });

  it('refuses unknown states, missing and extra fields, and says where', () => {
    const r = ExperimentViewSchema.safeParse({ ...VIEW, state: 'paused', extra: 1 });
    expect(r.success).toBe(false);
    expect(contractBreach(r.error!)).toBe(
      'state: Invalid option: expected one of "queued"|"running"|"done"|"failed"|"cancelled"; Unrecognized key: "extra"',
    );
    const { createdAt: _gone, ...noCreated } = VIEW;
    expect(ExperimentViewSchema.safeParse(noCreated).success).toBe(false);
    expect(ExperimentViewSchema.safeParse({ ...VIEW, createdAt: 'yesterday' }).success).toBe(false);
  });

  it('keeps a breach to a few issues', () => {
    const r = ExperimentViewSchema.safeParse({});
    expect(contractBreach(r.error!, 2)).toMatch(/^id: .*; name: .*; and \d+ more$/);
  });

  it('reads the error bodies the coordinator sends', () => {
    expect(
      SpecErrorsBodySchema.safeParse({
        statusCode: 400,
        message: 'invalid spec: 1 error(s); nothing was enqueued',
        errors: [
          { path: 'fleet[0].count', line: 5, message: 'Too small' },
          { path: '', message: 'x' },
        ],
      }).success,
    ).toBe(true);
    expect(
      ErrorBodySchema.safeParse({ statusCode: 404, message: 'not found', error: 'Not Found' })
        .success,
    ).toBe(true);
    expect(ErrorBodySchema.safeParse({ statusCode: 400, message: ['a', 'b'] }).success).toBe(true);
    expect(ErrorBodySchema.safeParse({ statusCode: 200, message: 'ok' }).success).toBe(false);
  });

  it('reads both healths', () => {
    expect(HealthSchema.parse({ status: 'ok', redis: 'up' })).toEqual({
      status: 'ok',
      redis: 'up',
    });
    expect(HealthSchema.safeParse({ status: 'error', redis: 'down' }).success).toBe(false);
  });
});

/**
 * The coordinator keeps its HTTP contract (libs/fleet-contract): every answer
 * of every route, successes and refusals, parses with the contract's schema,
 * at the contract's status; and the CLI's client, which checks answers against
 * the same schemas, reads the real coordinator. Real Redis, in-process
 * coordinator and stand-in worker (coordinator-rig).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  BatchViewSchema,
  ErrorBodySchema,
  ExperimentListSchema,
  ExperimentViewSchema,
  HealthSchema,
  JobTraceSchema,
  ReportSchema,
  routePath,
  ROUTES,
  SpecErrorsBodySchema,
  type Route,
} from '../../../libs/fleet-contract/src/http-contract';
import { CoordinatorClient } from '../../cli/src/coordinator-client';
import {
  api,
  cleanup,
  coordinatorConfig,
  freshPrefix,
  INVALID_SPEC,
  startCoordinator,
  startShardWorker,
  type RunningCoordinator,
  type StandInWorker,
} from './coordinator-rig';

const TINY = `name: tiny
seed: 7
fleet:
  - profile: compute-2s
    count: 30
  - profile: gpu-node
    count: 10
events:
  crash:
    perServer: 1
    causes:
      panic: 1
  reboot:
    perServer: 1
    path: kexec
strategies: [none, fallback]
`;

const prefix = freshPrefix();
let coordinator: RunningCoordinator;
let worker: StandInWorker;
let http: ReturnType<typeof api>;
let client: CoordinatorClient;

beforeAll(async () => {
  coordinator = await startCoordinator(coordinatorConfig(prefix));
  http = api(coordinator.url);
  client = new CoordinatorClient(coordinator.url);
});

afterAll(async () => {
  await worker?.close(true);
  await coordinator?.app.close();
  await cleanup(prefix);
});

/** The answer's status is `status` and its body parses with `schema`; the parsed body. */
function keeps<S extends z.ZodType>(
  answer: { status: number; json: unknown; text: string },
  status: number,
  schema: S,
): z.infer<S> {
  expect({ status: answer.status, body: answer.text.slice(0, 300) }).toMatchObject({ status });
  const parsed = schema.safeParse(answer.json);
  expect(parsed.success ? 'parses' : parsed.error.issues).toBe('parses');
  return parsed.data as z.infer<S>;
}

const path = (route: Route, params: Record<string, string | number> = {}) =>
  routePath(route, params);

describe('the HTTP contract, as the coordinator answers', () => {
  it('keeps it on an experiment cancelled before any worker ran it', async () => {
    const created = keeps(
      await http.post(path(ROUTES.submitExperiment), TINY),
      ROUTES.submitExperiment.status,
      ExperimentViewSchema,
    );
    expect(created.state).toBe('queued');
    const id = created.id;
    keeps(await http.get(path(ROUTES.getExperiment, { id })), 200, ExperimentViewSchema);
    // Not done: 409; the list holds it.
    keeps(await http.get(path(ROUTES.getReport, { id })), 409, ErrorBodySchema);
    const list = keeps(await http.get(path(ROUTES.listExperiments)), 200, ExperimentListSchema);
    expect(list.map((e) => e.id)).toContain(id);

    const cancelled = keeps(
      await http.delete(path(ROUTES.cancelExperiment, { id })),
      ROUTES.cancelExperiment.status,
      ExperimentViewSchema,
    );
    expect(cancelled.state).toBe('cancelled');
    keeps(await http.delete(path(ROUTES.cancelExperiment, { id })), 409, ErrorBodySchema);
    keeps(await http.get(path(ROUTES.getReport, { id })), 410, ErrorBodySchema);
  });

  it('keeps it on a batch of points cancelled before any worker ran it', async () => {
    const body = JSON.stringify({
      spec: TINY,
      points: [
        { label: 'base', values: [] },
        { label: 'count=5', values: [{ path: 'fleet[0].count', value: 5 }] },
      ],
    });
    const created = keeps(
      await http.post(path(ROUTES.submitBatch), body, 'application/json'),
      ROUTES.submitBatch.status,
      BatchViewSchema,
    );
    expect(created.state).toBe('queued');
    expect(created.points.map((p) => p.label)).toEqual(['base', 'count=5']);
    const id = created.id;
    keeps(await http.get(path(ROUTES.getBatch, { id })), 200, BatchViewSchema);
    keeps(await http.get(path(ROUTES.getBatchReports, { id })), 409, ErrorBodySchema);
    // The client reads the same answers.
    expect((await client.batchStatus(id)).points).toHaveLength(2);
    const cancelled = keeps(
      await http.delete(path(ROUTES.cancelBatch, { id })),
      ROUTES.cancelBatch.status,
      BatchViewSchema,
    );
    expect(cancelled.state).toBe('cancelled');
    keeps(await http.delete(path(ROUTES.cancelBatch, { id })), 409, ErrorBodySchema);
    keeps(await http.get(path(ROUTES.getBatchReports, { id })), 410, ErrorBodySchema);
    keeps(await http.get(path(ROUTES.getBatch, { id: 'bat_nope' })), 404, ErrorBodySchema);
    const refused = keeps(
      await http.post(
        path(ROUTES.submitBatch),
        JSON.stringify({
          spec: TINY,
          points: [{ label: 'x', values: [{ path: 'nope', value: 1 }] }],
        }),
        'application/json',
      ),
      400,
      SpecErrorsBodySchema,
    );
    expect(refused.errors[0]!.path).toBe('points[0]');
    keeps(
      await http.post(path(ROUTES.submitBatch), '{"spec": 1}', 'application/json'),
      400,
      SpecErrorsBodySchema,
    );
    await expect(
      client.submitBatch(TINY, [{ label: 'x', values: [{ path: 'fleet[0].count', value: -1 }] }]),
    ).rejects.toMatchObject({ kind: 'invalid-spec', status: 400 });
  });

  it('keeps it on a finished experiment, its report and its traces', async () => {
    worker = startShardWorker(prefix);
    const id = keeps(
      await http.post(path(ROUTES.submitExperiment), TINY),
      201,
      ExperimentViewSchema,
    ).id;
    const done = await http.finished(id);
    expect(ExperimentViewSchema.parse(done).state).toBe('done');
    keeps(await http.get(path(ROUTES.getExperiment, { id })), 200, ExperimentViewSchema);
    keeps(await http.get(path(ROUTES.getReport, { id })), 200, ReportSchema);
    const markdown = await http.get(`${path(ROUTES.getReport, { id })}?format=markdown`);
    expect(markdown.status).toBe(200);
    keeps(await http.get(`${path(ROUTES.getReport, { id })}?format=pdf`), 400, ErrorBodySchema);

    const crash = keeps(
      await http.post(
        `${path(ROUTES.crashServer, { profile: 'gpu-node', index: 3 })}?experiment=${id}`,
      ),
      ROUTES.crashServer.status,
      JobTraceSchema,
    );
    expect(crash).toMatchObject({ server: 33, kind: 'crash' });
    const reboot = keeps(
      await http.post(path(ROUTES.rebootServer, { profile: 'compute-2s', index: 0 }), TINY),
      ROUTES.rebootServer.status,
      JobTraceSchema,
    );
    expect(reboot).toMatchObject({ server: 0, kind: 'reboot' });
    // Refusals of the server routes.
    keeps(
      await http.post(
        `${path(ROUTES.crashServer, { profile: 'nope', index: 0 })}?experiment=${id}`,
      ),
      404,
      ErrorBodySchema,
    );
    keeps(
      await http.post(
        `${path(ROUTES.crashServer, { profile: 'gpu-node', index: 3 })}?experiment=${id}&event=9`,
      ),
      400,
      ErrorBodySchema,
    );
    keeps(
      await http.post(path(ROUTES.crashServer, { profile: 'gpu-node', index: 3 }), INVALID_SPEC),
      400,
      SpecErrorsBodySchema,
    );
  });

  it('keeps it on refused submissions, unknown experiments and health', async () => {
    const invalid = keeps(
      await http.post(path(ROUTES.submitExperiment), INVALID_SPEC),
      400,
      SpecErrorsBodySchema,
    );
    expect(invalid.errors.length).toBeGreaterThan(0);
    keeps(
      await http.post(`${path(ROUTES.submitExperiment)}?shardSize=0`, TINY),
      400,
      SpecErrorsBodySchema,
    );
    keeps(await http.post(path(ROUTES.submitExperiment), ''), 400, SpecErrorsBodySchema);
    keeps(await http.post(path(ROUTES.submitExperiment), TINY, 'text/plain'), 415, ErrorBodySchema);
    keeps(await http.get(path(ROUTES.getExperiment, { id: 'exp_nope' })), 404, ErrorBodySchema);
    keeps(await http.get(`${path(ROUTES.listExperiments)}?limit=0`), 400, ErrorBodySchema);
    keeps(await http.get(path(ROUTES.health)), 200, HealthSchema);
    const metrics = await http.get(path(ROUTES.metrics));
    expect(metrics.status).toBe(200);
  });
});

describe("the CLI's client against the real coordinator", () => {
  it('submits, follows, lists, reads the report and refuses as the coordinator says', async () => {
    const submitted = await client.submit({ text: TINY, contentType: 'application/yaml' });
    await http.finished(submitted.id);
    expect((await client.status(submitted.id)).state).toBe('done');
    expect((await client.list()).map((e) => e.id)).toContain(submitted.id);
    expect((await client.report(submitted.id)).experiment.name).toBe('tiny');
    await expect(client.cancel(submitted.id)).rejects.toMatchObject({
      kind: 'refused',
      status: 409,
    });
    await expect(client.status('exp_nope')).rejects.toMatchObject({ kind: 'not-found' });
    await expect(
      client.submit({ text: INVALID_SPEC, contentType: 'application/yaml' }),
    ).rejects.toMatchObject({ kind: 'invalid-spec', status: 400 });
  });
});

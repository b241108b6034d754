/**
 * Fuzz of the coordinator's HTTP API (issue 10): random methods, routes,
 * media types and hostile bodies. Never a 5xx, never a dead process, and a
 * refused request enqueues nothing. FUZZ_RUNS cases (a few hundred in CI,
 * 10,000 in `npm run bench:fuzz`).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueRepository } from '../src/repositories/queue.repository';
import { FUZZ_RUNS, FUZZ_TIMEOUT_MS, hostileSpec } from '../../../test/fuzz/arbitraries';
import {
  cleanup,
  coordinatorConfig,
  freshPrefix,
  startCoordinator,
  startShardWorker,
  type RunningCoordinator,
  type StandInWorker,
} from './coordinator-rig';

const segment = fc.oneof(
  fc.constantFrom(
    'compute-2s',
    'gpu-node',
    'constructor',
    '__proto__',
    '0',
    '-1',
    '1e9',
    '%00',
    '..',
  ),
  fc.string({ maxLength: 8 }).map(encodeURIComponent),
);

const route = fc.oneof(
  fc.constant('/experiments'),
  fc
    .tuple(segment, fc.constantFrom('', '/report', '/report?format=html', '/report?format=x'))
    .map(([id, tail]) => `/experiments/${id}${tail}`),
  fc
    .tuple(
      segment,
      segment,
      fc.constantFrom('crash', 'reboot'),
      fc.constantFrom('', '?event=1', '?event=-1', '?experiment=x&event=99999999999999999999'),
    )
    .map(([p, i, kind, q]) => `/servers/${p}/${i}/${kind}${q}`),
  fc.constantFrom(
    '/experiments?shardSize=0',
    '/experiments?shardSize=1',
    '/experiments?limit=x',
    '/health',
    '/metrics',
    '/queues/api/queues',
    '/docs',
  ),
);

const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'POST', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS'),
  route,
  type: fc.constantFrom(
    'application/yaml',
    'application/json',
    'text/yaml',
    'text/plain',
    'application/x-www-form-urlencoded',
    '',
  ),
  body: fc.option(hostileSpec, { nil: undefined }),
});

describe('the HTTP API under fuzzing', () => {
  const prefix = freshPrefix();
  let app: RunningCoordinator;
  let worker: StandInWorker;

  beforeAll(async () => {
    app = await startCoordinator(coordinatorConfig(prefix, { traceTimeoutMs: 20_000 }));
    worker = startShardWorker(prefix);
    countEnqueues();
  });

  afterAll(async () => {
    await worker.close(true);
    await app.app.close();
    await cleanup(prefix);
  });

  /** Calls that enqueue on behalf of a request: a flow for an experiment, a job for a trace. */
  let enqueues = 0;
  function countEnqueues(): void {
    const repo = app.app.get(QueueRepository);
    for (const method of ['addExperimentFlow', 'runTrace'] as const) {
      const original = repo[method].bind(repo) as (...args: unknown[]) => Promise<unknown>;
      (repo as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        enqueues++;
        return original(...args);
      };
    }
  }

  it(
    `never answers 5xx and enqueues nothing it refuses (${FUZZ_RUNS} cases)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(request, async ({ method, route, type, body }) => {
          const before = enqueues;
          const withBody = body !== undefined && !['GET', 'OPTIONS'].includes(method);
          const res = await fetch(`${app.url}${route}`, {
            method,
            ...(withBody ? { body, headers: type ? { 'content-type': type } : {} } : {}),
          });
          const text = await res.text();
          expect(
            res.status,
            `${method} ${route} → ${res.status} ${text.slice(0, 300)}`,
          ).toBeLessThan(500);
          if (res.status >= 400) {
            expect(enqueues, `${method} ${route} → ${res.status} enqueued`).toBe(before);
          }
        }),
        { numRuns: FUZZ_RUNS },
      );
      expect((await fetch(`${app.url}/health`)).status).toBe(200);
    },
    FUZZ_TIMEOUT_MS,
  );
});

/**
 * The coordinator under hostile input (issue 10): bodies that crashed it or
 * gave 500s are 400s naming what is wrong, the process keeps answering, and a
 * refused request enqueues nothing (no shard, no merge, no trace job).
 */
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { SHARD_QUEUE, TRACE_QUEUE, type ShardJobData } from '../../../libs/kdump-core/src';
import type { CoordinatorConfig } from '../src/config/coordinator.config';
import {
  api,
  cleanup,
  connection,
  coordinatorConfig,
  example,
  freshPrefix,
  queueCounts,
  startCoordinator,
  startShardWorker,
  type RunningCoordinator,
  type StandInWorker,
} from './coordinator-rig';

const running: { apps: RunningCoordinator[]; workers: StandInWorker[]; prefixes: string[] } = {
  apps: [],
  workers: [],
  prefixes: [],
};

afterEach(async () => {
  await Promise.all(running.workers.map((w) => w.close(true)));
  await Promise.all(running.apps.map((c) => c.app.close()));
  await Promise.all(running.prefixes.map((p) => cleanup(p)));
  running.apps = [];
  running.workers = [];
  running.prefixes = [];
});

async function coordinator(overrides: Partial<CoordinatorConfig> = {}) {
  const prefix = freshPrefix();
  running.prefixes.push(prefix);
  const c = await startCoordinator(coordinatorConfig(prefix, overrides));
  running.apps.push(c);
  return { ...c, prefix, http: api(c.url) };
}

/** Every job of every queue under the prefix, summed over states. */
async function jobsUnder(prefix: string): Promise<number> {
  const { shards, experiments } = await queueCounts(prefix);
  const traces = new Queue(TRACE_QUEUE, { connection, prefix });
  try {
    const t = await traces.getJobCounts();
    return [shards, experiments, t]
      .flatMap((counts) => Object.values(counts))
      .reduce((a, b) => a + b, 0);
  } finally {
    await traces.close();
  }
}

const MINIMAL = `name: minimal
seed: 1
fleet:
  - profile: compute-2s
    count: 5
events:
  crash: { perServer: 1, causes: { panic: 1 } }
strategies: [none]
`;

function aliasBomb(): string {
  const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    const cur = String.fromCharCode(97 + i);
    levels.push(`${cur}: &${cur} [${Array(10).fill(`*${prev}`).join(', ')}]`);
  }
  return `${MINIMAL}${levels.join('\n')}\n`;
}

describe('bodies that crashed the coordinator or gave 500', () => {
  it('answers 400 to a 2 KB bracket nest, twice, and keeps answering (found 1)', async () => {
    const { http, prefix } = await coordinator();
    const nest = '['.repeat(1000) + ']'.repeat(1000);
    const deep = '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000);
    for (const [body, type] of [
      [nest, 'application/json'],
      [nest, 'application/json'],
      [deep, 'application/json'],
      [deep, 'application/yaml'],
    ] as const) {
      const res = await http.post('/experiments', body, type);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.json.errors)).toMatch(/nests deeper than \d+ levels/);
    }
    expect((await http.get('/health')).status).toBe(200);
    expect(await jobsUnder(prefix)).toBe(0);
  });

  it('answers 400 to an alias bomb on /experiments and /servers (found 2)', async () => {
    const { http, prefix } = await coordinator();
    for (const route of ['/experiments', '/servers/compute-2s/0/crash']) {
      const res = await http.post(route, aliasBomb());
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.json.errors)).toMatch(/alias/i);
    }
    expect(await jobsUnder(prefix)).toBe(0);
  });

  it('answers 400 to names found on the prototype chain (found 3)', async () => {
    const { http, prefix } = await coordinator();
    const cases = [
      [MINIMAL.replace('profile: compute-2s', 'profile: constructor'), /unknown profile/],
      [MINIMAL.replace('panic: 1', 'constructor: 1'), /unknown crash cause/],
      [MINIMAL.replace('[none]', '[constructor]'), /unknown strategy/],
      [MINIMAL.replace('[none]', '[{ name: s, extends: constructor }]'), /extends unknown/],
      [MINIMAL.replace('[none]', '[{ name: s, blacklist: [constructor] }]'), /unknown driver/],
    ] as const;
    for (const [spec, message] of cases) {
      const res = await http.post('/experiments', spec);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.json.errors)).toMatch(message);
    }
    expect(await jobsUnder(prefix)).toBe(0);
  });

  it('answers 400 to a long extends chain (found 4)', async () => {
    const { http } = await coordinator();
    const lines = ['catalogue:', '  devices:', '    d0: { extends: nic-25g }'];
    for (let i = 1; i < 900; i++) {
      lines.push(`    d${i}: { extends: d${i - 1} }`);
    }
    const res = await http.post('/experiments', `${MINIMAL}${lines.join('\n')}\n`);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json.errors)).toMatch(/"extends\\" chain/);
  });

  it('answers 400 to 20,000 keys in one map, as JSON (found 5)', async () => {
    const { http } = await coordinator();
    const extra = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i]));
    const res = await http.post(
      '/experiments',
      JSON.stringify({ name: 'x', extra }),
      'application/json',
    );
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json.errors)).toMatch(/more than 1000 entries/);
  });
});

describe('label cardinality (found 6)', () => {
  it('answers 400 to a spec with too many device classes, naming the bound', async () => {
    const { http, prefix } = await coordinator();
    for (const n of [200, 2000]) {
      const devices = Array.from({ length: n }, (_, i) => `    d${i}: { extends: nic-25g }`);
      const res = await http.post(
        '/experiments',
        `${MINIMAL}catalogue:\n  devices:\n${devices.join('\n')}\n`,
      );
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.json.errors)).toMatch(
        n === 200 ? /at most 64 device models/ : /more than 1000 entries/,
      );
    }
    expect(await jobsUnder(prefix)).toBe(0);
  });
});

describe('the spec is stored once per experiment (found 7)', () => {
  it('sends shards a reference to it, not a copy, and they still run', async () => {
    const { http, prefix } = await coordinator();
    const description = 'x'.repeat(200_000);
    const spec = MINIMAL.replace('count: 5', 'count: 40').replace(
      '[none]',
      `[none, { name: mine, extends: none, description: "${description}" }]`,
    );
    const created = await http.post('/experiments?shardSize=2', spec);
    expect(created.status).toBe(201);
    expect(created.json.shards.total).toBe(20);
    const shards = new Queue(SHARD_QUEUE, { connection, prefix });
    try {
      const jobs = await shards.getJobs(['waiting', 'prioritized', 'delayed']);
      expect(jobs).toHaveLength(20);
      for (const job of jobs) {
        const data = job.data as ShardJobData;
        expect(data.spec).toBeUndefined();
        expect(data.specRef?.sha256).toMatch(/^[0-9a-f]{64}$/);
        expect(JSON.stringify(data).length).toBeLessThan(1000);
      }
    } finally {
      await shards.close();
    }
    running.workers.push(startShardWorker(prefix));
    const done = await http.finished(created.json.id as string);
    expect(done.state).toBe('done');
  });
});

describe('concurrent trace requests (found 9)', () => {
  it('answers 20 at once without piling listeners up (no MaxListenersExceededWarning)', async () => {
    const { http, prefix } = await coordinator();
    running.workers.push(startShardWorker(prefix));
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      for (let round = 0; round < 3; round++) {
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            http.post(`/servers/compute-2s/${i % 5}/crash`, MINIMAL),
          ),
        );
        expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
      }
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });
});

describe('trace requests are checked before they are enqueued (found 8)', () => {
  it('refuses an event the server does not have and a kind the spec has not, leaving no job', async () => {
    const { http, prefix } = await coordinator();
    // No worker runs: a request that got as far as the queue would wait, not answer 400.
    const noEvent = await http.post('/servers/compute-2s/0/crash?event=4', MINIMAL);
    expect(noEvent.status).toBe(400);
    expect(noEvent.json.message).toMatch(/has 1 crash event\(s\); event 4 does not happen/);
    const noReboot = await http.post('/servers/compute-2s/0/reboot', MINIMAL);
    expect(noReboot.status).toBe(400);
    expect(noReboot.json.message).toMatch(/no reboot events/);
    expect(await jobsUnder(prefix)).toBe(0);
  });

  it('refuses them for a posted experiment too, and still answers a good one', async () => {
    const { http, prefix } = await coordinator();
    const created = await http.post('/experiments', example('quickstart.yaml'));
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    const bad = await http.post(`/servers/compute-2s/0/crash?experiment=${id}&event=99`);
    expect(bad.status).toBe(400);
    const traces = new Queue(TRACE_QUEUE, { connection, prefix });
    try {
      expect(await traces.getJobCounts()).toMatchObject({ waiting: 0, failed: 0, completed: 0 });
    } finally {
      await traces.close();
    }
    running.workers.push(startShardWorker(prefix));
    const good = await http.post(`/servers/compute-2s/0/crash?experiment=${id}`);
    expect(good.status).toBe(200);
  });
});

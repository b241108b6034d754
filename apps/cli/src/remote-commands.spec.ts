/**
 * `fleetsim run --coordinator`, `status` and `cancel` against a tiny in-test
 * coordinator (`http.createServer`) that speaks the coordinator's API.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseSpecOrThrow, runExperiment, type Report } from '../../../libs/kdump-core/src';
import type { CliIo } from './cli-io';
import type { ExperimentStatus } from './coordinator-client';
import { main } from './main';
import { DEFAULT_POLL } from './poll-until';
import { formatExperimentList, formatStatus, specSubmission } from './remote-commands';

const SPEC_YAML = `# a tiny experiment
name: tiny
seed: 7
fleet:
  - profile: compute-2s
    count: 40
events:
  crash:
    perServer: 1
    causes:
      panic: 1
strategies:
  - none
  - fallback
`;

let cachedReport: Report | undefined;

/** The report the fake coordinator serves: the real one, with a distributed `run`. */
function tinyReport(): Report {
  const report = (cachedReport ??= runExperiment(parseSpecOrThrow(SPEC_YAML)).report);
  return {
    ...report,
    run: {
      wallSeconds: 0.5,
      threads: 2,
      shards: 4,
      shardSize: 10,
      host: 'coordinator-host',
      mode: 'distributed',
      fleetsimVersion: '0.1.0',
    },
  };
}

interface Recorded {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}

/** An experiment as the fake sends it: any state, so tests can write them as plain strings. */
type FakeExperiment = Omit<ExperimentStatus, 'state'> & { state: string };

/** What the fake does; each test sets it. */
interface Script {
  /** Answer to POST /experiments; default 201 with a queued experiment. */
  submit?: (body: string) => { status: number; body: unknown };
  /** States the experiment goes through, one per GET /experiments/:id. */
  states?: Array<Partial<FakeExperiment> | { httpStatus: number }>;
  report?: { status: number; body: unknown };
  list?: unknown;
  cancel?: { status: number; body?: unknown };
}

class FakeCoordinator {
  server: Server;
  requests: Recorded[] = [];
  script: Script = {};
  private polls = 0;

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  reset(script: Script): void {
    this.script = script;
    this.requests = [];
    this.polls = 0;
  }

  private experiment(over: Partial<FakeExperiment> = {}): FakeExperiment {
    return {
      id: 'exp-1',
      name: 'tiny',
      state: 'queued',
      servers: 40,
      shards: { done: 0, total: 4 },
      jobsPerSecond: null,
      etaSeconds: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      startedAt: null,
      finishedAt: null,
      ...over,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.answer(req, res);
    } catch (e) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `fake coordinator: ${(e as Error).message}` }));
    }
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) {
      body += String(chunk);
    }
    const url = req.url ?? '';
    this.requests.push({
      method: req.method ?? '',
      url,
      contentType: req.headers['content-type'],
      body,
    });
    const send = (status: number, payload?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(payload === undefined ? '' : JSON.stringify(payload));
    };
    if (req.method === 'POST' && url === '/experiments') {
      const answer = this.script.submit?.(body) ?? { status: 201, body: this.experiment() };
      send(answer.status, answer.body);
      return;
    }
    if (req.method === 'GET' && url === '/experiments') {
      send(200, this.script.list ?? []);
      return;
    }
    const m = /^\/experiments\/([^/?]+)(\/report)?$/.exec(url);
    if (!m || m[1] !== 'exp-1') {
      send(404, { statusCode: 404, message: `experiment ${m?.[1] ?? '?'} not found` });
      return;
    }
    if (req.method === 'GET' && m[2]) {
      const r = this.script.report ?? { status: 200, body: tinyReport() };
      send(r.status, r.body);
      return;
    }
    if (req.method === 'GET') {
      const states = this.script.states ?? [{ state: 'done', shards: { done: 4, total: 4 } }];
      const step = states[Math.min(this.polls++, states.length - 1)]!;
      if ('httpStatus' in step) {
        send(step.httpStatus, { message: 'busy' });
      } else {
        send(200, this.experiment(step));
      }
      return;
    }
    if (req.method === 'DELETE') {
      const c = this.script.cancel ?? {
        status: 200,
        body: this.experiment({ state: 'cancelled', shards: { done: 1, total: 4 } }),
      };
      send(c.status, c.body);
      return;
    }
    send(405, { message: 'method not allowed' });
  }
}

interface Captured {
  io: CliIo;
  out: () => string;
  err: () => string;
  bar: string[];
}

function capture(tty = false): Captured {
  let out = '';
  let err = '';
  const bar: string[] = [];
  return {
    io: {
      out: (t) => void (out += t),
      err: (t) => void (err += t),
      progressStream: tty ? { write: (t: string) => bar.push(t), columns: 100 } : null,
    },
    out: () => out,
    err: () => err,
    bar,
  };
}

const fake = new FakeCoordinator();
let tmp: string;
let specFile: string;

const poll = { ...DEFAULT_POLL };

beforeAll(async () => {
  // Poll fast: the fake answers at once.
  Object.assign(DEFAULT_POLL, { initialMs: 5, maxMs: 20 });
  await new Promise<void>((r) => fake.server.listen(0, '127.0.0.1', r));
  tmp = mkdtempSync(join(tmpdir(), 'fleetsim-remote-'));
  specFile = join(tmp, 'tiny.yaml');
  writeFileSync(specFile, SPEC_YAML);
});

afterAll(async () => {
  Object.assign(DEFAULT_POLL, poll);
  await new Promise((r) => fake.server.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

beforeEach(() => fake.reset({}));
afterEach(() => fake.reset({}));

describe('fleetsim run --coordinator', () => {
  it('submits the YAML as application/yaml, follows it to done, and prints the report', async () => {
    fake.reset({
      states: [
        { state: 'queued' },
        { state: 'running', shards: { done: 1, total: 4 }, etaSeconds: 3 },
        { state: 'running', shards: { done: 3, total: 4 }, etaSeconds: 1 },
        { state: 'done', shards: { done: 4, total: 4 } },
      ],
    });
    const c = capture();
    const code = await main(['run', specFile, '--coordinator', fake.url, '--format', 'json'], c.io);
    expect(c.err()).toBe(`fleetsim: experiment exp-1 submitted to ${fake.url}\n`);
    expect(code).toBe(0);
    expect(c.out()).toBe(JSON.stringify(tinyReport(), null, 2) + '\n');
    const post = fake.requests[0]!;
    expect(post).toMatchObject({ method: 'POST', url: '/experiments' });
    expect(post.contentType).toBe('application/yaml');
    expect(post.body).toBe(SPEC_YAML);
    const polls = fake.requests.filter((r) => r.method === 'GET' && r.url === '/experiments/exp-1');
    expect(polls).toHaveLength(4);
    expect(fake.requests.at(-1)!.url).toBe('/experiments/exp-1/report');
  });

  it('writes --out and the table exactly as the embedded run does', async () => {
    const out = join(tmp, 'report.md');
    const c = capture();
    const code = await main(['run', specFile, '--coordinator', fake.url, '--out', out], c.io);
    expect(code).toBe(0);
    const { formatReportMarkdown, formatReportTable } =
      await import('../../../libs/kdump-core/src');
    expect(readFileSync(out, 'utf8')).toBe(formatReportMarkdown(tinyReport()));
    expect(c.out()).toBe(formatReportTable(tinyReport()));
  });

  it('sends a JSON spec as application/json, with --seed and --shard-size written in', async () => {
    const jsonFile = join(tmp, 'tiny.json');
    writeFileSync(jsonFile, JSON.stringify(parseYaml(SPEC_YAML)));
    const c = capture();
    const code = await main(
      ['run', jsonFile, '--coordinator', fake.url, '--seed', '9', '--shard-size', '5'],
      c.io,
    );
    expect(code).toBe(0);
    const post = fake.requests[0]!;
    expect(post.contentType).toBe('application/json');
    expect(JSON.parse(post.body)).toMatchObject({ name: 'tiny', seed: 9, run: { shardSize: 5 } });
  });

  it('takes the coordinator from FLEETSIM_COORDINATOR', async () => {
    const c = capture();
    const code = await main(['run', specFile, '--format', 'json'], c.io, {
      FLEETSIM_COORDINATOR: fake.url,
    });
    expect(code).toBe(0);
    expect(fake.requests[0]!.method).toBe('POST');
  });

  it('draws the progress bar on a terminal, with the coordinator ETA', async () => {
    // Long enough (≈ 20 polls of 20 ms) for a few redraws every REDRAW_MS.
    const running = { state: 'running', shards: { done: 2, total: 4 }, etaSeconds: 75 };
    fake.reset({
      states: [...Array<typeof running>(20).fill(running), { state: 'done' }],
    });
    const c = capture(true);
    const code = await main(['run', specFile, '--coordinator', fake.url], c.io);
    expect(code).toBe(0);
    const drawn = c.bar.join('');
    expect(drawn).toContain('2/4 shards');
    expect(drawn).toContain('ETA 1:15');
    expect(c.bar.at(-1)).toBe('\r\x1b[2K');
  });

  it('prints every spec error of a 400 as SPEC:LINE: PATH: MESSAGE and exits 2', async () => {
    fake.reset({
      submit: () => ({
        status: 400,
        body: {
          message: 'invalid spec',
          errors: [
            { path: 'fleet[0].count', line: 6, message: 'must be a positive integer' },
            { path: 'strategies[1]', line: 12, message: 'unknown strategy "falback"' },
            { path: '', message: 'no line for this one' },
          ],
        },
      }),
    });
    const c = capture();
    const code = await main(['run', specFile, '--coordinator', fake.url], c.io);
    expect(code).toBe(2);
    expect(c.err()).toBe(
      `${specFile}:6: fleet[0].count: must be a positive integer\n` +
        `${specFile}:12: strategies[1]: unknown strategy "falback"\n` +
        `${specFile}: no line for this one\n`,
    );
    expect(c.out()).toBe('');
    expect(fake.requests).toHaveLength(1);
  });

  it('says a 413 and exits 2', async () => {
    fake.reset({
      submit: () => ({ status: 413, body: { message: 'request entity too large' } }),
    });
    const c = capture();
    expect(await main(['run', specFile, '--coordinator', fake.url], c.io)).toBe(2);
    expect(c.err()).toContain('413: request entity too large');
  });

  it('names the URL when the coordinator is unreachable, and exits 1', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((r) => closed.close(r));
    const c = capture();
    const code = await main(['run', specFile, '--coordinator', url], c.io);
    expect(code).toBe(1);
    expect(c.err()).toMatch(
      new RegExp(`^fleetsim: cannot reach the coordinator at ${url}: .*ECONNREFUSED.*\\n$`),
    );
  });

  it.each([
    ['failed', 'experiment exp-1 failed on the coordinator at URL: worker exploded'],
    ['cancelled', 'experiment exp-1 was cancelled on the coordinator at URL'],
  ])('says when the experiment ends %s, and exits 1', async (state, message) => {
    fake.reset({
      states: [{ state: 'running' }, { state, error: 'worker exploded' }],
    });
    const c = capture();
    const code = await main(['run', specFile, '--coordinator', fake.url], c.io);
    expect(code).toBe(1);
    expect(c.err()).toContain(`fleetsim: ${message.replace('URL', fake.url)}`);
    expect(c.out()).toBe('');
    expect(fake.requests.some((r) => r.url.endsWith('/report'))).toBe(false);
  });

  it('rides out a coordinator that answers 503 for a while', async () => {
    fake.reset({
      states: [{ state: 'running' }, { httpStatus: 503 }, { httpStatus: 502 }, { state: 'done' }],
    });
    const c = capture();
    const code = await main(['run', specFile, '--coordinator', fake.url, '--format', 'json'], c.io);
    expect(code).toBe(0);
    expect(JSON.parse(c.out())).toEqual(tinyReport());
  });

  it('refuses a report that is not one', async () => {
    fake.reset({ report: { status: 200, body: { schemaVersion: 99 } } });
    const c = capture();
    const code = await main(['run', specFile, '--coordinator', fake.url], c.io);
    expect(code).toBe(1);
    expect(c.err()).toContain('sent a report this fleetsim does not read');
  });

  it('refuses an unreadable SPEC before calling anyone', async () => {
    const c = capture();
    const code = await main(['run', join(tmp, 'missing.yaml'), '--coordinator', fake.url], c.io);
    expect(code).toBe(2);
    expect(c.err()).toContain('cannot read SPEC');
    expect(fake.requests).toHaveLength(0);
  });

  it('stops following on Ctrl-C and says the experiment goes on', async () => {
    fake.reset({ states: [{ state: 'running' }] });
    const c = capture();
    let fire: (() => void) | undefined;
    c.io.onInterrupt = (h) => {
      fire = h;
      return () => {
        fire = undefined;
      };
    };
    const running = main(['run', specFile, '--coordinator', fake.url], c.io);
    await new Promise((r) => setTimeout(r, 300));
    fire!();
    expect(await running).toBe(130);
    expect(c.err()).toContain('interrupted; experiment exp-1 goes on');
    expect(fire).toBeUndefined();
  });
});

describe('fleetsim status', () => {
  it('prints state, progress and ETA', async () => {
    fake.reset({
      states: [
        {
          state: 'running',
          shards: { done: 1, total: 4 },
          jobsPerSecond: 12345.6,
          etaSeconds: 61,
          startedAt: '2026-01-01T00:00:01.000Z',
        },
      ],
    });
    const c = capture();
    expect(await main(['status', 'exp-1', '--coordinator', fake.url], c.io)).toBe(0);
    expect(c.out()).toBe(
      [
        'experiment  exp-1 (tiny)',
        'state       running',
        'shards      1/4 (25.0 %)',
        'servers     40',
        'rate        12,346 jobs/s',
        'ETA         1:01',
        'created     2026-01-01T00:00:00.000Z',
        'started     2026-01-01T00:00:01.000Z',
        '',
      ].join('\n'),
    );
  });

  it('prints the JSON with --format json', async () => {
    const c = capture();
    expect(
      await main(['status', 'exp-1', '--coordinator', fake.url, '--format', 'json'], c.io),
    ).toBe(0);
    expect(JSON.parse(c.out())).toMatchObject({ id: 'exp-1', state: 'done' });
  });

  it('lists every experiment without an ID', async () => {
    const times = { createdAt: '2026-01-01T00:00:00.000Z', startedAt: null, finishedAt: null };
    const a = {
      id: 'exp-2',
      name: 'b',
      state: 'running',
      servers: 1000,
      shards: { done: 1, total: 2 },
      jobsPerSecond: null,
      etaSeconds: null,
      ...times,
    };
    const b = {
      id: 'exp-1',
      name: 'a',
      state: 'done',
      servers: 40,
      shards: { done: 4, total: 4 },
      jobsPerSecond: 80,
      etaSeconds: 0,
      ...times,
    };
    fake.reset({ list: [a, b] });
    const c = capture();
    expect(await main(['status', '--coordinator', fake.url], c.io)).toBe(0);
    expect(c.out().split('\n')[0]).toMatch(/^ID\s+NAME\s+STATE\s+SHARDS\s+SERVERS\s+CREATED$/);
    expect(c.out()).toContain('exp-2  b     running  1/2 (50.0 %)');
  });

  it('says an unknown ID and exits 2', async () => {
    const c = capture();
    expect(await main(['status', 'nope', '--coordinator', fake.url], c.io)).toBe(2);
    expect(c.err()).toBe(`fleetsim: no experiment "nope" on the coordinator at ${fake.url}\n`);
  });
});

describe('fleetsim cancel', () => {
  it('cancels and says how far it got', async () => {
    const c = capture();
    expect(await main(['cancel', 'exp-1', '--coordinator', fake.url], c.io)).toBe(0);
    expect(c.out()).toBe('experiment exp-1: cancelled (1/4 shards had been merged)\n');
    expect(fake.requests[0]).toMatchObject({ method: 'DELETE', url: '/experiments/exp-1' });
  });

  it('passes on a 409 (already finished) and exits 2', async () => {
    fake.reset({ cancel: { status: 409, body: { message: 'experiment exp-1 is already done' } } });
    const c = capture();
    expect(await main(['cancel', 'exp-1', '--coordinator', fake.url], c.io)).toBe(2);
    expect(c.err()).toContain('409: experiment exp-1 is already done');
  });

  it('says an unknown ID and exits 2', async () => {
    const c = capture();
    expect(await main(['cancel', 'nope', '--coordinator', fake.url], c.io)).toBe(2);
    expect(c.err()).toContain('no experiment "nope"');
  });
});

describe('specSubmission', () => {
  it('leaves the text alone without overrides', () => {
    expect(specSubmission('a.yaml', SPEC_YAML, {})).toEqual({
      text: SPEC_YAML,
      contentType: 'application/yaml',
    });
    expect(specSubmission('a.spec', '{"name":"x"}', {})).toEqual({
      text: '{"name":"x"}',
      contentType: 'application/json',
    });
  });

  it('writes the seed and shard size into YAML, keeping its comments and lines', () => {
    const { text, contentType } = specSubmission('a.yaml', SPEC_YAML, { seed: 3, shardSize: 8 });
    expect(contentType).toBe('application/yaml');
    expect(text.split('\n').slice(0, 3)).toEqual(['# a tiny experiment', 'name: tiny', 'seed: 3']);
    expect(parseYaml(text)).toMatchObject({ seed: 3, run: { shardSize: 8 } });
  });

  it('keeps the rest of an existing run section', () => {
    const yaml = SPEC_YAML + 'run:\n  shardSize: 100\n';
    const { text } = specSubmission('a.yaml', yaml, { shardSize: 8 });
    expect(parseYaml(text)).toMatchObject({ seed: 7, run: { shardSize: 8 } });
  });

  it('sends text that does not parse untouched, for the coordinator to judge', () => {
    expect(specSubmission('a.yaml', 'a: [', { seed: 1 }).text).toBe('a: [');
    expect(specSubmission('a.json', '{', { seed: 1 })).toEqual({
      text: '{',
      contentType: 'application/json',
    });
  });
});

describe('formatting', () => {
  it('shows an error and leaves out what the coordinator did not send', () => {
    const text = formatStatus({
      id: 'x',
      name: '',
      state: 'failed',
      servers: 5,
      shards: { done: 0, total: 0 },
      error: 'boom',
    });
    expect(text).toBe(
      'experiment  x\nstate       failed\nshards      0/0\nservers     5\nerror       boom\n',
    );
  });

  it('says when there is nothing to list', () => {
    expect(formatExperimentList([], 'http://c')).toBe('no experiments on http://c\n');
  });
});

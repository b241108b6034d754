import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CoordinatorClient, CoordinatorError, messageOf, specErrorsOf } from './coordinator-client';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

/** A server answering every request with `handler`; resolves to its base URL. */
async function serve(handler: (res: import('node:http').ServerResponse) => void): Promise<string> {
  server = createServer((_req, res) => handler(res));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('CoordinatorClient', () => {
  it('drops a trailing slash from the base URL', () => {
    expect(new CoordinatorClient('http://c:1//').baseUrl).toBe('http://c:1');
  });

  it('says a coordinator that does not answer in time is unreachable', async () => {
    const url = await serve(() => undefined);
    const client = new CoordinatorClient(url, 200);
    const e = await client.status('x').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(CoordinatorError);
    expect((e as CoordinatorError).kind).toBe('unreachable');
    expect((e as CoordinatorError).message).toBe(
      `cannot reach the coordinator at ${client.baseUrl}: no answer within 200 ms`,
    );
  });

  it('calls a 5xx a server error, with its message, and a body that is not JSON too', async () => {
    const url = await serve((res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('Redis is down');
    });
    const e = (await new CoordinatorClient(url)
      .list()
      .catch((err: unknown) => err)) as CoordinatorError;
    expect(e.kind).toBe('server');
    expect(e.status).toBe(503);
    expect(e.message).toContain('answered GET /experiments with 503: Redis is down');
  });

  it('refuses an answer that is not JSON where JSON is promised', async () => {
    const url = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{not json');
    });
    const e = (await new CoordinatorClient(url)
      .status('x')
      .catch((err: unknown) => err)) as CoordinatorError;
    expect(e.kind).toBe('server');
    expect(e.message).toContain('invalid JSON');
  });

  it('refuses a list wrapped in an object: the contract answers a bare array', async () => {
    const url = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ experiments: [] }));
    });
    const client = new CoordinatorClient(url);
    const e = (await client.list().catch((err: unknown) => err)) as CoordinatorError;
    expect(e).toBeInstanceOf(CoordinatorError);
    expect(e.kind).toBe('server');
    expect(e.message).toBe(
      `the coordinator at ${client.baseUrl} answered GET /experiments with a body that breaks the HTTP contract (Invalid input: expected array, received object)`,
    );
  });

  const VIEW = {
    id: 'exp_1',
    name: 'tiny',
    state: 'running',
    servers: 40,
    shards: { done: 1, total: 4 },
    jobsPerSecond: 100,
    etaSeconds: 3,
    createdAt: '2026-01-01T00:00:00.000Z',
    startedAt: '2026-01-01T00:00:01.000Z',
    finishedAt: null,
  };

  it('returns an answer that keeps the contract as sent', async () => {
    const url = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(VIEW));
    });
    expect(await new CoordinatorClient(url).status('exp_1')).toEqual(VIEW);
  });

  it('refuses an answer that breaks the contract, naming the route and the fields', async () => {
    const url = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...VIEW, state: 'paused', shards: { done: 1 } }));
    });
    const client = new CoordinatorClient(url);
    const e = (await client.status('exp_1').catch((err: unknown) => err)) as CoordinatorError;
    expect(e).toBeInstanceOf(CoordinatorError);
    expect(e.kind).toBe('server');
    expect(e.status).toBe(200);
    expect(e.message).toBe(
      `the coordinator at ${client.baseUrl} answered GET /experiments/exp_1 with a body that breaks the HTTP contract` +
        ' (state: Invalid option: expected one of "queued"|"running"|"done"|"failed"|"cancelled"; shards.total: Invalid input: expected number, received undefined)',
    );
  });

  it('refuses a success status the route does not answer with', async () => {
    const url = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...VIEW, state: 'queued' }));
    });
    const e = (await new CoordinatorClient(url)
      .submit({ text: 'name: x', contentType: 'application/yaml' })
      .catch((err: unknown) => err)) as CoordinatorError;
    expect(e.kind).toBe('server');
    expect(e.message).toContain('answered POST /experiments with 200');
  });
});

describe('error bodies', () => {
  it('reads Nest messages, strings or arrays', () => {
    expect(messageOf({ message: 'x' })).toBe('x');
    expect(messageOf({ message: ['a', 'b'] })).toBe('a; b');
    expect(messageOf('x')).toBeUndefined();
    expect(messageOf(null)).toBeUndefined();
  });

  it('reads spec errors, keeping what is usable', () => {
    expect(
      specErrorsOf({
        errors: [{ path: 'a', line: 3, message: 'bad' }, { message: 'no path' }, 'plain', { x: 1 }],
      }),
    ).toEqual([
      { path: 'a', line: 3, message: 'bad' },
      { path: undefined, line: undefined, message: 'no path' },
      { message: 'plain' },
      { path: undefined, line: undefined, message: '{"x":1}' },
    ]);
    expect(specErrorsOf({ message: 'no list' })).toEqual([]);
  });
});

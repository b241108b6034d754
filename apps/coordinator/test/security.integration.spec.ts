/**
 * Who may do what on the coordinator (issue 10, security): the API token,
 * read-only tokens, the queue UI behind the token, cross-site requests,
 * security headers and a stalled body. Every refusal enqueues nothing.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CoordinatorClient, CoordinatorError } from '../../cli/src/coordinator-client';
import type { CoordinatorConfig } from '../src/config/coordinator.config';
import {
  cleanup,
  coordinatorConfig,
  example,
  freshPrefix,
  queueCounts,
  startCoordinator,
  type RunningCoordinator,
} from './coordinator-rig';

const running: { apps: RunningCoordinator[]; prefixes: string[] } = { apps: [], prefixes: [] };

afterEach(async () => {
  await Promise.all(running.apps.map((c) => c.app.close()));
  await Promise.all(running.prefixes.map((p) => cleanup(p)));
  running.apps = [];
  running.prefixes = [];
});

const WRITE = 'write-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdef';
const QUICKSTART = example('quickstart.yaml');

async function coordinator(overrides: Partial<CoordinatorConfig> = {}) {
  const prefix = freshPrefix();
  running.prefixes.push(prefix);
  const c = await startCoordinator(coordinatorConfig(prefix, overrides));
  running.apps.push(c);
  const call = async (
    method: string,
    route: string,
    options: {
      token?: string;
      body?: string;
      type?: string;
      headers?: Record<string, string>;
    } = {},
  ) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) {
      headers.authorization = `Bearer ${options.token}`;
    }
    if (options.body !== undefined) {
      headers['content-type'] = options.type ?? 'application/yaml';
    }
    const res = await fetch(`${c.url}${route}`, { method, headers, body: options.body });
    const text = await res.text();
    return { status: res.status, text, headers: res.headers };
  };
  const enqueued = async () => {
    const { shards, experiments } = await queueCounts(prefix);
    return [...Object.values(shards), ...Object.values(experiments)].reduce((a, b) => a + b, 0);
  };
  return { ...c, call, enqueued };
}

const tokens = { access: { writeToken: WRITE, readToken: READ, reads: 'token' as const } };

describe('with API_TOKEN set', () => {
  it('needs the write token for mutations and traces, and refuses the read token there', async () => {
    const { call, enqueued } = await coordinator(tokens);
    for (const token of [undefined, 'wrong-token-0123456789abcdef', READ]) {
      const post = await call('POST', '/experiments', { token, body: QUICKSTART });
      expect(post.status).toBe(token === READ ? 403 : 401);
      const trace = await call('POST', '/servers/compute-2s/0/crash', { token, body: QUICKSTART });
      expect(trace.status).toBe(token === READ ? 403 : 401);
      const cancel = await call('DELETE', '/experiments/x', { token });
      expect(cancel.status).toBe(token === READ ? 403 : 401);
    }
    const missing = await call('POST', '/experiments', { body: QUICKSTART });
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(missing.text).toMatch(/Authorization: Bearer/);
    expect(await enqueued()).toBe(0);
    const created = await call('POST', '/experiments', { token: WRITE, body: QUICKSTART });
    expect(created.status).toBe(201);
    // The scheme is case-insensitive, the token is not.
    const lower = await call('GET', '/experiments', {
      headers: { authorization: `bearer ${WRITE.toUpperCase()}` },
    });
    expect(lower.status).toBe(401);
  });

  it('needs a token to read, the read token will do, and /health stays open', async () => {
    const { call } = await coordinator(tokens);
    for (const route of ['/experiments', '/metrics', '/docs', '/experiments/x/report']) {
      expect((await call('GET', route)).status, route).toBe(401);
      expect((await call('GET', route, { token: READ })).status, route).not.toBe(401);
    }
    expect((await call('GET', '/experiments', { token: READ })).status).toBe(200);
    expect((await call('GET', '/experiments', { token: WRITE })).status).toBe(200);
    expect((await call('GET', '/health')).status).toBe(200);
  });

  it('opens reads with API_READS=public, never writes', async () => {
    const { call } = await coordinator({
      access: { writeToken: WRITE, readToken: null, reads: 'public' },
    });
    expect((await call('GET', '/experiments')).status).toBe(200);
    expect((await call('POST', '/experiments', { body: QUICKSTART })).status).toBe(401);
  });

  it('keeps the queue UI and its Redis stats behind the write token, whatever the spelling', async () => {
    const { call } = await coordinator(tokens);
    for (const route of [
      '/queues',
      '/queues/api/redis/stats',
      '/QUEUES/api/redis/stats',
      '/%71ueues/api/redis/stats',
    ]) {
      const anonymous = await call('GET', route);
      expect([401, 404], route).toContain(anonymous.status);
      expect(anonymous.text, route).not.toMatch(/redis_version|used_memory/);
      expect((await call('GET', route, { token: READ })).status, route).not.toBe(200);
    }
    const stats = await call('GET', '/queues/api/redis/stats', { token: WRITE });
    expect(stats.status).toBe(200);
  });

  it('lets the CLI client in with FLEETSIM_TOKEN, and says what is missing without it', async () => {
    const { url } = await coordinator(tokens);
    const spec = { text: QUICKSTART, contentType: 'application/yaml' as const };
    const e = (await new CoordinatorClient(url)
      .submit(spec)
      .catch((err: unknown) => err)) as CoordinatorError;
    expect(e).toBeInstanceOf(CoordinatorError);
    expect(e.status).toBe(401);
    expect(e.message).toMatch(/FLEETSIM_TOKEN/);
    const created = await new CoordinatorClient(url, 5000, WRITE).submit(spec);
    expect(created.state).toBe('queued');
  });
});

describe('cross-site requests', () => {
  it('refuses text/plain and form bodies: a web page can send those without a preflight', async () => {
    const { call, enqueued } = await coordinator();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
      const res = await call('POST', '/experiments', { body: QUICKSTART, type });
      expect(res.status, type).toBe(415);
    }
    expect(await enqueued()).toBe(0);
  });

  it('refuses a mutation from another origin and answers no CORS by default', async () => {
    const { call, enqueued } = await coordinator();
    const origin = { origin: 'https://evil.example' };
    const post = await call('POST', '/experiments', { body: QUICKSTART, headers: origin });
    expect(post.status).toBe(403);
    expect(post.text).toMatch(/CORS_ORIGINS/);
    expect(await enqueued()).toBe(0);
    const preflight = await call('OPTIONS', '/experiments', {
      headers: { ...origin, 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const read = await call('GET', '/experiments', { headers: origin });
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers CORS for the origins CORS_ORIGINS lists, and lets them submit', async () => {
    const friend = 'https://dash.example';
    const { call } = await coordinator({ corsOrigins: [friend] });
    const preflight = await call('OPTIONS', '/experiments', {
      headers: { origin: friend, 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe(friend);
    const post = await call('POST', '/experiments', {
      body: QUICKSTART,
      headers: { origin: friend },
    });
    expect(post.status).toBe(201);
  });
});

describe('headers and slow clients', () => {
  it('sends helmet-style headers and no X-Powered-By', async () => {
    const { call } = await coordinator();
    for (const route of ['/experiments', '/health', '/docs', '/queues', '/nowhere']) {
      const res = await call('GET', route);
      expect(res.headers.get('x-content-type-options'), route).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), route).toBe('DENY');
      expect(res.headers.get('content-security-policy'), route).toMatch(/frame-ancestors 'none'/);
      expect(res.headers.get('x-powered-by'), route).toBeNull();
    }
    const api = await call('GET', '/experiments');
    expect(api.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
  });

  it('answers 408 to a body that stalls, and drops the connection', async () => {
    const { url, enqueued } = await coordinator({ bodyTimeoutMs: 300 });
    const { hostname, port } = new URL(url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), hostname);
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
      socket.write(
        'POST /experiments HTTP/1.1\r\nHost: x\r\nContent-Type: application/yaml\r\nContent-Length: 100\r\n\r\nname: stall\n',
      );
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toMatch(/BODY_TIMEOUT_MS/);
    expect(await enqueued()).toBe(0);
  });
});

/**
 * What the distributed benchmark needs around it: the repository root, a Redis
 * that answers, the built apps as child processes on free ports, HTTP calls.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { Redis } from 'ioredis';

/** The repository root, from dist/bench/ or bench/. */
export const ROOT =
  [path.resolve(__dirname, '..', '..'), path.resolve(__dirname, '..')].find((p) =>
    fs.existsSync(path.join(p, 'examples', 'quickstart.yaml')),
  ) ?? process.cwd();

export const CLI_MAIN = path.join(ROOT, 'dist/apps/cli/src/main.js');
export const COORDINATOR_MAIN = path.join(ROOT, 'dist/apps/coordinator/src/main.js');
export const WORKER_MAIN = path.join(ROOT, 'dist/apps/node-worker/src/main.js');

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      server.close(() => done(port));
    });
  });
}

/** Throws unless `url` answers PING. */
export async function checkRedis(url: string): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    throw new Error(
      `no Redis at ${url} (${(e as Error).message}): start one (redis-server) or set REDIS_URL`,
    );
  } finally {
    redis.disconnect();
  }
}

/** Deletes every key under `prefix` (a literal, braces and all). */
export async function cleanPrefix(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    const pattern = prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`) + '*';
    let cursor = '0';
    let removed = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) {
        removed += await redis.unlink(...keys);
      }
    } while (cursor !== '0');
    return removed;
  } finally {
    redis.disconnect();
  }
}

export function uniquePrefix(tag: string): string {
  return `{${tag}-${randomBytes(4).toString('hex')}}`;
}

/** A built app as a child process; its output kept for when it goes wrong. */
export class App {
  readonly logs: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private done = false;

  constructor(
    readonly name: string,
    script: string,
    readonly port: number,
    env: Record<string, string>,
  ) {
    if (!fs.existsSync(script)) {
      throw new Error(`${script} is missing: run \`npm run build\` first`);
    }
    this.child = spawn(process.execPath, [script], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        this.logs.push(...chunk.split('\n').filter(Boolean));
        if (this.logs.length > 500) {
          this.logs.splice(0, this.logs.length - 500);
        }
      });
    }
    this.exited = new Promise((r) =>
      this.child.once('exit', (code) => {
        this.done = true;
        r(code);
      }),
    );
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Resident set size in MiB, from /proc (NaN where there is no /proc). */
  rssMiB(): number {
    try {
      const status = fs.readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
      const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
      return kb ? Number(kb) / 1024 : NaN;
    } catch {
      return NaN;
    }
  }

  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.done) {
        break;
      }
      try {
        const r = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2000) });
        if (r.status === 200) {
          return;
        }
      } catch {
        // not up yet
      }
      await sleep(100);
    }
    throw new Error(
      `${this.name} not healthy on port ${this.port}:\n${this.logs.slice(-30).join('\n')}`,
    );
  }

  async stop(graceMs = 15_000): Promise<void> {
    if (this.done) {
      return;
    }
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** One HTTP call, JSON body parsed when it is JSON. */
export async function http<T = unknown>(
  method: string,
  url: string,
  body?: { text: string; contentType: string },
): Promise<{ status: number; text: string; json: T }> {
  const res = await fetch(url, {
    method,
    body: body?.text,
    headers: body ? { 'content-type': body.contentType } : undefined,
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json: json as T };
}

/** Runs the built CLI; resolves with its exit code, output and wall seconds. */
export function runCli(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string; seconds: number }> {
  return new Promise((done) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [CLI_MAIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, FLEETSIM_COORDINATOR: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('exit', (code) =>
      done({
        code,
        stdout,
        stderr,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
      }),
    );
  });
}

/** A JSON report's text without `run`. */
export function withoutRun(json: string): string {
  const r = JSON.parse(json) as { run?: unknown };
  delete r.run;
  return JSON.stringify(r);
}

/** Value at quantile `q` (0..1) of a sorted list: nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) {
    return NaN;
  }
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

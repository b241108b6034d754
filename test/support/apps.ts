/**
 * The real apps as child processes, the way an operator starts them
 * (`node dist/apps/<app>/src/main.js`): on free ports, under one queue prefix
 * per test file, with their output collected and printed when a test fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
export const COORDINATOR_MAIN = join(ROOT, 'dist/apps/coordinator/src/main.js');
export const WORKER_MAIN = join(ROOT, 'dist/apps/node-worker/src/main.js');
export const CLI_MAIN = join(ROOT, 'dist/apps/cli/src/main.js');

/** Lines of output kept per process (the oldest go first). */
const MAX_LOG_LINES = 2000;

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

export interface AppOptions {
  /** Name in the logs, e.g. "coordinator" or "worker-1". */
  name: string;
  script: string;
  /** Environment on top of this process's (which holds no app variables). */
  env: Record<string, string>;
  /** The port its /health answers on. */
  port: number;
  /** Wait until /health says 200 (default), or only until it answers at all. */
  waitFor?: 'healthy' | 'answering' | 'nothing';
  startTimeoutMs?: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One running app. */
export class AppProcess {
  readonly logs: string[] = [];
  readonly exited: Promise<Exit>;
  private exit: Exit | null = null;
  private readonly child: ChildProcess;

  private constructor(readonly options: AppOptions) {
    if (!existsSync(options.script)) {
      throw new Error(`${options.script} is missing: run \`npm run build\` first`);
    }
    this.child = spawn(process.execPath, [options.script], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.collect(this.child.stdout!, '');
    this.collect(this.child.stderr!, '!');
    this.exited = new Promise((done) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        this.log('#', `exited (code ${code}, signal ${signal})`);
        done(this.exit);
      });
      this.child.once('error', (e) => {
        this.log('#', `spawn error: ${e.message}`);
      });
    });
  }

  /** Spawns it; does not wait. */
  static launch(options: AppOptions): AppProcess {
    return new AppProcess(options);
  }

  /** Waits as `options.waitFor` says (default: until /health is 200). */
  async started(): Promise<this> {
    const what = this.options.waitFor ?? 'healthy';
    if (what !== 'nothing') {
      await this.waitUntil(what, this.options.startTimeoutMs ?? 30_000);
    }
    return this;
  }

  get name(): string {
    return this.options.name;
  }

  get port(): number {
    return this.options.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Null while it runs. */
  get exitStatus(): Exit | null {
    return this.exit;
  }

  /** Polls /health until it is 200 ('healthy') or answers anything ('answering'). */
  async waitUntil(what: 'healthy' | 'answering', timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (this.exit) {
        throw new Error(
          `${this.name} exited (code ${this.exit.code}, signal ${this.exit.signal}) before /health answered:\n${this.tail()}`,
        );
      }
      try {
        const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2000) });
        last = `${res.status} ${(await res.text()).slice(0, 200)}`;
        if (what === 'answering' || res.status === 200) {
          return;
        }
      } catch (e) {
        last = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
      }
      await sleep(100);
    }
    throw new Error(
      `${this.name}: /health on port ${this.port} not ${what} within ${timeoutMs} ms (last: ${last}):\n${this.tail()}`,
    );
  }

  /** Sends `signal` without waiting. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.exit && this.child.pid !== undefined) {
      this.log('#', `sending ${signal}`);
      this.child.kill(signal);
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it exited. */
  async stop(graceMs = 10_000): Promise<Exit> {
    if (this.exit) {
      return this.exit;
    }
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The last `lines` lines of its output. */
  tail(lines = 60): string {
    return this.logs.slice(-lines).join('\n');
  }

  private collect(stream: NodeJS.ReadableStream, mark: string): void {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        this.log(mark, line);
      }
    });
    stream.on('end', () => {
      if (partial) {
        this.log(mark, partial);
      }
    });
  }

  private log(mark: string, line: string): void {
    this.logs.push(`[${this.name}${mark}] ${line}`);
    if (this.logs.length > MAX_LOG_LINES) {
      this.logs.splice(0, this.logs.length - MAX_LOG_LINES);
    }
  }
}

export interface FleetOptions {
  redisUrl: string;
  prefix: string;
}

/**
 * The apps of one test file: one Redis, one queue prefix. Keeps every process
 * it started, so their logs can be printed on a failure and all of them stopped.
 */
export class AppFleet {
  readonly apps: AppProcess[] = [];
  private workers = 0;

  constructor(readonly options: FleetOptions) {}

  /** A coordinator on a free port (or `port`, to restart one where it was). */
  async coordinator(
    extra: {
      env?: Record<string, string>;
      port?: number;
      waitFor?: AppOptions['waitFor'];
      name?: string;
    } = {},
  ): Promise<AppProcess> {
    const port = extra.port ?? (await freePort());
    return this.track({
      name: extra.name ?? 'coordinator',
      script: COORDINATOR_MAIN,
      port,
      waitFor: extra.waitFor,
      env: {
        REDIS_URL: this.options.redisUrl,
        QUEUE_PREFIX: this.options.prefix,
        PORT: String(port),
        ...extra.env,
      },
    });
  }

  /** A node-worker with its /metrics on a free port. */
  async worker(
    extra: {
      env?: Record<string, string>;
      concurrency?: number;
      waitFor?: AppOptions['waitFor'];
    } = {},
  ): Promise<AppProcess> {
    const port = await freePort();
    const n = ++this.workers;
    return this.track({
      name: `worker-${n}`,
      script: WORKER_MAIN,
      port,
      waitFor: extra.waitFor,
      env: {
        REDIS_URL: this.options.redisUrl,
        QUEUE_PREFIX: this.options.prefix,
        METRICS_PORT: String(port),
        WORKER_CONCURRENCY: String(extra.concurrency ?? 1),
        // Short locks: a worker killed mid-shard hands its shard back in seconds, not 30-60 s.
        WORKER_LOCK_DURATION_MS: '4000',
        WORKER_STALLED_INTERVAL_MS: '2000',
        ...extra.env,
      },
    });
  }

  /** Every process's output, in start order. */
  logs(): string {
    return this.apps.map((a) => a.logs.join('\n')).join('\n');
  }

  /** Stops every process still running (SIGTERM, SIGKILL after `graceMs`). */
  async stopAll(graceMs = 10_000): Promise<void> {
    await Promise.all(this.apps.map((a) => a.stop(graceMs)));
  }

  /** Spawns and keeps it (even when it fails to start: its output gets printed), then waits. */
  private track(options: AppOptions): Promise<AppProcess> {
    const app = AppProcess.launch(options);
    this.apps.push(app);
    return app.started();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

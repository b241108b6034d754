/**
 * A real Prometheus server for the end-to-end tests: the `prometheus` binary
 * (Debian package "prometheus") on a free port, with a scrape configuration
 * and a TSDB in a temporary directory, queried over its HTTP API, and stopped
 * and removed afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, sleep } from './apps';

/** /usr/bin/prometheus, else `prometheus` on PATH; undefined when there is none. */
export function findPrometheus(): string | undefined {
  const candidates = [
    '/usr/bin/prometheus',
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'prometheus')),
  ];
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** One sample of an instant vector, or one series of a range query. */
export interface PromSeries {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

/** What /api/v1/query and /api/v1/query_range answer. */
export interface PromAnswer {
  status: 'success' | 'error';
  data?: { resultType: string; result: PromSeries[] | [number, string] };
  errorType?: string;
  error?: string;
  warnings?: string[];
}

const MAX_LOG_LINES = 500;

export class PrometheusServer {
  readonly logs: string[] = [];
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly dir: string,
  ) {
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        this.logs.push(...chunk.split('\n').filter(Boolean));
        this.logs.splice(0, Math.max(0, this.logs.length - MAX_LOG_LINES));
      });
    }
    child.once('exit', (code, signal) => {
      this.exited = true;
      this.logs.push(`[prometheus exited: code ${code}, signal ${signal}]`);
    });
  }

  /**
   * Starts `binary` with `config` (an object, written as prometheus.yml) and
   * waits until it is ready.
   */
  static async start(
    binary: string,
    config: object,
    timeoutMs = 30_000,
  ): Promise<PrometheusServer> {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-prometheus-'));
    const configFile = join(dir, 'prometheus.yml');
    writeFileSync(configFile, stringify(config));
    const port = await freePort();
    const child = spawn(
      binary,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const server = new PrometheusServer(child, port, dir);
    try {
      await server.waitReady(timeoutMs);
    } catch (e) {
      await server.stop();
      throw e;
    }
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** An instant query at `time` (seconds; default now). */
  query(expr: string, time?: number): Promise<PromAnswer> {
    const params = new URLSearchParams({ query: expr });
    if (time !== undefined) {
      params.set('time', String(time));
    }
    return this.api('/api/v1/query', params);
  }

  /** A range query from `start` to `end` (seconds) every `stepSeconds`. */
  queryRange(expr: string, start: number, end: number, stepSeconds: number): Promise<PromAnswer> {
    return this.api(
      '/api/v1/query_range',
      new URLSearchParams({
        query: expr,
        start: String(start),
        end: String(end),
        step: String(stepSeconds),
      }),
    );
  }

  /** Values of `label` over the series `match` selects (all series without it). */
  async labelValues(label: string, match?: string): Promise<string[]> {
    const params = new URLSearchParams();
    if (match) {
      params.set('match[]', match);
    }
    const answer = (await this.api(`/api/v1/label/${label}/values`, params, 'GET')) as unknown as {
      status: string;
      data?: string[];
      error?: string;
    };
    if (answer.status !== 'success') {
      throw new Error(`label values of ${label} (match ${match}): ${answer.error}`);
    }
    return answer.data ?? [];
  }

  /**
   * Polls an instant query (an instant vector) until `done(result)` holds;
   * throws with the last answer after `timeoutMs`.
   */
  async waitFor(
    expr: string,
    done: (result: PromSeries[]) => boolean,
    timeoutMs: number,
    what = expr,
  ): Promise<PromSeries[]> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    while (Date.now() < deadline) {
      const answer = await this.query(expr).catch(
        (e: Error) => ({ error: e.message }) as PromAnswer,
      );
      last = JSON.stringify(answer).slice(0, 500);
      if (answer.status === 'success' && answer.data?.resultType === 'vector') {
        const result = answer.data.result as PromSeries[];
        if (done(result)) {
          return result;
        }
      }
      await sleep(250);
    }
    throw new Error(`Prometheus: ${what} not reached within ${timeoutMs} ms (last: ${last})`);
  }

  /** The last `lines` lines of its log. */
  tail(lines = 40): string {
    return this.logs.slice(-lines).join('\n');
  }

  /** SIGTERM (SIGKILL after 5 s), then removes its directory. */
  async stop(): Promise<void> {
    if (!this.exited) {
      const exit = new Promise((done) => this.child.once('exit', done));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async api(
    path: string,
    params: URLSearchParams,
    method: 'GET' | 'POST' = 'POST',
  ): Promise<PromAnswer> {
    const res =
      method === 'GET'
        ? await fetch(`${this.url}${path}?${params}`, { signal: AbortSignal.timeout(10_000) })
        : await fetch(`${this.url}${path}`, {
            method,
            body: params,
            signal: AbortSignal.timeout(10_000),
          });
    const text = await res.text();
    try {
      return JSON.parse(text) as PromAnswer;
    } catch {
      return { status: 'error', error: `HTTP ${res.status}: ${text.slice(0, 300)}` };
    }
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (this.exited) {
        throw new Error(`prometheus exited before it was ready:\n${this.tail()}`);
      }
      try {
        const res = await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(2000) });
        last = `${res.status}`;
        if (res.ok) {
          return;
        }
      } catch (e) {
        last = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
      }
      await sleep(100);
    }
    throw new Error(
      `prometheus on port ${this.port} not ready within ${timeoutMs} ms (last: ${last}):\n${this.tail()}`,
    );
  }
}

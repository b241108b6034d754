/**
 * The coordinator's HTTP API as the tests call it, plus the built CLI and the
 * embedded reference report.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isFinished, type ExperimentView } from '../../libs/fleet-contract/src/http-contract';
import { CLI_MAIN, ROOT, sleep } from './apps';

export interface HttpAnswer<T = unknown> {
  status: number;
  contentType: string;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: T;
}

/** One HTTP call; never rejects on a status, only when nothing answers. */
export async function http<T = unknown>(
  method: string,
  url: string,
  body?: { text: string; contentType: string },
  timeoutMs = 30_000,
): Promise<HttpAnswer<T>> {
  const res = await fetch(url, {
    method,
    body: body?.text,
    headers: body ? { 'content-type': body.contentType } : undefined,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    text,
    json: json as T,
  };
}

/** An experiment as the API shows it (the HTTP contract's view). */
export type ExperimentJson = ExperimentView;

export class CoordinatorApi {
  constructor(public base: string) {}

  postSpec(text: string, contentType = 'application/yaml'): Promise<HttpAnswer<ExperimentJson>> {
    return http('POST', `${this.base}/experiments`, { text, contentType });
  }

  /** POSTs a spec that must be accepted; resolves to its id. */
  async submit(text: string, contentType = 'application/yaml'): Promise<string> {
    const r = await this.postSpec(text, contentType);
    if (r.status !== 201) {
      throw new Error(`POST /experiments: ${r.status} ${r.text}`);
    }
    return r.json.id;
  }

  experiment(id: string): Promise<HttpAnswer<ExperimentJson>> {
    return http('GET', `${this.base}/experiments/${id}`);
  }

  /**
   * Polls the experiment until `until(it)` holds; tolerates a coordinator that
   * does not answer for a while (it may be restarting).
   */
  async waitFor(
    id: string,
    until: (e: ExperimentJson) => boolean,
    timeoutMs: number,
    what = 'the expected state',
  ): Promise<ExperimentJson> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    while (Date.now() < deadline) {
      try {
        const r = await this.experiment(id);
        last = `${r.status} ${r.text.slice(0, 300)}`;
        if (r.status === 200 && until(r.json)) {
          return r.json;
        }
      } catch (e) {
        last = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
      }
      await sleep(50);
    }
    throw new Error(
      `experiment ${id} did not reach ${what} within ${timeoutMs} ms (last: ${last})`,
    );
  }

  /** Waits for a final state; throws unless it is `done`. */
  async waitDone(id: string, timeoutMs: number): Promise<ExperimentJson> {
    const e = await this.waitFor(id, (x) => isFinished(x.state), timeoutMs, 'a final state');
    if (e.state !== 'done') {
      throw new Error(`experiment ${id} ended ${e.state}: ${JSON.stringify(e)}`);
    }
    return e;
  }

  /** The JSON report's text, as served. */
  async reportText(id: string): Promise<string> {
    const r = await http('GET', `${this.base}/experiments/${id}/report`);
    if (r.status !== 200) {
      throw new Error(`GET /experiments/${id}/report: ${r.status} ${r.text}`);
    }
    return r.text;
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI from the repository root; never rejects on a non-zero exit. */
export function fleetsim(
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [CLI_MAIN, ...args],
      {
        cwd: ROOT,
        env: { ...process.env, FLEETSIM_COORDINATOR: '', ...options.env },
        maxBuffer: 64 * 1024 * 1024,
        timeout: options.timeoutMs ?? 120_000,
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          fail(error);
          return;
        }
        done({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

/** A JSON report's text without its `run` object: a pure function of spec and seed. */
export function withoutRun(json: string): string {
  const report = JSON.parse(json) as { run?: unknown };
  delete report.run;
  return JSON.stringify(report, null, 2) + '\n';
}

/** The `run` object of a JSON report. */
export function runOf(json: string): Record<string, unknown> {
  return (JSON.parse(json) as { run: Record<string, unknown> }).run;
}

const embedded = new Map<string, Promise<string>>();

/** `fleetsim run FILE --format json` (embedded, 2 threads), once per file. */
export function embeddedReport(file: string): Promise<string> {
  let report = embedded.get(file);
  if (!report) {
    report = fleetsim(['run', file, '--format', 'json', '--threads', '2']).then((r) => {
      if (r.code !== 0) {
        throw new Error(`embedded fleetsim run ${file}: exit ${r.code}: ${r.stderr}`);
      }
      return r.stdout;
    });
    embedded.set(file, report);
  }
  return report;
}

export function readText(file: string): string {
  return readFileSync(file, 'utf8');
}

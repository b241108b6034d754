/**
 * The CLI's client of the coordinator's HTTP API (global `fetch`, Node ≥ 20):
 * submit a spec, read an experiment's state and report, cancel it. Routes,
 * statuses and payloads are the HTTP contract's (libs/fleet-contract): an
 * answer that breaks it is refused. Every failure comes back as a
 * {@link CoordinatorError} whose message names the coordinator's URL, so the
 * commands can print it as it is.
 */
import type { z } from 'zod';
import {
  ANSWERS,
  contractBreach,
  routePath,
  routeText,
  ROUTES,
  type BatchView,
  type ExperimentView,
  type Report,
  type Route,
} from '../../../libs/fleet-contract/src/http-contract';
import type { PointRequest } from '../../../libs/kdump-core/src';

/** An experiment as the coordinator shows it: the contract's {@link ExperimentView}. */
export type ExperimentStatus = ExperimentView;

/** One spec error of a 400 answer. */
export interface RemoteSpecError {
  path?: string;
  line?: number;
  message: string;
}

/** The spec's text and how to send it. */
export interface SpecSubmission {
  text: string;
  contentType: 'application/yaml' | 'application/json';
}

/** Why a call failed; `kind` decides the exit code. */
export type CoordinatorErrorKind =
  /** No answer at all: refused, DNS, timeout. */
  | 'unreachable'
  /** 400 on a spec, with its errors. */
  | 'invalid-spec'
  /** 404: no such experiment. */
  | 'not-found'
  /** Any other 4xx. */
  | 'refused'
  /** 5xx, or an answer that is not what the API promises. */
  | 'server';

export class CoordinatorError extends Error {
  constructor(
    readonly kind: CoordinatorErrorKind,
    message: string,
    readonly status?: number,
    readonly specErrors: RemoteSpecError[] = [],
  ) {
    super(message);
    this.name = 'CoordinatorError';
  }
}

/** Milliseconds one request may take before it counts as unreachable. */
export const REQUEST_TIMEOUT_MS = 30_000;

export class CoordinatorClient {
  /** The base URL without a trailing slash. */
  readonly baseUrl: string;

  /**
   * @param token the coordinator's API token (FLEETSIM_TOKEN), sent as
   *   `Authorization: Bearer` on every request when given
   */
  constructor(
    baseUrl: string,
    private readonly timeoutMs = REQUEST_TIMEOUT_MS,
    private readonly token?: string,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** `POST /experiments`: the experiment as queued. */
  async submit(spec: SpecSubmission): Promise<ExperimentStatus> {
    const route = ROUTES.submitExperiment;
    const res = await this.request(route.method, routePath(route), {
      body: spec.text,
      headers: { 'content-type': spec.contentType },
    });
    if (res.status === 400) {
      const body = await readJson(res);
      const errors = specErrorsOf(body);
      throw new CoordinatorError(
        'invalid-spec',
        `the coordinator at ${this.baseUrl} refused the spec: ${messageOf(body) ?? 'invalid spec'}`,
        400,
        errors,
      );
    }
    return this.call(res, 'submitExperiment');
  }

  /** `GET /experiments/:id`. */
  async status(id: string): Promise<ExperimentStatus> {
    return this.call(await this.send('getExperiment', { id }), 'getExperiment', id);
  }

  /** `GET /experiments`: newest first. */
  async list(): Promise<ExperimentStatus[]> {
    return this.call(await this.send('listExperiments'), 'listExperiments');
  }

  /** `GET /experiments/:id/report` as JSON, key order as sent. */
  async report(id: string): Promise<Report> {
    return this.call(await this.send('getReport', { id }), 'getReport', id);
  }

  /** `DELETE /experiments/:id`: the experiment as it is after the cancel. */
  async cancel(id: string): Promise<ExperimentStatus> {
    return this.call(await this.send('cancelExperiment', { id }), 'cancelExperiment', id);
  }

  /** `POST /batches`: the spec's text and its points (see decision-runs.ts), as queued. */
  async submitBatch(spec: string, points: readonly PointRequest[]): Promise<BatchView> {
    const route = ROUTES.submitBatch;
    const res = await this.request(route.method, routePath(route), {
      body: JSON.stringify({ spec, points }),
      headers: { 'content-type': 'application/json' },
    });
    if (res.status === 400) {
      const body = await readJson(res);
      throw new CoordinatorError(
        'invalid-spec',
        `the coordinator at ${this.baseUrl} refused the batch: ${messageOf(body) ?? 'invalid batch'}`,
        400,
        specErrorsOf(body),
      );
    }
    return this.call(res, 'submitBatch');
  }

  /** `GET /batches/:id`. */
  async batchStatus(id: string): Promise<BatchView> {
    return this.call(await this.send('getBatch', { id }), 'getBatch', id);
  }

  /** `GET /batches/:id/reports`: each point's report, in point order, as sent. */
  async batchReports(id: string): Promise<Report[]> {
    return (await this.call(await this.send('getBatchReports', { id }), 'getBatchReports', id))
      .reports as Report[];
  }

  /** Sends a bodyless request on a route of the contract. */
  private send(name: keyof typeof ROUTES, params: Record<string, string> = {}): Promise<Response> {
    const route: Route = ROUTES[name];
    return this.request(route.method, routePath(route, params));
  }

  /**
   * The answer of a route of the contract: its JSON as sent (key order and
   * all), once it has passed the route's schema.
   * @param id the experiment the route is about, so a 404 says which
   */
  private async call<K extends keyof typeof CLIENT_ANSWERS>(
    res: Response,
    name: K,
    id?: string,
  ): Promise<z.infer<(typeof CLIENT_ANSWERS)[K]>> {
    const route: Route = ROUTES[name];
    const what = routeText(route, id === undefined ? {} : { id });
    const body = await this.expectJson<unknown>(res, what, [route.status], id);
    const checked = CLIENT_ANSWERS[name].safeParse(body);
    if (!checked.success) {
      if (name === 'getReport') {
        const issue = checked.error.issues[0];
        throw new CoordinatorError(
          'server',
          `the coordinator at ${this.baseUrl} sent a report this fleetsim does not read` +
            ` (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'schema mismatch'})`,
          res.status,
        );
      }
      throw new CoordinatorError(
        'server',
        `the coordinator at ${this.baseUrl} answered ${what} with a body that breaks the HTTP contract (${contractBreach(checked.error)})`,
        res.status,
      );
    }
    return body as z.infer<(typeof CLIENT_ANSWERS)[K]>;
  }

  private async request(
    method: string,
    path: string,
    init: { body?: string; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const url = this.baseUrl + path;
    try {
      return await fetch(url, {
        method,
        body: init.body,
        headers: {
          accept: 'application/json',
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...init.headers,
        },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new CoordinatorError(
        'unreachable',
        `cannot reach the coordinator at ${this.baseUrl}: ${networkReason(e, this.timeoutMs)}`,
      );
    }
  }

  private async expectJson<T>(
    res: Response,
    what: string,
    ok: readonly number[],
    id?: string,
  ): Promise<T> {
    if (ok.includes(res.status)) {
      try {
        return (await res.json()) as T;
      } catch (e) {
        throw new CoordinatorError(
          'server',
          `the coordinator at ${this.baseUrl} answered ${what} with invalid JSON: ${(e as Error).message}`,
          res.status,
        );
      }
    }
    const body = await readJson(res);
    const detail = messageOf(body) ?? res.statusText ?? '';
    if (res.status === 404 && id !== undefined) {
      throw new CoordinatorError(
        'not-found',
        `no experiment "${id}" on the coordinator at ${this.baseUrl}`,
        404,
      );
    }
    const kind: CoordinatorErrorKind = res.status >= 400 && res.status < 500 ? 'refused' : 'server';
    throw new CoordinatorError(
      kind,
      `the coordinator at ${this.baseUrl} answered ${what} with ${res.status}${detail ? `: ${detail}` : ''}`,
      res.status,
    );
  }
}

/** The routes this client calls, with the schema of their answers. */
const CLIENT_ANSWERS = {
  submitExperiment: ANSWERS.submitExperiment,
  listExperiments: ANSWERS.listExperiments,
  getExperiment: ANSWERS.getExperiment,
  getReport: ANSWERS.getReport,
  cancelExperiment: ANSWERS.cancelExperiment,
  submitBatch: ANSWERS.submitBatch,
  getBatch: ANSWERS.getBatch,
  getBatchReports: ANSWERS.getBatchReports,
} as const;

/** The body as JSON, or as `{ message: text }` when it is not JSON, or null. */
async function readJson(res: Response): Promise<unknown> {
  let text: string;
  try {
    text = await res.text();
  } catch {
    return null;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text.trim() ? { message: text.trim().slice(0, 500) } : null;
  }
}

/** `message` of an error body (Nest sends a string or an array of strings). */
export function messageOf(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') {
    return undefined;
  }
  const message = (body as { message?: unknown }).message;
  if (typeof message === 'string') {
    return message;
  }
  if (Array.isArray(message)) {
    return message.map(String).join('; ');
  }
  return undefined;
}

/** `errors` of a 400 body, each with at least a message. */
export function specErrorsOf(body: unknown): RemoteSpecError[] {
  if (body === null || typeof body !== 'object') {
    return [];
  }
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) {
    return [];
  }
  return errors.map((e: unknown): RemoteSpecError => {
    if (e === null || typeof e !== 'object') {
      return { message: String(e) };
    }
    const { path, line, message } = e as { path?: unknown; line?: unknown; message?: unknown };
    return {
      path: typeof path === 'string' ? path : undefined,
      line: typeof line === 'number' ? line : undefined,
      message: typeof message === 'string' ? message : JSON.stringify(e),
    };
  });
}

/** Why fetch gave up, in words: "connect ECONNREFUSED 127.0.0.1:1", "no answer within 30 s". */
function networkReason(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: unknown };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
    return `no answer within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}`;
  }
  const cause = err?.cause as (Error & { code?: string }) | undefined;
  if (cause) {
    // undici wraps an AggregateError for dual-stack connects: take its first reason.
    const inner = (cause as { errors?: Array<Error & { code?: string }> }).errors?.[0];
    const c = inner ?? cause;
    return c.message || c.code || String(c);
  }
  return err?.message ?? String(e);
}

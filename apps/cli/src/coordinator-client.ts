/**
 * The CLI's client of the coordinator's HTTP API (global `fetch`, Node ≥ 20):
 * submit a spec, read an experiment's state and report, cancel it. Every
 * failure comes back as a {@link CoordinatorError} whose message names the
 * coordinator's URL, so the commands can print it as it is.
 */
import type { PointRequest, Report } from '../../../libs/kdump-core/src';

/** States of an experiment, as the coordinator names them. */
export const EXPERIMENT_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type ExperimentState = (typeof EXPERIMENT_STATES)[number];

/** `GET /experiments/:id` (and the 201 of `POST /experiments`). */
export interface ExperimentStatus {
  id: string;
  name: string;
  state: ExperimentState | string;
  servers: number;
  shards: { done: number; total: number };
  jobsPerSecond?: number | null;
  etaSeconds?: number | null;
  createdAt?: string | null;
  startedAt?: string | null;
  finishedAt?: string | null;
  /** Why it failed, when the coordinator says. */
  error?: string | null;
}

/** `GET /batches/:id` (and the 201 of `POST /batches`): a batch of points, one experiment each. */
export interface BatchStatus {
  id: string;
  name: string;
  state: ExperimentState | string;
  servers: number;
  shards: { done: number; total: number };
  points: { index: number; label: string; experiment: string; state: string }[];
  /** Points whose results /metrics publishes (with a `point` label). */
  metricsPoints?: number;
  /** Says what is left out of the metrics, when something is. */
  note?: string;
  error?: string | null;
}

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
    const res = await this.request('POST', '/experiments', {
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
    return this.expectJson<ExperimentStatus>(res, 'POST /experiments', [200, 201]);
  }

  /** `GET /experiments/:id`. */
  async status(id: string): Promise<ExperimentStatus> {
    const res = await this.request('GET', `/experiments/${encodeURIComponent(id)}`);
    return this.expectJson<ExperimentStatus>(res, `GET /experiments/${id}`, [200], id);
  }

  /** `GET /experiments`: newest first. */
  async list(): Promise<ExperimentStatus[]> {
    const res = await this.request('GET', '/experiments');
    const body = await this.expectJson<unknown>(res, 'GET /experiments', [200]);
    // Either a bare array or `{ experiments: [...] }`.
    if (Array.isArray(body)) {
      return body as ExperimentStatus[];
    }
    const items = (body as { experiments?: unknown; items?: unknown } | null) ?? {};
    const list = items.experiments ?? items.items;
    if (Array.isArray(list)) {
      return list as ExperimentStatus[];
    }
    throw new CoordinatorError(
      'server',
      `the coordinator at ${this.baseUrl} answered GET /experiments with something other than a list`,
    );
  }

  /** `GET /experiments/:id/report` as JSON, key order as sent. */
  async report(id: string): Promise<Report> {
    const res = await this.request('GET', `/experiments/${encodeURIComponent(id)}/report`);
    return this.expectJson<Report>(res, `GET /experiments/${id}/report`, [200], id);
  }

  /** `POST /batches`: the spec and its points (see decision-runs.ts), as queued. */
  async submitBatch(spec: string, points: readonly PointRequest[]): Promise<BatchStatus> {
    const res = await this.request('POST', '/batches', {
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
    return this.expectJson<BatchStatus>(res, 'POST /batches', [200, 201]);
  }

  /** `GET /batches/:id`. */
  async batchStatus(id: string): Promise<BatchStatus> {
    const res = await this.request('GET', `/batches/${encodeURIComponent(id)}`);
    return this.expectJson<BatchStatus>(res, `GET /batches/${id}`, [200], id);
  }

  /** `GET /batches/:id/reports`: each point's report, in point order. */
  async batchReports(id: string): Promise<Report[]> {
    const res = await this.request('GET', `/batches/${encodeURIComponent(id)}/reports`);
    const body = await this.expectJson<{ reports?: unknown }>(
      res,
      `GET /batches/${id}/reports`,
      [200],
      id,
    );
    if (!Array.isArray(body?.reports)) {
      throw new CoordinatorError(
        'server',
        `the coordinator at ${this.baseUrl} answered GET /batches/${id}/reports without a reports list`,
      );
    }
    return body.reports as Report[];
  }

  /** `DELETE /experiments/:id`: the experiment as it is after the cancel. */
  async cancel(id: string): Promise<ExperimentStatus | null> {
    const res = await this.request('DELETE', `/experiments/${encodeURIComponent(id)}`);
    if (res.status === 204) {
      return null;
    }
    return this.expectJson<ExperimentStatus>(res, `DELETE /experiments/${id}`, [200, 202], id);
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

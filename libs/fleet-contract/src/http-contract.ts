/**
 * The coordinator's HTTP contract, in one place: experiment states, routes
 * (method, path, success status), the media types a spec is posted as, and the
 * payloads (zod schemas and their types) of every answer, errors included. The
 * coordinator's controllers, services and DTOs and the CLI's client import it;
 * a test parses the coordinator's real answers with these schemas, and the CLI
 * refuses an answer that does not parse.
 *
 * Pure: types, constants and zod schemas only (no Nest, no HTTP, no I/O).
 * A new route goes into {@link ROUTES} with the schema of its answer.
 */
import { z } from 'zod';
import {
  BOOT_PATHS,
  DEVICE_STATES,
  FAILURE_REASONS,
  JOB_KINDS,
} from '../../kdump-core/src/outcome';
import { ReportSchema } from '../../kdump-core/src/report-schema';
import type { SpecError } from '../../kdump-core/src/spec';
import type { JobTrace } from '../../kdump-core/src/trace';
import type { PointRequest } from '../../kdump-core/src/decision-runs';

export { ReportSchema, type Report } from '../../kdump-core/src/report-schema';

// ---------------------------------------------------------------------------
// Experiment states

/** States of an experiment, in the order an experiment goes through them. */
export const EXPERIMENT_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type ExperimentState = (typeof EXPERIMENT_STATES)[number];

/** States in which shards may still run. */
export const ACTIVE_STATES: readonly ExperimentState[] = ['queued', 'running'];
/** States after which nothing changes any more. */
export const FINISHED_STATES: readonly ExperimentState[] = ['done', 'failed', 'cancelled'];

/** Whether shards of an experiment in this state may still run. */
export function isActive(state: ExperimentState): boolean {
  return ACTIVE_STATES.includes(state);
}

/** Whether an experiment in this state never changes again. */
export function isFinished(state: ExperimentState): boolean {
  return FINISHED_STATES.includes(state);
}

// ---------------------------------------------------------------------------
// Routes

/** One route: its method, its path (`:name` for a parameter) and the status of success. */
export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  path: `/${string}`;
  status: 200 | 201;
}

/**
 * Every route of the coordinator's API (`/docs` serves the OpenAPI page of the
 * same routes; `/queues` the queue UI, which is no part of the contract).
 */
export const ROUTES = {
  /** Body: a spec ({@link SPEC_MEDIA_TYPES}); `?shardSize=N`. Answer: {@link ExperimentView}. */
  submitExperiment: { method: 'POST', path: '/experiments', status: 201 },
  /** `?limit=` (default and maximum in {@link EXPERIMENT_LIST}), `?offset=`. Answer: {@link ExperimentList}. */
  listExperiments: { method: 'GET', path: '/experiments', status: 200 },
  /** Answer: {@link ExperimentView}. */
  getExperiment: { method: 'GET', path: '/experiments/:id', status: 200 },
  /** `?format=` one of {@link REPORT_FORMATS}. Answer: a {@link Report} (json), or text. */
  getReport: { method: 'GET', path: '/experiments/:id/report', status: 200 },
  /** Answer: {@link ExperimentView} after the cancel. */
  cancelExperiment: { method: 'DELETE', path: '/experiments/:id', status: 200 },
  /** `?experiment=<id>` or a spec in the body; `?event=N`. Answer: {@link JobTrace}. */
  crashServer: { method: 'POST', path: '/servers/:profile/:index/crash', status: 200 },
  /** As {@link ROUTES.crashServer}, for a planned reboot. */
  rebootServer: { method: 'POST', path: '/servers/:profile/:index/reboot', status: 200 },
  /**
   * Body: JSON {@link BatchBody} (a spec's text and its points). Each point runs
   * as an experiment of the spec with its values set. Answer: {@link BatchView}.
   */
  submitBatch: { method: 'POST', path: '/batches', status: 201 },
  /** Answer: {@link BatchView}. */
  getBatch: { method: 'GET', path: '/batches/:id', status: 200 },
  /** Answer: {@link BatchReports}, every point's report in point order (409 until done, 410 after a failure). */
  getBatchReports: { method: 'GET', path: '/batches/:id/reports', status: 200 },
  /** Answer: {@link BatchView} after every active point was cancelled. */
  cancelBatch: { method: 'DELETE', path: '/batches/:id', status: 200 },
  /** Answer: {@link Health} (503 when Redis is down). */
  health: { method: 'GET', path: '/health', status: 200 },
  /** Prometheus text exposition. */
  metrics: { method: 'GET', path: '/metrics', status: 200 },
} as const satisfies Record<string, Route>;

/** A route's path for a Nest decorator or `forRoutes` (no leading slash). */
export function nestPath(route: Route): string {
  return route.path.slice(1);
}

/**
 * A route's path with its parameters filled in, each URI-encoded.
 * @throws Error when a parameter of the path is not given (a bug of the caller)
 */
export function routePath(route: Route, params: Record<string, string | number> = {}): string {
  return fill(route.path, params, encodeURIComponent);
}

/** `GET /experiments/abc`: a route as messages name it (parameters as given). */
export function routeText(route: Route, params: Record<string, string | number> = {}): string {
  return `${route.method} ${fill(route.path, params, String)}`;
}

function fill(
  path: string,
  params: Record<string, string | number>,
  encode: (v: string) => string,
): string {
  return path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) {
      throw new Error(`route ${path}: no value for :${name}`);
    }
    return encode(String(value));
  });
}

/**
 * Media types a spec may be posted as (`Content-Type`). Not `text/plain` (nor
 * form types): a web page of any origin can send those without a CORS preflight.
 */
export const SPEC_MEDIA_TYPES = [
  'application/yaml',
  'application/x-yaml',
  'text/yaml',
  'text/x-yaml',
  'application/json',
] as const;
export type SpecMediaType = (typeof SPEC_MEDIA_TYPES)[number];

/** Renderings of a report that `GET /experiments/:id/report?format=` serves. */
export const REPORT_FORMATS = ['json', 'markdown', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** `GET /experiments?limit=`: the default and the most one page holds. */
export const EXPERIMENT_LIST = { defaultLimit: 100, maxLimit: 1000 } as const;

// ---------------------------------------------------------------------------
// Payloads

const count = z.number().int().min(0);

/** Shards merged so far, of those planned. */
export const ShardProgressSchema = z.strictObject({ done: count, total: count });

/** An experiment as the API shows it. Times are ISO-8601. */
export const ExperimentViewSchema = z.strictObject({
  id: z.string().min(1),
  /** The spec's name. */
  name: z.string(),
  state: z.enum(EXPERIMENT_STATES),
  /** Servers in the fleet. */
  servers: count,
  shards: ShardProgressSchema,
  /** Job × strategy evaluations per second since the first shard started. */
  jobsPerSecond: z.number().min(0).nullable(),
  /** Seconds until done at the current pace; 0 when done, null when unknown or stopped. */
  etaSeconds: z.number().min(0).nullable(),
  createdAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
  /** Why it failed (failed experiments only). */
  error: z.string().optional(),
});
export type ExperimentView = z.infer<typeof ExperimentViewSchema>;

/** `GET /experiments`: newest first. */
export const ExperimentListSchema = z.array(ExperimentViewSchema);
export type ExperimentList = z.infer<typeof ExperimentListSchema>;

/** One problem of a spec (the core's {@link SpecError}). */
export const SpecErrorSchema = z.strictObject({
  /** Field path, e.g. `fleet[0].count`; empty for the document itself. */
  path: z.string(),
  /** 1-based line in the posted text. */
  line: z.number().int().min(1).optional(),
  message: z.string(),
}) satisfies z.ZodType<SpecError>;

/** A 400 for a spec (or a query that shapes it, like `shardSize`): every error with its path and line. */
export const SpecErrorsBodySchema = z.strictObject({
  statusCode: z.literal(400),
  message: z.string(),
  errors: z.array(SpecErrorSchema),
});
export type SpecErrorsBody = z.infer<typeof SpecErrorsBodySchema>;

/** Any other refusal or failure (4xx, 5xx): Nest's error body. */
export const ErrorBodySchema = z.strictObject({
  statusCode: z.number().int().min(400).max(599),
  /** Nest sends a list for some of its own refusals. */
  message: z.union([z.string(), z.array(z.string())]),
  error: z.string().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** `GET /health`: 200 when Redis answers, 503 when it does not. */
export const HealthSchema = z.discriminatedUnion('status', [
  z.strictObject({ status: z.literal('ok'), redis: z.literal('up') }),
  z.strictObject({ status: z.literal('error'), redis: z.literal('down'), message: z.string() }),
]);
export type Health = z.infer<typeof HealthSchema>;

const ms = z.number().min(0);
const resets = z.enum([
  'config-restore',
  'device-specific',
  'flr',
  'pm',
  'bus-reset',
  'driver-reset',
]);

/** The answer of the server routes: one job, stage by stage and strategy by strategy. */
export const JobTraceSchema = z.strictObject({
  server: count,
  profile: z.string(),
  kind: z.enum(JOB_KINDS),
  event: count,
  cause: z.string().nullable(),
  bootPath: z.enum(BOOT_PATHS),
  stages: z.strictObject({
    detectionMs: ms.nullable(),
    crashKexecMs: ms.nullable(),
    machineShutdownMs: ms.nullable(),
    staleCpu: z.boolean(),
    purgatoryMs: ms.nullable(),
    firmwarePostMs: ms.nullable(),
    kernelBootMs: ms,
    staleKexecParameters: z.boolean(),
    backupRegionKiB: count,
    backupRegionLost: z.boolean(),
  }),
  initialStates: z.record(z.string(), z.enum(DEVICE_STATES)),
  strategies: z.array(
    z.strictObject({
      strategy: z.string(),
      outcome: z.union([z.literal('captured'), z.literal('in-service'), z.enum(FAILURE_REASONS)]),
      culprit: z.string().nullable(),
      culpritDriver: z.string().nullable(),
      commandLine: z.string().nullable(),
      captureCpus: count.nullable(),
      kernelBootMs: ms.nullable(),
      dumpMs: ms.nullable(),
      returnToService: z.enum(['firmware', 'kexec', 'kexec-then-firmware']).nullable(),
      downtimeMs: ms,
      devices: z.array(
        z.strictObject({
          name: z.string(),
          loaded: z.boolean(),
          resets: z.array(resets),
          stateAtProbe: z.enum(DEVICE_STATES),
          probed: z.boolean(),
          present: z.boolean(),
          reinitMs: ms,
        }),
      ),
    }),
  ),
}) satisfies z.ZodType<JobTrace>;

/** Most points one batch may hold (each is an experiment with its own flow). */
export const MAX_BATCH_POINTS = 1000;

/**
 * Points of a batch whose results `/metrics` publishes, each with a `point`
 * label (its index): enough for the sweeps and sensitivity runs a dashboard
 * shows, few enough to keep the label bounded. Points beyond it run and report
 * as usual; the batch's `note` says so.
 */
export const METRIC_POINTS = 64;

/** Longest point label kept (a label is for legends and progress lines). */
export const MAX_POINT_LABEL = 200;

/** One point of a batch: the core's {@link PointRequest}. */
export const PointRequestSchema = z.strictObject({
  label: z.string().max(MAX_POINT_LABEL),
  values: z.array(z.strictObject({ path: z.string(), value: z.unknown() })),
}) satisfies z.ZodType<PointRequest>;

/** `POST /batches`: the spec as text (YAML or JSON, as for `POST /experiments`) and its points. */
export const BatchBodySchema = z.strictObject({
  spec: z.string().min(1),
  points: z.array(PointRequestSchema).min(1).max(MAX_BATCH_POINTS),
});
export type BatchBody = z.infer<typeof BatchBodySchema>;

/** A batch as the API shows it: its points' experiments, summed progress. */
export const BatchViewSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string(),
  /** failed or cancelled when any point is; done when all are; running once any started. */
  state: z.enum(EXPERIMENT_STATES),
  servers: count,
  shards: ShardProgressSchema,
  points: z.array(
    z.strictObject({
      index: count,
      label: z.string(),
      experiment: z.string().min(1),
      state: z.enum(EXPERIMENT_STATES),
    }),
  ),
  /** Points whose results /metrics publishes (`point` label 0..metricsPoints-1). */
  metricsPoints: count,
  /** What the metrics leave out, when they leave something out. */
  note: z.string().optional(),
  createdAt: z.iso.datetime(),
  /** The first failed point and why. */
  error: z.string().optional(),
});
export type BatchView = z.infer<typeof BatchViewSchema>;

/** `GET /batches/:id/reports`. */
export const BatchReportsSchema = z.strictObject({
  id: z.string().min(1),
  reports: z.array(ReportSchema),
});
export type BatchReports = z.infer<typeof BatchReportsSchema>;

/** The schema of each route's JSON answer on success (null: not JSON, or JSON only on request). */
export const ANSWERS = {
  submitExperiment: ExperimentViewSchema,
  listExperiments: ExperimentListSchema,
  getExperiment: ExperimentViewSchema,
  getReport: ReportSchema,
  cancelExperiment: ExperimentViewSchema,
  submitBatch: BatchViewSchema,
  getBatch: BatchViewSchema,
  getBatchReports: BatchReportsSchema,
  cancelBatch: BatchViewSchema,
  crashServer: JobTraceSchema,
  rebootServer: JobTraceSchema,
  health: HealthSchema,
  metrics: null,
} as const satisfies Record<keyof typeof ROUTES, z.ZodType | null>;

/**
 * Why a body breaks the contract, in a line: `state: Invalid option: ...`
 * (the first few issues, each with its path).
 */
export function contractBreach(error: z.ZodError, most = 3): string {
  const issues = error.issues.slice(0, most).map((i) => {
    const path = i.path.map(String).join('.');
    return path ? `${path}: ${i.message}` : i.message;
  });
  const more = error.issues.length - most;
  return issues.join('; ') + (more > 0 ? `; and ${more} more` : '');
}

/**
 * A batch: the points of one decision (a sweep's values, a sensitivity run's
 * moved assumptions, a crashkernel search step), posted together as
 * `POST /batches`. Each point is an ordinary experiment of the spec with the
 * point's values set (kdump-core `resolvePoint`), so its shards, merge and
 * report are those of any experiment, and its report is the one `fleetsim`
 * computes for the same point here. Pure: the clock comes in as an argument.
 */
import { randomBytes } from 'node:crypto';
import {
  MAX_POINT_LABEL,
  METRIC_POINTS,
  type BatchView,
  type ExperimentState,
  type ExperimentView,
} from '../../../../libs/fleet-contract/src/http-contract';
import type { PointRequest } from '../../../../libs/kdump-core/src';

/** The stored batch. Times are epoch milliseconds. */
export interface BatchRecord {
  id: string;
  name: string;
  createdAt: number;
  /** Point labels, in point order. */
  labels: string[];
  /** Experiment id of each point, in point order. */
  experiments: string[];
}

/** A new batch id: `bat_`, base-36 milliseconds, 6 random hex digits. */
export function newBatchId(nowMs: number, random: () => Buffer = () => randomBytes(3)): string {
  return `bat_${nowMs.toString(36)}${random().toString('hex')}`;
}

/** What the metrics say about a batch of `points` points, or undefined when all are published. */
export function metricsNote(points: number): string | undefined {
  return points > METRIC_POINTS
    ? `/metrics publishes points 0..${METRIC_POINTS - 1} of this batch's ${points} (a bounded point label); every point runs and reports`
    : undefined;
}

/**
 * The state of a batch from its points': failed or cancelled when any point
 * is (failed first), done when all are, running once any point started.
 */
export function batchState(states: readonly ExperimentState[]): ExperimentState {
  if (states.includes('failed')) {
    return 'failed';
  }
  if (states.includes('cancelled')) {
    return 'cancelled';
  }
  if (states.every((s) => s === 'done')) {
    return 'done';
  }
  return states.some((s) => s === 'running' || s === 'done') ? 'running' : 'queued';
}

/** The API view of a batch from its record and its points' views (point order). */
export function batchView(rec: BatchRecord, points: readonly ExperimentView[]): BatchView {
  const failed = points.findIndex((p) => p.state === 'failed');
  const note = metricsNote(rec.labels.length);
  return {
    id: rec.id,
    name: rec.name,
    state: batchState(points.map((p) => p.state)),
    servers: points.reduce((t, p) => t + p.servers, 0),
    shards: {
      done: points.reduce((t, p) => t + p.shards.done, 0),
      total: points.reduce((t, p) => t + p.shards.total, 0),
    },
    points: points.map((p, index) => ({
      index,
      label: rec.labels[index] ?? '',
      experiment: p.id,
      state: p.state,
    })),
    metricsPoints: Math.min(METRIC_POINTS, rec.labels.length),
    ...(note ? { note } : {}),
    createdAt: new Date(rec.createdAt).toISOString(),
    ...(failed >= 0
      ? {
          error: `point ${failed} (${rec.labels[failed]}): ${points[failed]!.error ?? 'failed'}`,
        }
      : {}),
  };
}

/** The body of `POST /batches`, read; `problems` says what is wrong, each with its path. */
export function readBatchBody(
  text: string,
  maxPoints: number,
):
  | { ok: true; spec: string; points: PointRequest[] }
  | { ok: false; problems: { path: string; message: string }[] } {
  const shape =
    'send JSON: { "spec": "<the spec as YAML or JSON text>", "points": [{ "label": "...", "values": [{ "path": "...", "value": ... }] }] }';
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    return {
      ok: false,
      problems: [{ path: '', message: `not JSON (${(e as Error).message}): ${shape}` }],
    };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, problems: [{ path: '', message: `not an object: ${shape}` }] };
  }
  const { spec, points } = body as { spec?: unknown; points?: unknown };
  const problems: { path: string; message: string }[] = [];
  if (typeof spec !== 'string' || spec.trim() === '') {
    problems.push({ path: 'spec', message: `the spec's text is missing: ${shape}` });
  }
  if (!Array.isArray(points) || points.length === 0) {
    problems.push({ path: 'points', message: `a list of at least one point is needed: ${shape}` });
  } else if (points.length > maxPoints) {
    problems.push({
      path: 'points',
      message: `${points.length} points; a batch holds at most ${maxPoints} (split it, or raise KEEP_EXPERIMENTS)`,
    });
  } else {
    points.forEach((p: unknown, i) => {
      const { label, values } = (p ?? {}) as { label?: unknown; values?: unknown };
      if (typeof label !== 'string' || label.length > MAX_POINT_LABEL) {
        problems.push({
          path: `points[${i}].label`,
          message: `a text of at most ${MAX_POINT_LABEL} characters is needed`,
        });
      }
      if (
        !Array.isArray(values) ||
        values.some(
          (v: unknown) =>
            v === null ||
            typeof v !== 'object' ||
            typeof (v as { path?: unknown }).path !== 'string' ||
            !('value' in v),
        )
      ) {
        problems.push({
          path: `points[${i}].values`,
          message: 'a list of { "path": "...", "value": ... } is needed',
        });
      }
    });
  }
  if (problems.length > 0) {
    return { ok: false, problems };
  }
  return { ok: true, spec: spec as string, points: points as PointRequest[] };
}

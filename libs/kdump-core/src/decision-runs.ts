/**
 * A decision (sweep, sensitivity, crashkernel sizing) is a pure function of
 * spec + seed that needs reports of the spec with some values moved. It is
 * written as a generator of *batches*: it yields the points it needs next
 * ({@link PointRequest}: the spec with these values set) and gets back their
 * reports in the same order. Who runs a batch — this thread, worker threads,
 * or a coordinator's node-workers — is the driver's business; every driver
 * resolves a point with {@link resolvePoint} and runs it as an ordinary
 * experiment, so the document is the same bytes whichever ran it.
 */
import { runExperiment } from './experiment';
import type { Report } from './report-schema';
import type { ResolvedSpec } from './spec';
import { parseSpecPath, resolveWithValues } from './spec-path';

/** One value a point sets: a spec path (as `fleetsim sweep` takes it) and its value. */
export interface PointValue {
  path: string;
  value: unknown;
}

/** A point to run: the spec with each value set, in order. No values: the spec as it is. */
export interface PointRequest {
  /** Short text for progress lines, chart legends and metric info (`path=value`, `base`). */
  label: string;
  values: readonly PointValue[];
}

/** Yields batches of points, receives their reports (same order), returns the document. */
export type DecisionSteps<T> = Generator<readonly PointRequest[], T, readonly Report[]>;

/** A point whose values do not make a valid spec; the message names the point and the paths. */
export class PointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PointError';
  }
}

/**
 * The spec of one point: `resolved` with each value set (paths read against
 * `resolved`). A point without values is `resolved` itself.
 * @throws SpecPathError for a path that names nothing; PointError for values the spec refuses
 */
export function resolvePoint(resolved: ResolvedSpec, request: PointRequest): ResolvedSpec {
  if (request.values.length === 0) {
    return resolved;
  }
  const r = resolveWithValues(
    resolved,
    request.values.map((v) => ({ path: parseSpecPath(resolved, v.path), value: v.value })),
  );
  if (!r.ok) {
    throw new PointError(
      `${request.label}: ${r.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    );
  }
  return r.resolved;
}

/**
 * Drives `steps` in this thread, point after point.
 * @param onRun called after each point with the points run so far
 */
export function runStepsHere<T>(
  resolved: ResolvedSpec,
  steps: DecisionSteps<T>,
  onRun?: (request: PointRequest, done: number) => void,
): T {
  let done = 0;
  let next = steps.next([]);
  while (!next.done) {
    const reports = next.value.map((request) => {
      const report = runExperiment(resolvePoint(resolved, request)).report;
      onRun?.(request, ++done);
      return report;
    });
    next = steps.next(reports);
  }
  return next.value;
}

/**
 * Drives `steps` with a batch runner (threads, a coordinator): each batch is
 * handed over whole, so its points can run side by side.
 * @throws RangeError when the runner answers a batch with the wrong number of reports
 */
export async function runSteps<T>(
  steps: DecisionSteps<T>,
  runBatch: (requests: readonly PointRequest[]) => Promise<readonly Report[]>,
): Promise<T> {
  let next = steps.next([]);
  while (!next.done) {
    const requests = next.value;
    const reports = await runBatch(requests);
    if (reports.length !== requests.length) {
      throw new RangeError(
        `a batch of ${requests.length} points came back with ${reports.length} reports`,
      );
    }
    next = steps.next(reports);
  }
  return next.value;
}

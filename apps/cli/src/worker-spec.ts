/**
 * What a worker thread of an embedded run starts from: the spec text and seed
 * override of the main thread, parsed again here so the thread resolves the
 * same spec. Shared by the shard workers (`fleetsim run`) and the point workers
 * (sweep, crashkernel, sensitivity).
 */
import { parseSpecText, type ResolvedSpec } from '../../../libs/kdump-core/src';

export interface WorkerSpecData {
  specText: string;
  seed?: number;
}

/**
 * The resolved spec of a worker thread's data.
 * @throws Error when the spec does not validate (the main thread validated the
 *   same text, so this is a broken invariant: it reaches the main thread as the
 *   worker's `error` event)
 */
export function resolveWorkerSpec(data: WorkerSpecData): ResolvedSpec {
  const parsed = parseSpecText(data.specText, { seed: data.seed });
  if (!parsed.ok) {
    throw new Error(
      `the spec does not validate in the worker thread: ${parsed.errors
        .map((e) => `${e.path}: ${e.message}`)
        .join('; ')}`,
    );
  }
  return parsed.resolved;
}

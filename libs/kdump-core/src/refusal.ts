/**
 * Refusals as data. A user-facing entry point of the core (an argument, a
 * sweep block, a server to trace) answers a {@link Refusable}: the value, or a
 * {@link Refusal} saying what it will not do and why. Callers switch on `ok`
 * (and on `code` when they word it their own way); nothing is thrown for the
 * user's input. A broken invariant (a bug: input that was already checked,
 * state that cannot happen) is still thrown, loudly, with the offending values.
 *
 * The spec itself (`parseSpecText`) and fail-if thresholds (`parseThreshold`)
 * were data before this type and keep their own result shapes.
 */

/** Stable codes of what the core refuses (used as-is by callers, never reworded). */
export const REFUSAL_CODES = [
  /** A shard size that is not a positive integer. */
  'invalid-shard-size',
  /** A shard size that cuts the fleet into more than MAX_SHARDS shards. */
  'too-many-shards',
  /** A sweep block that cannot run: bad paths, uneven zip, too many points, bad points. */
  'invalid-sweep',
  /** An option of a decision command outside its range (target, step, factor...). */
  'invalid-option',
  /** A crashkernel sizing of a spec without crashes. */
  'no-crash-events',
  /** A server index outside the fleet. */
  'server-outside-fleet',
  /** A job kind the server has no events of. */
  'no-events',
  /** An event index past the server's events of that kind. */
  'no-such-event',
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

/** What the core will not do with the user's input, and why. */
export interface Refusal<C extends RefusalCode = RefusalCode> {
  code: C;
  /** One line naming the offending value (every problem, one per line, when there are several). */
  message: string;
  /** The argument or spec field refused (`shardSize`, `sweep.parameters[0].path`), when there is one. */
  path?: string;
  /** 1-based line in the spec text, when known. */
  line?: number;
  /** Each problem on its own, when there are several (`message` joins them). */
  problems?: string[];
}

/** The value of an entry point, or why it refused. */
export type Refusable<T, R extends Refusal = Refusal> =
  { ok: true; value: T } | { ok: false; refusal: R };

/** An accepted value. */
export function accepted<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

/** A refusal. */
export function refused<R extends Refusal>(refusal: R): { ok: false; refusal: R } {
  return { ok: false, refusal };
}

/**
 * Polling a coordinator until what it runs (an experiment, a batch) is final:
 * waits that grow from `initialMs` by half each time up to `maxMs`, and a
 * coordinator that restarts (or a proxy in front of it) tolerated for
 * `unreachableMs` before giving up.
 */
import { CoordinatorError } from './coordinator-client';

/** Timing of the polling loop; tests shorten it. */
export interface PollOptions {
  /** First wait between two status requests. */
  initialMs: number;
  /** Longest wait between two status requests. */
  maxMs: number;
  /** How long the coordinator may stay unreachable (a restart, say) before giving up. */
  unreachableMs: number;
}

export const DEFAULT_POLL: PollOptions = { initialMs: 100, maxMs: 500, unreachableMs: 60_000 };

/** What to poll and how. */
export interface PollUntil<T> {
  /** The status already in hand (the submission's answer). */
  first: T;
  /** One status request. */
  fetch: () => Promise<T>;
  isFinal: (status: T) => boolean;
  /** Called with the first status and with every one fetched after it. */
  onStatus?: (status: T) => void;
  /** The wait between two requests; `setTimeout` unless given (one an interrupt can cut short, say). */
  sleep?: (ms: number) => Promise<void>;
  /** Checked before and after each wait: true ends the polling with the last status. */
  stopped?: () => boolean;
  /**
   * What is thrown once the coordinator stayed unreachable past `unreachableMs`:
   * `annotate` (the default) the last error with "; gave up after N s" added to
   * its message, `rethrow` the last error as it is.
   */
  onGiveUp?: 'annotate' | 'rethrow';
}

/**
 * Polls until `isFinal` (or `stopped`), and returns the last status. An
 * unreachable coordinator or a 5xx is retried until it has lasted longer than
 * `poll.unreachableMs`; any other error propagates at once.
 */
export async function pollUntil<T>(poll: PollOptions, how: PollUntil<T>): Promise<T> {
  const sleep = how.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const stopped = how.stopped ?? (() => false);
  let status = how.first;
  let delay = poll.initialMs;
  let unreachableSince: number | null = null;
  how.onStatus?.(status);
  while (!how.isFinal(status) && !stopped()) {
    await sleep(delay);
    if (stopped()) {
      break;
    }
    delay = Math.min(poll.maxMs, Math.ceil(delay * 1.5));
    try {
      status = await how.fetch();
      unreachableSince = null;
      how.onStatus?.(status);
    } catch (e) {
      // A coordinator restarting (or a proxy in front of it) is not the end of the run.
      const transient =
        e instanceof CoordinatorError && (e.kind === 'unreachable' || e.kind === 'server');
      if (!transient) {
        throw e;
      }
      unreachableSince ??= performance.now();
      if (performance.now() - unreachableSince > poll.unreachableMs) {
        if (how.onGiveUp === 'rethrow') {
          throw e;
        }
        throw new CoordinatorError(
          e.kind,
          `${e.message}; gave up after ${Math.round(poll.unreachableMs / 1000)} s`,
          e.status,
        );
      }
    }
  }
  return status;
}

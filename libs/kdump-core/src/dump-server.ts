/**
 * A shared dump target (an NFS export or an SSH server that `kdump.conf` names):
 * `sessions` dumps at once, first come first served, the others wait. A capture
 * kernel that has waited `waitLimitUs` without a session gives up (kdump's
 * timeout, then its `failure_action`): that dump is lost to contention.
 *
 * Simulated in event-time order on an {@link EventQueue}: with Poisson arrivals,
 * exponential transfers and no wait limit this is the M/M/c queue of Erlang C
 * (erlang-c.ts), which the tests hold it to.
 */
import { EventPriority, EventQueue } from './event-queue';

/** A dump server's capacity and patience. */
export interface DumpServerConfig {
  /** Dumps transferred at once (NFS/SSH sessions the server takes). */
  sessions: number;
  /** How long a capture kernel waits for a session before giving up, µs; Infinity: forever. */
  waitLimitUs: number;
}

/** What became of the dumps of one run, by dump index. */
export interface DumpServerRun {
  /** When each dump's transfer started, µs; -1 for a dump lost to contention. */
  startUs: Float64Array;
  /** When each transfer ended, µs; for a lost dump, when its capture kernel gave up. */
  endUs: Float64Array;
  /** Most dumps waiting for a session at any instant. */
  peakWaiting: number;
  /** Dumps lost to contention. */
  lost: number;
}

/** Runs dump servers; reusable across runs, not across threads. */
export class DumpServer {
  private readonly events = new EventQueue();
  private fifo = new Int32Array(64);

  /**
   * Serves `count` dumps.
   * @param arrivalUs when each dump's capture kernel reaches the target (integer µs)
   * @param transferUs each dump's transfer time once it has a session (integer µs, ≥ 0)
   * @param out arrays of at least `count` entries to fill (see {@link DumpServerRun})
   */
  run(
    config: DumpServerConfig,
    arrivalUs: Float64Array,
    transferUs: Float64Array,
    count: number,
    out: { startUs: Float64Array; endUs: Float64Array },
  ): DumpServerRun {
    const { sessions, waitLimitUs } = config;
    if (!Number.isInteger(sessions) || sessions < 1) {
      throw new RangeError(`a dump server needs at least 1 session, got ${sessions}`);
    }
    if (!(waitLimitUs >= 0)) {
      throw new RangeError(`wait limit must be ≥ 0 µs (or Infinity), got ${waitLimitUs}`);
    }
    if (out.startUs.length < count || out.endUs.length < count) {
      throw new RangeError(`output arrays hold fewer than ${count} dumps`);
    }
    if (this.fifo.length < count) {
      this.fifo = new Int32Array(Math.max(count, this.fifo.length * 2));
    }
    const { startUs, endUs } = out;
    const q = this.events;
    q.clear();
    for (let i = 0; i < count; i++) {
      startUs[i] = -1;
      endUs[i] = -1;
      q.push(arrivalUs[i]!, EventPriority.Arrival, i);
    }
    const fifo = this.fifo;
    let head = 0;
    let tail = 0;
    let busy = 0;
    let waiting = 0;
    let peak = 0;
    let lost = 0;
    const limited = waitLimitUs !== Infinity;
    const start = (i: number, t: number) => {
      startUs[i] = t;
      endUs[i] = t + transferUs[i]!;
      busy++;
      q.push(endUs[i]!, EventPriority.TransferEnd, i);
    };
    while (q.length > 0) {
      const t = q.peekTime();
      const kind = q.peekPriority();
      const i = q.peekPayload();
      q.pop();
      switch (kind) {
        case EventPriority.Arrival:
          if (busy < sessions) {
            start(i, t);
          } else {
            fifo[tail++] = i;
            waiting++;
            if (waiting > peak) {
              peak = waiting;
            }
            if (limited) {
              q.push(t + waitLimitUs, EventPriority.WaitLimit, i);
            }
          }
          break;
        case EventPriority.TransferEnd:
          busy--;
          // The longest-waiting dump still waiting (lost ones stay in the FIFO until here).
          while (head < tail && endUs[fifo[head]!]! >= 0) {
            head++;
          }
          if (head < tail) {
            waiting--;
            start(fifo[head++]!, t);
          }
          break;
        case EventPriority.WaitLimit:
          if (startUs[i]! < 0 && endUs[i]! < 0) {
            endUs[i] = t;
            waiting--;
            lost++;
          }
          break;
        default: {
          const never: never = kind;
          throw new RangeError(`unknown event priority ${String(never)}`);
        }
      }
    }
    return { startUs, endUs, peakWaiting: peak, lost };
  }
}

/**
 * What one job adds besides the per-device-class histograms and culprits: its
 * times and counts in its server profile's block (the fleet-wide block is their
 * sum, derived at the end of a shard: `fleetFromProfiles`), and each strategy's
 * paired time differences against the baseline. The engine hands it every
 * strategy's times and outcome, and brackets each job with {@link JobRecord.begin}
 * and {@link JobRecord.finish}; the paired sums need every strategy's time of the
 * job, so they are added at the end of it.
 */
import { addPairedSums, AggregateLayout, Counter, Hist, Paired, PAIRED_STRIDE } from './aggregate';
import { HISTOGRAM_STRIDE, recordMicros } from './histogram';
import { JOB_KINDS } from './outcome';

const STRIDE = HISTOGRAM_STRIDE;
const KINDS = JOB_KINDS.length;

/** Partial sums kept per paired sum between flushes: count, Σd⁺, Σd⁻, Σh², Σh·l, Σl². */
const PENDING = 6;
/**
 * Jobs between flushes: a job adds at most one difference (|d| < 2^40) to each
 * paired sum, so every partial sum stays an integer below 2^53, exact in a double.
 */
const FLUSH_EVERY = 8192;

export class JobRecord {
  private profile = 0;
  /** Start of the job's profile's blocks. */
  private profileBase = 0;
  /** Per fleet block index (strategy × kind): the job's downtime and kernel boot, µs, or -1. */
  private readonly times: Float64Array;
  /**
   * Per paired sum, in the layout's order (job kind, strategy, metric): the
   * {@link PENDING} partial sums since the last {@link flush}. Plain double
   * additions per job instead of the limbs' carries; the limbs get them exactly.
   */
  private readonly pending: Float64Array;
  /** Jobs finished since the last {@link flush}. */
  private pendingJobs = 0;

  constructor(private readonly layout: AggregateLayout) {
    if (layout.profiles.length === 0) {
      throw new RangeError('a job record needs a layout with profiles: it records into them');
    }
    this.times = new Float64Array(layout.strategies.length * KINDS * 2).fill(-1);
    this.pending = new Float64Array(KINDS * layout.strategies.length * 2 * PENDING);
  }

  /** A job of a server of profile `profile` (an index of the layout's profiles) begins. */
  begin(profile: number): void {
    // Every time is -1 here: the constructor filled them, and each finish() puts back
    // the ones its job set (a job sets times of its own kind only).
    this.profile = profile;
    const layout = this.layout;
    this.profileBase =
      layout.profilesBase + profile * layout.strategies.length * KINDS * layout.profileBlockSize;
  }

  /**
   * Strategy `s`'s job of kind `k`: its kernel boot (when `up`), dump (when
   * `dumpUs` >= 0) and downtime into the profile block's histograms, the job and
   * its outcome into its counters, and the times for the paired sums.
   */
  strategy(
    slots: Float64Array,
    s: number,
    k: number,
    up: boolean,
    bootUs: number,
    dumpUs: number,
    downtimeUs: number,
    reason: number,
  ): void {
    const times = this.times;
    const at = (s * KINDS + k) * 2;
    if (up) {
      times[at + Paired.KernelBoot] = bootUs;
    }
    times[at + Paired.Downtime] = downtimeUs;
    const pb = this.profileBase + (s * KINDS + k) * this.layout.profileBlockSize;
    if (up) {
      recordMicros(slots, pb + Hist.KernelBoot * STRIDE, bootUs);
    }
    if (dumpUs >= 0) {
      recordMicros(slots, pb + Hist.Dump * STRIDE, dumpUs);
    }
    recordMicros(slots, pb + Hist.Downtime * STRIDE, downtimeUs);
    const counters = pb + Hist.DeviceReinit * STRIDE;
    slots[counters + Counter.Jobs]! += 1;
    slots[counters + (reason < 0 ? Counter.Successes : Counter.Reasons + reason)]! += 1;
  }

  /**
   * The job (of job kind `k`) ended: every strategy's differences from the
   * baseline go to the paired sums (kept apart until {@link flush}).
   */
  finish(slots: Float64Array, k: number): void {
    const layout = this.layout;
    const times = this.times;
    const base = (layout.baseline * KINDS + k) * 2;
    const b0 = times[base]!;
    const b1 = times[base + 1]!;
    const n = layout.strategies.length;
    // Pending sums in the layout's paired order: (k · n + s) · 2 + metric.
    const first = k * n * 2;
    for (let s = 0; s < n; s++) {
      const at = (s * KINDS + k) * 2;
      const t0 = times[at]!;
      const t1 = times[at + 1]!;
      if (t0 >= 0 && b0 >= 0) {
        this.addDifference((first + s * 2) * PENDING, t0 - b0);
      }
      if (t1 >= 0 && b1 >= 0) {
        this.addDifference((first + s * 2 + 1) * PENDING, t1 - b1);
      }
      times[at] = -1;
      times[at + 1] = -1;
    }
    if (++this.pendingJobs === FLUSH_EVERY) {
      this.flush(slots);
    }
  }

  /** One difference `d` (integer µs, |d| < 2^40) into the partial sums at `at`. */
  private addDifference(at: number, d: number): void {
    const q = this.pending;
    q[at]! += 1;
    if (d === 0) {
      return;
    }
    const a = Math.abs(d);
    q[at + (d > 0 ? 1 : 2)]! += a;
    const h = Math.floor(a / 1048576);
    const l = a - h * 1048576;
    q[at + 3]! += h * h;
    q[at + 4]! += h * l;
    q[at + 5]! += l * l;
  }

  /**
   * Adds the partial sums into the paired sums of `slots` and starts them again.
   * The engine calls it at the end of a shard; {@link finish} when they could grow
   * past 2^53.
   */
  flush(slots: Float64Array): void {
    const q = this.pending;
    const pairedBase = this.layout.pairedBase;
    for (let i = 0, at = 0; at < q.length; i++, at += PENDING) {
      if (q[at] === 0) {
        continue;
      }
      addPairedSums(
        slots,
        pairedBase + i * PAIRED_STRIDE,
        q[at]!,
        q[at + 1]!,
        q[at + 2]!,
        q[at + 3]!,
        q[at + 4]!,
        q[at + 5]!,
      );
      for (let j = 0; j < PENDING; j++) {
        q[at + j] = 0;
      }
    }
    this.pendingJobs = 0;
  }
}

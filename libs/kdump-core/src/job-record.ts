/**
 * What one job adds beyond the fleet-wide blocks: the same times and counts in
 * its server profile's block, and each strategy's paired time differences
 * against the baseline. The engine hands it every time and count it records
 * (into a fleet-wide block), and brackets each job with {@link JobRecord.begin}
 * and {@link JobRecord.finish}; the paired sums need every strategy's time of
 * the job, so they are added at the end of it.
 */
import { addPairedDifference, AggregateLayout, Counter, Hist, Paired } from './aggregate';
import { HISTOGRAM_STRIDE, recordMicros } from './histogram';
import { JOB_KINDS } from './outcome';

const STRIDE = HISTOGRAM_STRIDE;
const KINDS = JOB_KINDS.length;

export class JobRecord {
  private profile = 0;
  /** Start of the job's profile's blocks, or -1 when the layout has no profiles. */
  private profileBase = -1;
  /** Per fleet block index (strategy × kind): the job's downtime and kernel boot, µs, or -1. */
  private readonly times: Float64Array;

  constructor(private readonly layout: AggregateLayout) {
    this.times = new Float64Array(layout.strategies.length * KINDS * 2).fill(-1);
  }

  /** A job of a server of profile `profile` (an index of the layout's profiles) begins. */
  begin(profile: number): void {
    // Every time is -1 here: the constructor filled them, and each finish() puts back
    // the ones its job set (a job sets times of its own kind only).
    this.profile = profile;
    const layout = this.layout;
    this.profileBase =
      layout.profiles.length > 0
        ? layout.profilesBase + profile * layout.strategies.length * KINDS * layout.profileBlockSize
        : -1;
  }

  /**
   * Strategy `s`'s job of kind `k` in one call: what {@link time} (kernel boot when
   * `up`, dump when `dumpUs` >= 0, downtime) and {@link count} record for it.
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
    const base = this.profileBase;
    if (base < 0) {
      return;
    }
    const pb = base + (s * KINDS + k) * this.layout.profileBlockSize;
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

  /** Histogram `hist` of the fleet-wide block at `block` received `micros`. */
  time(slots: Float64Array, block: number, hist: number, micros: number): void {
    if (hist >= Hist.DeviceReinit) {
      return;
    }
    const layout = this.layout;
    if (layout.profiles.length > 0) {
      recordMicros(slots, layout.profileBlock(this.profile, block) + hist * STRIDE, micros);
    }
    if (hist === Hist.Downtime) {
      this.times[(block / layout.blockSize) * 2 + Paired.Downtime] = micros;
    } else if (hist === Hist.KernelBoot) {
      this.times[(block / layout.blockSize) * 2 + Paired.KernelBoot] = micros;
    }
  }

  /** The fleet-wide block at `block` counted a job: a success, or a failure for `reason`. */
  count(slots: Float64Array, block: number, success: boolean, reason: number): void {
    const layout = this.layout;
    if (layout.profiles.length === 0) {
      return;
    }
    const counters = layout.profileBlock(this.profile, block) + Hist.DeviceReinit * STRIDE;
    slots[counters + Counter.Jobs]! += 1;
    slots[counters + (success ? Counter.Successes : Counter.Reasons + reason)]! += 1;
  }

  /** The job (of job kind `k`) ended: adds every strategy's differences from the baseline. */
  finish(slots: Float64Array, k: number): void {
    const layout = this.layout;
    const times = this.times;
    const base = (layout.baseline * KINDS + k) * 2;
    const b0 = times[base]!;
    const b1 = times[base + 1]!;
    const n = layout.strategies.length;
    for (let s = 0; s < n; s++) {
      const at = (s * KINDS + k) * 2;
      const t0 = times[at]!;
      const t1 = times[at + 1]!;
      if (t0 >= 0 && b0 >= 0) {
        addPairedDifference(slots, layout.paired(k, s, 0), t0 - b0);
      }
      if (t1 >= 0 && b1 >= 0) {
        addPairedDifference(slots, layout.paired(k, s, 1), t1 - b1);
      }
      times[at] = -1;
      times[at + 1] = -1;
    }
  }
}

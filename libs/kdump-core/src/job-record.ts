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
    for (let s = 0; s < layout.strategies.length; s++) {
      const at = (s * KINDS + k) * 2;
      for (let m = 0; m < 2; m++) {
        const t = times[at + m]!;
        const b = times[base + m]!;
        if (t >= 0 && b >= 0) {
          addPairedDifference(slots, layout.paired(k, s, m), t - b);
        }
      }
    }
    for (let s = 0; s < layout.strategies.length; s++) {
      const at = (s * KINDS + k) * 2;
      times[at] = -1;
      times[at + 1] = -1;
    }
  }
}

/**
 * Crash detection: how the first kernel gets from the fault to crash_kexec. A
 * panic calls __crash_kexec at once; an oops does with panic_on_oops; a hard
 * lockup waits for the NMI watchdog (watchdog_thresh); a fatal machine check
 * goes straight there but may leave devices wedged. Some faults are never
 * detected: the machine hangs until a hardware watchdog resets it.
 */
import type { CompiledExperiment } from './compile';
import { CrashSlot } from './crash-layout';
import type { JobOutcome } from './job-outcome';
import type { Sampler } from './sampler';

/** Index of the crash cause a uniform selects from cumulative weights. */
export function pickCause(causeCum: Float64Array, u: number): number {
  const last = causeCum.length - 1;
  for (let c = 0; c < last; c++) {
    if (u < causeCum[c]!) {
      return c;
    }
  }
  return last;
}

/** Post-crash state of a device from its cumulative state thresholds at `offset`. */
export function pickDeviceState(cum: Float64Array, offset: number, u: number): number {
  if (u >= cum[offset + 3]!) {
    return 0; // quiescent
  }
  if (u < cum[offset]!) {
    return 1;
  }
  if (u < cum[offset + 1]!) {
    return 2;
  }
  if (u < cum[offset + 2]!) {
    return 3;
  }
  return 4;
}

/**
 * Detects one crash: its cause and how long the kernel took to notice
 * (`out.cause`, `out.detectionUs`).
 * @param u the job's uniforms
 * @returns whether anything calls crash_kexec; false for a hang nothing detects
 */
export function detectCrash(
  m: CompiledExperiment,
  u: Float64Array,
  sampler: Sampler,
  out: JobOutcome,
): boolean {
  const cause = pickCause(m.causeCum, u[CrashSlot.Cause]!);
  out.cause = cause;
  out.detectionUs = sampler.draw(m.causeDetection[cause]!, u, CrashSlot.Detection);
  return u[CrashSlot.UndetectedHang]! >= m.causeUndetected[cause]!;
}

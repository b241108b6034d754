/**
 * Purgatory: the code between the crashed kernel and the capture kernel. It
 * SHA-256-checks every segment loaded into the crashkernel= area (about 300 ms
 * for a 53 MB kernel and a 28 MB initramfs) and on a mismatch loops forever: the
 * machine hangs with no dump until a watchdog resets it. Where the architecture
 * reserves one, it also copies the low memory the capture kernel will reuse to
 * the backup region; losing that copy leaves an incomplete dump.
 */
import type { CompiledProfile } from './compile';
import { CrashSlot } from './crash-layout';
import type { JobOutcome } from './job-outcome';

/** Digest time of the loaded segments, µs. */
export function purgatoryDigestMicros(segmentsMiB: number, digestMiBPerSecond: number): number {
  return Math.round((segmentsMiB / digestMiBPerSecond) * 1e6);
}

/** Whether the digest check fails for this crash. */
export function purgatoryMismatch(mismatchOdds: number, u: number): boolean {
  return u < mismatchOdds;
}

/**
 * Runs purgatory (`out.purgatoryUs`).
 * @param u the job's uniforms
 * @returns whether the digest matched and purgatory jumps to the capture kernel
 */
export function purgatory(p: CompiledProfile, u: Float64Array, out: JobOutcome): boolean {
  out.purgatoryUs = p.purgatoryDigestUs;
  return !purgatoryMismatch(p.purgatoryDigestMismatch, u[CrashSlot.PurgatoryMismatch]!);
}

/** Whether this crash lost the backup region purgatory copied (`out.backupRegion*`). */
export function backupRegion(p: CompiledProfile, u: Float64Array, out: JobOutcome): void {
  out.backupRegionKiB = p.backupRegionKiB;
  out.backupRegionLost =
    p.backupRegionKiB > 0 && u[CrashSlot.BackupRegionLost]! < p.backupRegionLost;
}

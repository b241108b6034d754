/**
 * Purgatory: the code between the crashed kernel and the capture kernel. It
 * SHA-256-checks every segment loaded into the crashkernel= area (about 300 ms
 * for a 53 MB kernel and a 28 MB initramfs) and on a mismatch loops forever: the
 * machine hangs with no dump until a watchdog resets it.
 */

/** Digest time of the loaded segments, µs. */
export function purgatoryDigestMicros(segmentsMiB: number, digestMiBPerSecond: number): number {
  return Math.round((segmentsMiB / digestMiBPerSecond) * 1e6);
}

/** Whether the digest check fails for this crash. */
export function purgatoryMismatch(mismatchOdds: number, u: number): boolean {
  return u < mismatchOdds;
}

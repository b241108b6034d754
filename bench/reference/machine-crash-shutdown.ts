/**
 * Minimal machine shutdown on the crash path (machine_crash_shutdown): IRQs off,
 * NMI shootdown of the other CPUs, IOAPIC/LAPIC and HPET off, CPU state saved. No
 * device shutdown, Bus Master left on. The shootdown waits at most 1000 ms; a CPU
 * that does not stop leaves "Some CPUs may be stale, kdump will be unreliable".
 */

/** Time the shutdown took: the CPU stop time, or the whole NMI wait with a stale CPU. */
export function crashShutdownMicros(staleCpu: boolean, cpuStopUs: number, limitUs: number): number {
  return staleCpu ? limitUs : Math.min(cpuStopUs, limitUs);
}

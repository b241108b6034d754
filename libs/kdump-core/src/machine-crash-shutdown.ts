/**
 * Minimal machine shutdown on the crash path (machine_crash_shutdown): IRQs off,
 * NMI shootdown of the other CPUs, IOAPIC/LAPIC and HPET off, CPU state saved. No
 * device shutdown, Bus Master left on. The shootdown waits at most 1000 ms; a CPU
 * that does not stop leaves "Some CPUs may be stale, kdump will be unreliable".
 */
import type { CompiledExperiment, CompiledProfile } from './compile';
import { CrashSlot } from './crash-layout';
import type { JobOutcome } from './job-outcome';
import type { Sampler } from './sampler';

/** Time the shutdown took: the CPU stop time, or the whole NMI wait with a stale CPU. */
export function crashShutdownMicros(staleCpu: boolean, cpuStopUs: number, limitUs: number): number {
  return staleCpu ? limitUs : Math.min(cpuStopUs, limitUs);
}

/**
 * Shuts the crashed machine down for the capture kernel (`out.staleCpu`,
 * `out.machineShutdownUs`), for the crash cause in `out.cause`.
 * @param u the job's uniforms
 * @returns whether a CPU that ignored the shootdown breaks the capture kernel
 */
export function machineCrashShutdown(
  m: CompiledExperiment,
  p: CompiledProfile,
  u: Float64Array,
  sampler: Sampler,
  out: JobOutcome,
): boolean {
  const stale = u[CrashSlot.StaleCpu]! < m.causeStaleCpu[out.cause]!;
  const cpuStopUs = stale ? 0 : sampler.draw(p.cpuStop, u, CrashSlot.CpuStop);
  out.staleCpu = stale;
  out.machineShutdownUs = crashShutdownMicros(stale, cpuStopUs, p.nmiShootdownLimitUs);
  return stale && u[CrashSlot.StaleCpuBreaksCapture]! < p.staleCpuBreaksCapture;
}

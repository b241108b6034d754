/**
 * The crash path of the first kernel, up to the capture kernel's first
 * instruction: crash detection (crash-detection.ts), crash_kexec, minimal machine
 * shutdown (machine-crash-shutdown.ts) and purgatory (purgatory.ts). Every stage
 * is the same for every strategy; a failure on the way is every strategy's
 * failure ({@link JobOutcome.failAll}), with the time until the server is back
 * through firmware.
 */
import type { CompiledExperiment, CompiledProfile } from './compile';
import { CrashSlot } from './crash-layout';
import { detectCrash } from './crash-detection';
import type { JobOutcome } from './job-outcome';
import { machineCrashShutdown } from './machine-crash-shutdown';
import { Reason } from './outcome';
import { backupRegion, purgatory } from './purgatory';
import type { Sampler } from './sampler';

/**
 * crash_kexec: the jump into the capture kernel kexec -p loaded (`out.crashKexecUs`).
 * @returns whether a capture kernel was loaded (the kdump service was up)
 */
function crashKexec(
  p: CompiledProfile,
  u: Float64Array,
  sampler: Sampler,
  out: JobOutcome,
): boolean {
  out.crashKexecUs = sampler.draw(p.crashKexec, u, CrashSlot.CrashKexec);
  return u[CrashSlot.CaptureKernelLoaded]! < p.captureKernelLoaded;
}

/**
 * Follows one crash down the kdump path into `out`: its stages, what kexec -p
 * handed the capture kernel, and the way back through firmware.
 * @param u the job's uniforms
 * @param cleanDevicesUs this job's initialisation time of every device after POST
 * @returns whether the capture kernel starts; otherwise every strategy has failed
 */
export function followCrashPath(
  m: CompiledExperiment,
  p: CompiledProfile,
  u: Float64Array,
  sampler: Sampler,
  cleanDevicesUs: number,
  out: JobOutcome,
): boolean {
  const detected = detectCrash(m, u, sampler, out);
  // Back to production through firmware, should the capture fail or be done.
  const postUs = sampler.draw(p.firmwarePost, u, CrashSlot.FirmwarePost);
  const bootUs = sampler.draw(p.kernelBoot, u, CrashSlot.KernelBoot);
  const backViaFirmwareUs = postUs + bootUs + cleanDevicesUs;
  out.firmwarePostUs = postUs;
  out.kernelBootUs = bootUs;
  out.firmwareReturnUs = backViaFirmwareUs;
  // What kexec -p passed to the capture kernel: elfcorehdr made stale by a hotplug
  // since, and the backup region of the low memory it reuses (none on x86 today).
  out.staleKexecParameters = u[CrashSlot.StaleKexecParameters]! < p.staleKexecParameters;
  backupRegion(p, u, out);

  if (!detected) {
    out.failAll(Reason.HangUndetected, p.hangWatchdogUs + backViaFirmwareUs);
    return false;
  }
  const detectUs = out.detectionUs;
  if (!crashKexec(p, u, sampler, out)) {
    out.failAll(
      Reason.CaptureKernelNotLoaded,
      detectUs + out.crashKexecUs + p.panicRebootUs + backViaFirmwareUs,
    );
    return false;
  }
  const staleCpuBreaks = machineCrashShutdown(m, p, u, sampler, out);
  const digestMatched = purgatory(p, u, out);
  const beforeCaptureUs = detectUs + out.crashKexecUs + out.machineShutdownUs + out.purgatoryUs;
  if (staleCpuBreaks) {
    out.failAll(Reason.StaleCpu, beforeCaptureUs + p.hangWatchdogUs + backViaFirmwareUs);
    return false;
  }
  if (!digestMatched) {
    out.failAll(
      Reason.PurgatoryDigestMismatch,
      beforeCaptureUs + p.hangWatchdogUs + backViaFirmwareUs,
    );
    return false;
  }
  out.beforeCaptureUs = beforeCaptureUs;
  return true;
}

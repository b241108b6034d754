/**
 * The capture kernel: booted by purgatory from the crashkernel= reservation, it
 * finds the devices as the crash left them (nothing reset them), brings them up
 * as each strategy orders (device-bring-up.ts), writes the dump through the dump
 * target (dump.ts), and returns the server to production, through firmware or by
 * kexec (kexec-return.ts).
 *
 * Everything that does not depend on the strategy is decided once per crash: the
 * boot of the kernel image, the device states, the dump's size and write rate.
 * Strategies whose bring-up is identical on the profile (equivalent-strategies.ts)
 * are brought up once, and the outcome is written for each member of the class.
 */
import type { CompiledExperiment, CompiledProfile } from './compile';
import { pickDeviceState } from './crash-detection';
import { CrashSlot, deviceBase, DeviceSlot } from './crash-layout';
import type { DeviceBringUp } from './device-bring-up';
import { dumpMicros } from './dump';
import { crashBringUpClasses, type BringUpClasses } from './equivalent-strategies';
import { ReturnToService, type JobOutcome } from './job-outcome';
import { kexecReturnFails } from './kexec-return';
import { Reason } from './outcome';
import { resetPlan, type ResetPlan } from './reset-plan';
import type { Sampler } from './sampler';

/** The capture kernel of one experiment. Reusable; not shareable across threads. */
export class CaptureKernel {
  /** Per profile: strategies whose capture-kernel bring-up is identical, brought up once. */
  private readonly classes: BringUpClasses[];
  /** Per profile and strategy: the reset steps each device takes in the capture kernel. */
  private readonly resets: ResetPlan[][];

  constructor(
    private readonly model: CompiledExperiment,
    private readonly sampler: Sampler,
    private readonly bringUp: DeviceBringUp,
  ) {
    this.classes = model.profiles.map((p) => crashBringUpClasses(p, model.strategies));
    this.resets = model.profiles.map((p) =>
      model.strategies.map((s, i) => resetPlan(p, s, i * p.deviceCount)),
    );
  }

  /**
   * Boots the capture kernel of a crash that got through purgatory
   * (`out.beforeCaptureUs` set by the crash path) and writes every strategy's
   * outcome into `out`.
   * @param profile the server's profile index; `p` is that profile
   * @param u the job's uniforms, which the bring-up began the job with
   */
  boot(profile: number, p: CompiledProfile, u: Float64Array, out: JobOutcome): void {
    const sampler = this.sampler;
    const b = this.bringUp;
    const r = b.result;
    const strategies = this.model.strategies;
    const n = p.deviceCount;

    // The kernel image boots from the reservation; devices are as the crash left them.
    const captureBaseUs = sampler.draw(p.captureKernelBoot, u, CrashSlot.CaptureKernelBoot);
    const states = out.initialStates;
    const stateBase = out.cause * n * 4;
    for (let d = 0; d < n; d++) {
      states[d] = pickDeviceState(
        p.stateCum,
        stateBase + d * 4,
        u[deviceBase(d) + DeviceSlot.State]!,
      );
    }
    out.hasInitialStates = true;
    b.prepareDevices(p, states);

    // Back to production after the dump: through firmware (POST resets every device), or by
    // kexec, where the production kernel meets devices as the capture kernel left them.
    const backViaFirmwareUs = out.firmwareReturnUs;
    const kexecBackUs = out.kernelBootUs + b.cleanDevicesMicros();
    const kexecFailsBackUs = kexecBackUs + p.panicRebootUs + backViaFirmwareUs;
    const beforeCaptureUs = out.beforeCaptureUs;
    const staleParameters = out.staleKexecParameters;
    const backupLost = out.backupRegionLost;
    const percent = sampler.draw(p.dumpPercent, u, CrashSlot.DumpPercent) / 1000;
    out.dumpMiB = p.ramGiB * 1024 * (Math.min(percent, 100) / 100);
    let usPerGiB = -1;
    let dumpCpus = 0;
    let dumpUs = -1;
    const { leader, nextInClass } = this.classes[profile]!;
    const resets = this.resets[profile]!;
    const keepDevices = out.keepDevices;
    for (let s = 0; s < strategies.length; s++) {
      if (leader[s] !== s) {
        continue; // brought up with its class's leader
      }
      const strategy = strategies[s]!;
      let reason = b.run(
        p,
        strategy,
        resets[s]!,
        s * n,
        p.oomAt[s]!,
        p.panicOnOops,
        strategy.irqpoll,
        s,
      );
      let kernelBootUs = captureBaseUs + r.elapsedUs;
      if (strategy.irqpoll) {
        // irqpoll polls every handler on each interrupt: the whole boot runs slower.
        kernelBootUs = Math.floor(kernelBootUs * (1 + p.irqpollSlowdown) + 0.5);
      }
      let culprit = r.culprit;
      if (reason < 0 && !r.dumpTargetPresent) {
        reason = Reason.DumpTargetMissing;
        culprit = p.dumpTarget;
      }
      let downtimeUs: number;
      let backUs = 0;
      let back: number = ReturnToService.None;
      if (reason < 0 || reason === Reason.DumpTargetMissing) {
        if (p.rebootViaKexec) {
          const returnFails = kexecReturnFails(p, b, s * n, u);
          backUs = returnFails ? kexecFailsBackUs : kexecBackUs;
          back = returnFails ? ReturnToService.KexecThenFirmware : ReturnToService.Kexec;
        } else {
          backUs = backViaFirmwareUs;
          back = ReturnToService.Firmware;
        }
      }
      if (reason < 0) {
        const cpus = p.captureCpus[s]!;
        if (cpus !== dumpCpus) {
          // makedumpfile filters on every CPU the capture kernel brought up.
          if (usPerGiB < 0) {
            usPerGiB = sampler.draw(p.dumpUsPerGiB, u, CrashSlot.DumpRate);
          }
          dumpUs = dumpMicros(p.ramGiB, percent, usPerGiB, p.filterUsPerGiB / cpus);
          dumpCpus = cpus;
        }
        if (staleParameters) {
          reason = Reason.StaleKexecParameters;
        } else if (backupLost) {
          reason = Reason.BackupRegionLost;
        }
        downtimeUs = beforeCaptureUs + kernelBootUs + dumpUs + backUs;
      } else if (reason === Reason.DumpTargetMissing) {
        // The capture kernel came up but has nowhere to write: kdump's failure action reboots.
        downtimeUs = beforeCaptureUs + kernelBootUs + backUs;
      } else if (reason === Reason.InterruptStorm) {
        // The capture kernel hangs in an interrupt storm until the watchdog resets the server.
        downtimeUs = beforeCaptureUs + kernelBootUs + p.hangWatchdogUs + backViaFirmwareUs;
      } else {
        // The capture kernel died: panic=N reboots it through firmware.
        downtimeUs = beforeCaptureUs + kernelBootUs + p.panicRebootUs + backViaFirmwareUs;
      }
      const dumped =
        reason < 0 || reason === Reason.StaleKexecParameters || reason === Reason.BackupRegionLost;
      const until = r.probedUntil;
      const table = b.reinitTable();
      const offset = b.reinitOffset();
      const up = dumped || reason === Reason.DumpTargetMissing;
      const strategyDumpUs = dumped ? dumpUs : -1;
      for (let member = s; member >= 0; member = nextInClass[member]!) {
        out.setOutcome(
          member,
          reason,
          culprit,
          kernelBootUs,
          up,
          strategyDumpUs,
          downtimeUs,
          back,
          p.captureCpus[member]!,
          table,
          offset,
          until,
          s * n,
        );
        if (keepDevices) {
          b.recordDevices(p, out, member);
        }
      }
    }
  }
}

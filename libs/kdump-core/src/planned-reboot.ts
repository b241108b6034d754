/**
 * A planned reboot (a kernel roll-out), by the spec's path:
 *
 * - firmware: POST resets and pre-initialises every device, the next kernel finds
 *   them all quiescent, and the strategy has nothing to do;
 * - kexec: firmware is skipped; each driver's shutdown method should have quiesced
 *   its device, and some do not (or have none). The production kernel then brings
 *   the devices up as each strategy orders; if it dies on a device left dirty, the
 *   server goes through panic=N (or the watchdog) and a firmware reboot after all.
 */
import type { CompiledExperiment, CompiledProfile, CompiledStrategy } from './compile';
import { pickDeviceState } from './crash-detection';
import { CrashSlot, deviceBase, DeviceSlot } from './crash-layout';
import type { DeviceBringUp } from './device-bring-up';
import { kexecBringUpClasses, type BringUpClasses } from './equivalent-strategies';
import { ReturnToService, type JobOutcome } from './job-outcome';
import { Reason, State } from './outcome';
import { emptyResetPlan, resetPlan, type ResetPlan } from './reset-plan';
import type { Sampler } from './sampler';

/** The "strategy" of a firmware boot: POST did every reset, every driver loads plain. */
const NO_STRATEGY: CompiledStrategy = {
  name: '(firmware boot)',
  resetDevices: false,
  hardening: false,
  irqpoll: false,
  nousb: false,
  nrCpus: 1,
  steps: new Int32Array(0),
};

/** The planned reboots of one experiment. Reusable; not shareable across threads. */
export class PlannedReboot {
  /** Per profile: strategies whose bring-up in the next kernel after kexec is identical. */
  private readonly classes: BringUpClasses[];
  /** Per profile and strategy: the reset steps each device takes in the next kernel after kexec. */
  private readonly resets: ResetPlan[][];
  /** Per profile: no resets (a firmware reboot, where POST reset every device). */
  private readonly noResets: ResetPlan[];

  constructor(
    private readonly model: CompiledExperiment,
    private readonly sampler: Sampler,
    private readonly bringUp: DeviceBringUp,
  ) {
    this.classes = model.profiles.map((p) => kexecBringUpClasses(p, model.strategies));
    this.resets = model.profiles.map((p) => model.strategies.map((s) => resetPlan(p, s, -1)));
    this.noResets = model.profiles.map((p) => emptyResetPlan(p.deviceCount));
  }

  /**
   * Reboots the server and writes every strategy's outcome into `out`.
   * @param profile the server's profile index; `p` is that profile
   * @param u the job's uniforms, which the bring-up began the job with
   * @param viaKexec kexec (firmware skipped), or firmware
   */
  reboot(
    profile: number,
    p: CompiledProfile,
    u: Float64Array,
    viaKexec: boolean,
    out: JobOutcome,
  ): void {
    const postUs = this.sampler.draw(p.firmwarePost, u, CrashSlot.FirmwarePost);
    const bootUs = this.sampler.draw(p.kernelBoot, u, CrashSlot.KernelBoot);
    out.bootPath = viaKexec ? 'kexec' : 'firmware';
    // A kexec reboot skips firmware: no POST.
    out.firmwarePostUs = viaKexec ? -1 : postUs;
    out.kernelBootUs = bootUs;
    out.firmwareReturnUs = postUs + bootUs + this.bringUp.cleanDevicesMicros();
    if (viaKexec) {
      this.viaKexec(profile, p, u, postUs, bootUs, out);
    } else {
      this.viaFirmware(profile, p, postUs, bootUs, out);
    }
  }

  /** Firmware: POST resets and pre-initialises every device; the strategy has nothing to do. */
  private viaFirmware(
    profile: number,
    p: CompiledProfile,
    postUs: number,
    bootUs: number,
    out: JobOutcome,
  ): void {
    const n = p.deviceCount;
    const b = this.bringUp;
    const r = b.result;
    const states = out.initialStates;
    for (let d = 0; d < n; d++) {
      states[d] = State.Quiescent;
    }
    out.hasInitialStates = true;
    b.prepareDevices(p, states);
    b.run(p, NO_STRATEGY, this.noResets[profile]!, -1, -1, false, false, 0);
    const until = r.probedUntil;
    // Every strategy shares this bring-up.
    const table = b.reinitTable();
    const offset = b.reinitOffset();
    const kernelBootUs = bootUs + r.elapsedUs;
    const downtimeUs = postUs + bootUs + r.elapsedUs;
    for (let s = 0; s < this.model.strategies.length; s++) {
      out.setOutcome(
        s,
        -1,
        -1,
        kernelBootUs,
        true,
        -1,
        downtimeUs,
        ReturnToService.None,
        0,
        table,
        offset,
        until,
        -1,
      );
      if (out.keepDevices) {
        b.recordDevices(p, out, s);
      }
    }
  }

  /** kexec: each driver's shutdown method should have quiesced its device; some do not. */
  private viaKexec(
    profile: number,
    p: CompiledProfile,
    u: Float64Array,
    postUs: number,
    bootUs: number,
    out: JobOutcome,
  ): void {
    const n = p.deviceCount;
    const b = this.bringUp;
    const r = b.result;
    const strategies = this.model.strategies;
    const states = out.initialStates;
    for (let d = 0; d < n; d++) {
      const base = deviceBase(d);
      if (p.hasShutdown[d] === 0) {
        states[d] = pickDeviceState(p.idleCum, d * 4, u[base + DeviceSlot.State]!);
      } else if (u[base + DeviceSlot.ShutdownQuiesce]! < p.shutdownFailsToQuiesce[d]!) {
        states[d] = pickDeviceState(p.dirtyCum, d * 4, u[base + DeviceSlot.State]!);
      } else {
        states[d] = State.Quiescent;
      }
    }
    out.hasInitialStates = true;
    b.prepareDevices(p, states);
    const { leader, nextInClass } = this.classes[profile]!;
    const resets = this.resets[profile]!;
    const keepDevices = out.keepDevices;
    for (let s = 0; s < strategies.length; s++) {
      if (leader[s] !== s) {
        continue; // brought up with its class's leader
      }
      // The production kernel's command line: no irqpoll.
      let reason = b.run(p, strategies[s]!, resets[s]!, -1, -1, false, false, s);
      const kernelBootUs = bootUs + r.elapsedUs;
      let downtimeUs = kernelBootUs;
      const kernelDied = reason >= 0;
      const culprit = r.culprit;
      if (kernelDied) {
        // The new kernel died: panic (or hang in an interrupt storm), reboot through
        // firmware, devices reset by POST.
        if (reason === Reason.InterruptStorm) {
          downtimeUs = kernelBootUs + p.hangWatchdogUs + postUs + bootUs + b.cleanDevicesMicros();
        } else {
          reason = reason === Reason.DmarFault ? reason : Reason.KexecBootPanic;
          downtimeUs = kernelBootUs + p.panicRebootUs + postUs + bootUs + b.cleanDevicesMicros();
        }
      } else if (r.presentCount < n) {
        reason = Reason.DeviceMissing;
      }
      const until = r.probedUntil;
      const table = b.reinitTable();
      const offset = b.reinitOffset();
      for (let member = s; member >= 0; member = nextInClass[member]!) {
        out.setOutcome(
          member,
          reason,
          culprit,
          kernelBootUs,
          !kernelDied,
          -1,
          downtimeUs,
          ReturnToService.None,
          0,
          table,
          offset,
          until,
          -1,
        );
        if (keepDevices) {
          b.recordDevices(p, out, member);
        }
      }
    }
  }
}

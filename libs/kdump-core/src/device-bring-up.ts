/**
 * Bringing devices up in a kernel that did not get them from firmware: the
 * capture kernel after a crash (kdump boot path) or the next kernel of a planned
 * kexec reboot. Three phases, in kernel order:
 *
 * 1. Resets before probe, as the strategy orders them: config-restore (preinit
 *    from the configuration save_state kept in the first kernel), device-specific
 *    soft reset, FLR, PM reset, secondary bus reset. A step the device or bus
 *    does not offer is skipped; a step that leaves the device wedged (it does not
 *    answer) falls through to the next one.
 * 2. IOMMU initialisation: in-flight DMA that no reset stopped meets the new
 *    translation tables (DMAR faults, possibly SERR and a panic).
 * 3. Probe, device by device in bus order: memory from the crashkernel=
 *    reservation, the driver's own reset under reset_devices, hardened init, and
 *    the driver's reaction to a state it did not expect.
 */
import { busReset } from './bus-reset';
import type { CompiledProfile, CompiledStrategy } from './compile';
import { DEV_DISTS, DevDist, Step } from './compile';
import { busSlot, deviceBase, DeviceSlot } from './crash-layout';
import { resetRecovers } from './device-reset';
import type { Sampler } from './sampler';
import { Reason, State } from './outcome';

// Module-local copies: an exported or imported constant is a property load on every use.
const DISTS_PER_DEVICE = DEV_DISTS;
const DRIVER_RESET = 1 << 5;

/** Most devices a profile may have (validation enforces it). */
export const MAX_DEVICES = 64;

/** Bit of {@link DeviceBringUp.resetsApplied} for the driver's own reset under reset_devices. */
export const DRIVER_RESET_BIT = DRIVER_RESET;

/** What a driver does on probe when its device is in a state it did not expect. */
export const enum Reaction {
  Cope = 0,
  FailProbe = 1,
  Oops = 2,
  Panic = 3,
}

function pickReaction(cum: Float64Array, offset: number, u: number): number {
  if (u < cum[offset]!) {
    return Reaction.Cope;
  }
  if (u < cum[offset + 1]!) {
    return Reaction.FailProbe;
  }
  return u < cum[offset + 2]! ? Reaction.Oops : Reaction.Panic;
}

/** Scratch state and results of one bring-up. Reused across jobs: no allocation per job. */
export class DeviceBringUp {
  /** Device states as the bring-up goes. */
  readonly state = new Int32Array(MAX_DEVICES);
  /** Time each device took: resets, bus reset share, driver reset, probe. */
  readonly reinitUs = new Float64Array(MAX_DEVICES);
  /** 1 when the device was probed (its driver loaded and probe ran). */
  readonly probed = new Uint8Array(MAX_DEVICES);
  /** 1 when the device works after probe. */
  readonly present = new Uint8Array(MAX_DEVICES);
  /** Resets each device went through: bit `1 << Step.*`, and {@link DRIVER_RESET_BIT}. */
  readonly resetsApplied = new Uint8Array(MAX_DEVICES);
  /** Buses marked for a secondary bus reset. */
  readonly busMarked = new Uint8Array(MAX_DEVICES);
  /** Total time of the bring-up until it finished or failed, µs. */
  elapsedUs = 0;
  /** Device whose driver ended the bring-up, or -1. */
  culprit = -1;

  /** This job's driver reactions to an unexpected state, {@link Reaction} codes. */
  private readonly reaction = new Uint8Array(MAX_DEVICES);
  private readonly hardenedReaction = new Uint8Array(MAX_DEVICES);
  /** 1 where this job's in-flight DMA, left unstopped, ends the kernel. */
  private readonly dmarFatalHere = new Uint8Array(MAX_DEVICES);
  /** First device whose post-crash in-flight DMA is fatal when nothing resets it, or -1. */
  private firstDmarFault = -1;
  private readonly timeCache = new Float64Array(MAX_DEVICES * DEV_DISTS);
  private readonly busTimeCache = new Float64Array(MAX_DEVICES);
  private uniforms: Float64Array = new Float64Array(0);
  /** This job's initialisation time of each device from a quiescent state, µs. */
  private readonly initUs = new Float64Array(MAX_DEVICES);
  private cleanUs = 0;

  constructor(private readonly sampler: Sampler) {}

  /**
   * Starts a new job: its uniforms, with every lazily drawn time forgotten. Each
   * device's initialisation time is drawn now: every job needs them all (probe,
   * or the clean bring-up after a firmware reboot).
   */
  beginJob(p: CompiledProfile, uniforms: Float64Array): void {
    this.uniforms = uniforms;
    const n = p.deviceCount;
    this.timeCache.fill(-1, 0, n * DISTS_PER_DEVICE);
    this.busTimeCache.fill(-1, 0, p.busCount);
    let clean = 0;
    for (let d = 0; d < n; d++) {
      const i = d * DISTS_PER_DEVICE + DevDist.Init;
      const t = this.sampler.draw(p.devDist[i]!, uniforms[deviceBase(d) + DeviceSlot.Init]!);
      this.initUs[d] = t;
      this.timeCache[i] = t;
      clean += t;
    }
    this.cleanUs = clean;
  }

  /**
   * Decides, once per job, everything about the devices that does not depend on
   * the strategy: each driver's reaction to an unexpected state (normal and
   * hardened) and whether unstopped in-flight DMA would be fatal.
   * @param initial the device states the previous kernel left
   */
  prepareDevices(p: CompiledProfile, initial: Int32Array): void {
    const u = this.uniforms;
    this.firstDmarFault = -1;
    for (let d = 0; d < p.deviceCount; d++) {
      const base = deviceBase(d);
      const r = u[base + DeviceSlot.Reaction]!;
      this.reaction[d] = pickReaction(p.reactCum, d * 3, r);
      this.hardenedReaction[d] = pickReaction(p.hardenedCum, d * 3, r);
      const fatal = u[base + DeviceSlot.DmarFault]! < p.dmarFatal[d]! ? 1 : 0;
      this.dmarFatalHere[d] = fatal;
      if (fatal === 1 && initial[d] === State.InFlightDma && this.firstDmarFault < 0) {
        this.firstDmarFault = d;
      }
    }
  }

  /** This job's initialisation time of every device when all come up clean (after POST), µs. */
  cleanDevicesMicros(): number {
    return this.cleanUs;
  }

  /** This job's secondary bus reset time of bus `b`, µs, drawn on first use. */
  busResetTime(p: CompiledProfile, b: number): number {
    let t = this.busTimeCache[b]!;
    if (t < 0) {
      t = this.sampler.draw(p.busResetDist[b]!, this.uniforms[busSlot(p.deviceCount, b)]!);
      this.busTimeCache[b] = t;
    }
    return t;
  }

  /**
   * A device time of this job, drawn on first use and then shared by every
   * strategy (common random numbers; only the strategies that need it pay).
   */
  time(p: CompiledProfile, d: number, slot: number): number {
    const i = d * DISTS_PER_DEVICE + slot;
    let t = this.timeCache[i]!;
    if (t < 0) {
      t = this.sampler.draw(p.devDist[i]!, this.uniforms[deviceBase(d) + DeviceSlot.Init + slot]!);
      this.timeCache[i] = t;
    }
    return t;
  }

  /**
   * Brings every device up under one strategy.
   * @param initial device states the previous kernel left, `initial[d]`
   * @param loadedBase offset of this strategy's row in `p.loaded`, or -1 when
   *   every driver loads (a production kernel after kexec)
   * @param oomAt the device whose driver runs the capture kernel out of its
   *   reservation under this strategy ({@link CompiledProfile.oomAt}), or -1
   * @returns a {@link Reason} code, or -1 when the kernel survived probing
   */
  run(
    p: CompiledProfile,
    strategy: CompiledStrategy,
    initial: Int32Array,
    loadedBase: number,
    oomAt: number,
    panicOnOops: boolean,
  ): number {
    const n = p.deviceCount;
    const u = this.uniforms;
    const state = this.state;
    const reinit = this.reinitUs;
    for (let d = 0; d < n; d++) {
      state[d] = initial[d]!;
      reinit[d] = 0;
      this.probed[d] = 0;
      this.present[d] = 0;
      this.resetsApplied[d] = 0;
    }
    this.culprit = -1;
    this.elapsedUs = 0;

    // Phase 1: resets before probe.
    const steps = strategy.steps;
    if (steps.length > 0) {
      for (let b = 0; b < p.busCount; b++) {
        this.busMarked[b] = 0;
      }
      let anyBus = false;
      for (let d = 0; d < n; d++) {
        const loaded = loadedBase < 0 || p.loaded[loadedBase + d] === 1;
        const base = deviceBase(d);
        for (let i = 0; i < steps.length; i++) {
          const step = steps[i]!;
          let recovers: number;
          let slot: number;
          let uRecover: number;
          switch (step) {
            case Step.ConfigRestore:
              // preinit is a driver method: it needs the driver loaded, and save_state in the first kernel.
              if (!loaded || p.canConfigRestore[d] === 0) {
                continue;
              }
              reinit[d]! += this.time(p, d, DevDist.ConfigRestore);
              this.resetsApplied[d]! |= 1 << Step.ConfigRestore;
              if (state[d] === State.Wedged) {
                continue; // a restored configuration does not bring back a device that does not answer
              }
              if (
                state[d] !== State.Quiescent &&
                u[base + DeviceSlot.ConfigRestoreRecovers]! < p.configRestoreRecovers[d]!
              ) {
                state[d] = State.Quiescent;
              }
              break;
            case Step.BusReset:
              if (p.busSecondaryReset[p.devBus[d]!] === 0) {
                continue; // refused: root bus or NO_BUS_RESET
              }
              this.busMarked[p.devBus[d]!] = 1;
              anyBus = true;
              break;
            default:
              if (step === Step.DeviceSpecific) {
                recovers = p.deviceSpecificRecovers[d]!;
                slot = DevDist.DeviceSpecific;
                uRecover = u[base + DeviceSlot.DeviceSpecificRecovers]!;
              } else if (step === Step.Flr) {
                recovers = p.flrRecovers[d]!;
                slot = DevDist.Flr;
                uRecover = u[base + DeviceSlot.FlrRecovers]!;
              } else {
                recovers = p.pmRecovers[d]!;
                slot = DevDist.Pm;
                uRecover = u[base + DeviceSlot.PmRecovers]!;
              }
              if (recovers < 0) {
                continue; // the device does not have this reset
              }
              reinit[d]! += this.time(p, d, slot);
              this.resetsApplied[d]! |= 1 << step;
              state[d] = resetRecovers(state[d]!, recovers, uRecover);
              if (state[d] === State.Wedged) {
                continue; // still not answering: fall back to the next step
              }
              break;
          }
          break;
        }
      }
      for (let d = 0; d < n; d++) {
        this.elapsedUs += reinit[d]!;
      }
      if (anyBus) {
        // Each device pays its bus's reset in its own reinit time; the kernel pays it once per bus.
        this.elapsedUs += busReset(this, p, u);
      }
    }

    // Phase 2: the IOMMU comes up; unstopped in-flight DMA faults.
    if (steps.length === 0) {
      if (this.firstDmarFault >= 0) {
        this.culprit = this.firstDmarFault;
        return Reason.DmarFault;
      }
    } else {
      for (let d = 0; d < n; d++) {
        if (state[d] === State.InFlightDma && this.dmarFatalHere[d] === 1) {
          this.culprit = d;
          return Reason.DmarFault;
        }
      }
    }

    // Phase 3: probe.
    for (let d = 0; d < n; d++) {
      if (loadedBase >= 0 && p.loaded[loadedBase + d] === 0) {
        continue;
      }
      if (d === oomAt) {
        this.culprit = d;
        return Reason.CaptureKernelOom;
      }
      const base = deviceBase(d);
      const driverResets = strategy.resetDevices && p.honoursResetDevices[d] === 1;
      this.probed[d] = 1;
      const before = reinit[d]!;
      if (driverResets) {
        // The driver's own hard reset in init (doorbell, D3hot→D0): clears any dirty state,
        // brings back a wedged device with the driver's own odds.
        reinit[d]! += this.time(p, d, DevDist.ResetDevicesInit);
        this.resetsApplied[d]! |= DRIVER_RESET;
        if (state[d] !== State.Wedged) {
          state[d] = State.Quiescent;
        } else {
          if (u[base + DeviceSlot.DriverResetRecovers]! < p.driverResetRecovers[d]!) {
            state[d] = State.Quiescent;
          }
        }
      }
      if (strategy.hardening) {
        reinit[d]! += this.time(p, d, DevDist.HardeningInit);
      }
      const s = state[d]!;
      if (s === State.Quiescent) {
        reinit[d]! += this.initUs[d]!;
        this.present[d] = 1;
      } else if (s === State.Wedged) {
        reinit[d]! += this.time(p, d, DevDist.ProbeTimeout);
      } else {
        const reaction = strategy.hardening ? this.hardenedReaction[d]! : this.reaction[d]!;
        if (reaction === Reaction.Cope) {
          reinit[d]! += this.initUs[d]!;
          this.present[d] = 1;
        } else if (reaction === Reaction.FailProbe) {
          reinit[d]! += this.initUs[d]!; // probe fails after trying
        } else if (reaction === Reaction.Oops) {
          // Assumption: the driver oopses in its init, after doing all of it, like a failed
          // probe; the device stays absent. (Charging nothing would record a 0 µs reinit.)
          reinit[d]! += this.initUs[d]!;
          if (panicOnOops) {
            this.elapsedUs += reinit[d]! - before;
            this.culprit = d;
            return Reason.CaptureKernelOops;
          }
        } else {
          this.elapsedUs += reinit[d]! - before;
          this.culprit = d;
          return Reason.CaptureKernelPanic;
        }
      }
      this.elapsedUs += reinit[d]! - before;
    }
    return -1;
  }
}

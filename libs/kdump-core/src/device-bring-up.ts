/**
 * Bringing devices up in a kernel that did not get them from firmware: the
 * capture kernel after a crash (kdump boot path) or the next kernel of a planned
 * kexec reboot. Three phases, in kernel order:
 *
 * 1. Resets before probe, device by device, as the strategy orders them:
 *    config-restore (preinit from the configuration save_state kept in the first
 *    kernel), device-specific soft reset, FLR, PM reset, secondary bus reset (once
 *    per bus, on every device below it). A step the device or bus does not offer
 *    is skipped; a step that leaves the device wedged (it does not answer) falls
 *    through to the next one, a bus reset included. Each reset has explicit odds
 *    per state of leaving the device quiescent (device-reset.ts).
 * 2. IOMMU and interrupts: in-flight DMA that no reset stopped meets the new
 *    translation tables (DMAR faults, possibly SERR and a panic); without irqpoll,
 *    an interrupt the old kernel left pending may hang the kernel.
 * 3. Probe, device by device in bus order: memory from the crashkernel=
 *    reservation, the driver's own reset under reset_devices, hardened init, and
 *    the driver's reaction to a state it did not expect.
 */
import { secondaryBusReset } from './bus-reset';
import type { CompiledProfile, CompiledStrategy } from './compile';
import { DEV_DISTS, DevDist, Step } from './compile';
import { busSlot, deviceBase, DeviceSlot } from './crash-layout';
import { effectRow, resetEffect, resetScratch, type ResetScratch } from './device-reset';
import type { ResetPlan } from './reset-plan';
import type { Sampler } from './sampler';
import { Reason, State } from './outcome';

// Module-local copies: an exported or imported constant is a property load on every use.
const DISTS_PER_DEVICE = DEV_DISTS;
const DRIVER_RESET = 1 << 5;

/** {@link MAX_DEVICES} as a module-local constant: the hot loops index with it, and an export is a property load. */
const DEVICES = 64;
/** Most devices a profile may have (validation enforces it). */
export const MAX_DEVICES = DEVICES;

/** Bit of {@link DeviceRecordTable.deviceResets} for the driver's own reset under reset_devices. */
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

/**
 * How probe treats a driver under a strategy, as bits: the hardened init, and the
 * driver's own reset under reset_devices (for the drivers that honour it).
 */
const enum Treatment {
  Plain = 0,
  Hardened = 1,
  DriverReset = 2,
}
const TREATMENTS = 4;

/**
 * How probe finds a device: as the previous kernel left it, or quiescent after a
 * reset (a reset leaves a device as it was or makes it quiescent, nothing else).
 */
const enum Found {
  AsLeft = 0,
  AfterReset = 1,
}
/** Probe-table rows: one per treatment and {@link Found}. */
const PROBE_ROWS = TREATMENTS * 2;

/** Offset of the probe-table row of a treatment and a {@link Found}. */
function probeRow(treatment: number, found: number): number {
  return ((treatment << 1) | found) * DEVICES;
}

/** What probe did with a device. */
const enum Verdict {
  /** The driver came up: the device works. */
  Present = 0,
  /** Probe failed, or timed out on a wedged device. */
  Absent = 1,
  /** The driver oopsed: the device is absent, and the kernel dies with panic_on_oops. */
  Oops = 2,
  /** The driver panicked the kernel. */
  Panic = 3,
}

/** The strategy's driver treatment in probe. */
function treatmentOf(strategy: CompiledStrategy): number {
  return (
    (strategy.hardening ? Treatment.Hardened : Treatment.Plain) |
    (strategy.resetDevices ? Treatment.DriverReset : Treatment.Plain)
  );
}

/**
 * Per-device records of bring-ups, `[row * MAX_DEVICES + d]`, as
 * {@link DeviceBringUp.recordDevices} fills them for a trace.
 */
export interface DeviceRecordTable {
  /** State as probe found it (after the resets and the driver's own reset), a {@link State} code. */
  readonly deviceState: Uint8Array;
  /** Resets it went through: bit `1 << Step.*`, and {@link DRIVER_RESET_BIT}. */
  readonly deviceResets: Uint8Array;
  /** 1 when its driver loaded and probe ran. */
  readonly deviceProbed: Uint8Array;
  /** 1 when the device works after probe. */
  readonly devicePresent: Uint8Array;
  /** Its whole reinitialisation time, µs: resets, bus reset share, driver reset, probe. */
  readonly deviceReinitUs: Float64Array;
}

/** What one bring-up did. */
export interface BringUpResult {
  /** Total time of the bring-up until it finished or failed, µs. */
  readonly elapsedUs: number;
  /** Device whose driver ended the bring-up, or -1. */
  readonly culprit: number;
  /**
   * The loaded devices below this index were probed, the others not: the device
   * count when the kernel survived probing, past the culprit when its driver
   * killed the kernel in probe, the culprit itself on OOM, 0 on a DMAR fault.
   */
  readonly probedUntil: number;
  /** Devices present after probe. */
  readonly presentCount: number;
  /** Whether the profile's dump target is present after probe. */
  readonly dumpTargetPresent: boolean;
}

/** The bring-up's own, writable copy of its {@link BringUpResult}. */
class Results implements BringUpResult {
  elapsedUs = 0;
  culprit = -1;
  probedUntil = 0;
  presentCount = 0;
  dumpTargetPresent = false;
}

/**
 * Scratch state and results of one bring-up. Reused across jobs: no allocation per job.
 *
 * What probe does with a device depends only on the state probe finds it in and
 * on the driver treatment (hardened init, the driver's own reset under
 * reset_devices), and a reset leaves a device as it was or quiescent. So probe's
 * outcome is decided once per job, treatment and device, as left or after a reset
 * (the probe table), whichever strategies need it: a strategy without reset steps
 * only walks its loaded drivers through the table; one with reset steps resets
 * first, then does the same.
 *
 * The last {@link run}'s results are a read-only view, {@link result}, plus
 * {@link reinitTable}/{@link reinitOffset} and {@link stateBeforeProbe}; a trace
 * asks {@link recordDevices} for the per-device records.
 */
export class DeviceBringUp {
  /** The devices while resets run before probe (bus-reset.ts and the steps here write it). */
  private readonly scratch: ResetScratch = resetScratch(MAX_DEVICES);
  /** The results of the last bring-up, written here only. */
  private readonly last = new Results();
  /** What the last {@link run} did: read-only outside the bring-up, overwritten by the next run. */
  readonly result: BringUpResult = this.last;
  /** Reinitialisation time of device `d` is `reinitOf[reinitBase + d]` (for probed devices). */
  private reinitOf: Float64Array = this.scratch.reinitUs;
  private reinitBase = 0;
  /**
   * Per row (a strategy), the device times of its bring-up with resets, kept until
   * the next job so that every strategy's stay readable side by side.
   */
  private readonly reinitRows: Float64Array[] = [];

  /**
   * Where the last bring-up's device reinitialisation times are: device `d`'s (a
   * probed one, below {@link BringUpResult.probedUntil}) is
   * `reinitTable()[reinitOffset() + d]`. They stay there, unchanged, until the next
   * job's {@link prepareDevices}, whatever other rows' bring-ups run meanwhile.
   */
  reinitTable(): Float64Array {
    return this.reinitOf;
  }

  /** See {@link reinitTable}. */
  reinitOffset(): number {
    return this.reinitBase;
  }

  /** First device whose post-crash in-flight DMA is fatal when nothing resets it, or -1. */
  private firstDmarFault = -1;
  /** First device whose pending interrupt hangs a kernel without irqpoll when nothing clears it, or -1. */
  private firstInterruptStorm = -1;
  private readonly timeCache = new Float64Array(MAX_DEVICES * DEV_DISTS);
  private readonly busTimeCache = new Float64Array(MAX_DEVICES);
  private uniforms: Float64Array = new Float64Array(0);
  /** This job's initialisation time of each device from a quiescent state, µs. */
  private readonly initUs = new Float64Array(MAX_DEVICES);
  private cleanUs = 0;
  /** The states the previous kernel left, as {@link prepareDevices} got them. */
  private initial: Int32Array = this.scratch.state;

  /**
   * The probe table, `[probeRow(treatment, found) + d]`: what probe does with
   * device `d` under a treatment, found as left or after a reset, decided on first
   * use in a job (`probeJob` holds the job it was decided in).
   */
  private readonly probeUs = new Float64Array(PROBE_ROWS * DEVICES);
  private readonly probeVerdict = new Uint8Array(PROBE_ROWS * DEVICES);
  private readonly probeState = new Uint8Array(PROBE_ROWS * DEVICES);
  /** 1 where the verdict is {@link Verdict.Present}: counted without a branch. */
  private readonly probePresent = new Uint8Array(PROBE_ROWS * DEVICES);
  private readonly probeJob = new Int32Array(PROBE_ROWS * DEVICES).fill(-1);
  private job = 0;
  /** The last bring-up's inputs, for {@link recordDevices}. */
  private lastTreatment = 0;
  private lastLoadedBase = -1;
  private lastWithResets = false;

  constructor(private readonly sampler: Sampler) {}

  /**
   * Starts a new job: its uniforms, with every lazily drawn time forgotten. Each
   * device's initialisation time is drawn now: every job needs them all (probe,
   * or the clean bring-up after a firmware reboot).
   */
  beginJob(p: CompiledProfile, uniforms: Float64Array): void {
    this.uniforms = uniforms;
    const n = p.deviceCount;
    // Plain loops: a typed array's fill() is a builtin call, dearer than a few stores.
    const cache = this.timeCache;
    for (let i = 0, end = n * DISTS_PER_DEVICE; i < end; i++) {
      cache[i] = -1;
    }
    const busCache = this.busTimeCache;
    for (let b = 0; b < p.busCount; b++) {
      busCache[b] = -1;
    }
    let clean = 0;
    for (let d = 0; d < n; d++) {
      const i = d * DISTS_PER_DEVICE + DevDist.Init;
      const t = this.sampler.draw(p.devDist[i]!, uniforms, deviceBase(d) + DeviceSlot.Init);
      this.initUs[d] = t;
      cache[i] = t;
      clean += t;
    }
    this.cleanUs = clean;
  }

  /**
   * Takes the device states of a job, and decides the first device whose in-flight
   * DMA, left unstopped, would end the kernel. Everything else about the devices
   * that does not depend on the strategy (a driver's reaction to an unexpected
   * state, ...) is decided on first use, in the probe table.
   * @param initial the device states the previous kernel left; read until the next job
   */
  prepareDevices(p: CompiledProfile, initial: Int32Array): void {
    const u = this.uniforms;
    this.initial = initial;
    // A new probe table: entries decided in an earlier job no longer count.
    this.job = (this.job + 1) | 0;
    if (this.job < 0) {
      this.job = 0;
      this.probeJob.fill(-1);
    }
    this.firstDmarFault = -1;
    for (let d = 0; d < p.deviceCount; d++) {
      if (initial[d] === State.InFlightDma && this.dmarFatal(p, d, u)) {
        this.firstDmarFault = d;
        break;
      }
    }
    this.firstInterruptStorm = -1;
    for (let d = 0; d < p.deviceCount; d++) {
      if (initial[d] === State.PendingInterrupt && this.interruptHangs(p, d, u)) {
        this.firstInterruptStorm = d;
        break;
      }
    }
  }

  /** Whether device `d`'s pending interrupt, left uncleared, hangs a kernel without irqpoll. */
  private interruptHangs(p: CompiledProfile, d: number, u: Float64Array): boolean {
    return u[deviceBase(d) + DeviceSlot.InterruptStorm]! < p.interruptStormHangs[d]!;
  }

  /** Whether device `d`'s in-flight DMA, left unstopped, ends the kernel in this job. */
  private dmarFatal(p: CompiledProfile, d: number, u: Float64Array): boolean {
    return u[deviceBase(d) + DeviceSlot.DmarFault]! < p.dmarFatal[d]!;
  }

  /** This job's initialisation time of every device when all come up clean (after POST), µs. */
  cleanDevicesMicros(): number {
    return this.cleanUs;
  }

  /** This job's secondary bus reset time of bus `b`, µs, drawn on first use. */
  private busResetTime(p: CompiledProfile, b: number): number {
    let t = this.busTimeCache[b]!;
    if (t < 0) {
      t = this.sampler.draw(p.busResetDist[b]!, this.uniforms, busSlot(p.deviceCount, b));
      this.busTimeCache[b] = t;
    }
    return t;
  }

  /**
   * A device time of this job, drawn on first use and then shared by every
   * strategy (common random numbers; only the strategies that need it pay).
   */
  private time(p: CompiledProfile, d: number, slot: number): number {
    const i = d * DISTS_PER_DEVICE + slot;
    let t = this.timeCache[i]!;
    if (t < 0) {
      t = this.sampler.draw(p.devDist[i]!, this.uniforms, deviceBase(d) + DeviceSlot.Init + slot);
      this.timeCache[i] = t;
    }
    return t;
  }

  /**
   * Decides entry `i` of the probe table: probe of device `d` under `treatment`,
   * found as `found` says. The driver's own reset under reset_devices, hardened
   * init, then the driver's reaction to a state it did not expect.
   */
  private decideProbe(
    p: CompiledProfile,
    d: number,
    treatment: number,
    found: number,
    i: number,
  ): void {
    let us = 0;
    let s = found === Found.AsLeft ? this.initial[d]! : State.Quiescent;
    if ((treatment & Treatment.DriverReset) !== 0 && p.honoursResetDevices[d] === 1) {
      // The driver's own hard reset in init (doorbell, D3hot→D0): clears any dirty state,
      // brings back a wedged device with the driver's own odds.
      us += this.time(p, d, DevDist.ResetDevicesInit);
      s = resetEffect(
        s,
        p.driverResetClears,
        effectRow(d),
        this.uniforms[deviceBase(d) + DeviceSlot.DriverResetRecovers]!,
      );
    }
    const hardened = (treatment & Treatment.Hardened) !== 0;
    if (hardened) {
      us += this.time(p, d, DevDist.HardeningInit);
    }
    let verdict: number;
    if (s === State.Quiescent) {
      us += this.initUs[d]!;
      verdict = Verdict.Present;
    } else if (s === State.Wedged) {
      us += this.time(p, d, DevDist.ProbeTimeout);
      verdict = Verdict.Absent;
    } else {
      const reaction = pickReaction(
        hardened ? p.hardenedCum : p.reactCum,
        d * 3,
        this.uniforms[deviceBase(d) + DeviceSlot.Reaction]!,
      );
      if (reaction === Reaction.Cope) {
        us += this.initUs[d]!;
        verdict = Verdict.Present;
      } else if (reaction === Reaction.FailProbe) {
        us += this.initUs[d]!; // probe fails after trying
        verdict = Verdict.Absent;
      } else if (reaction === Reaction.Oops) {
        // Assumption: the driver oopses in its init, after doing all of it, like a failed
        // probe; the device stays absent. (Charging nothing would record a 0 µs reinit.)
        us += this.initUs[d]!;
        verdict = Verdict.Oops;
      } else {
        // The same assumption for a panic: the driver panics in its init, having done it.
        us += this.initUs[d]!;
        verdict = Verdict.Panic;
      }
    }
    this.probeUs[i] = us;
    this.probeVerdict[i] = verdict;
    this.probePresent[i] = verdict === Verdict.Present ? 1 : 0;
    this.probeState[i] = s;
    this.probeJob[i] = this.job;
  }

  /**
   * Brings every device up under one strategy, from the states {@link prepareDevices} got.
   * @param resets the strategy's reset plan on this profile and for this kernel
   * @param loadedBase offset of this strategy's row in `p.loaded`, or -1 when
   *   every driver loads (a production kernel after kexec)
   * @param oomAt the device whose driver runs the capture kernel out of its
   *   reservation under this strategy ({@link CompiledProfile.oomAt}), or -1
   * @param irqpoll the kernel boots with irqpoll (the capture kernel of a strategy that sets it)
   * @param row where a strategy with resets keeps its device times for the rest of
   *   the job ({@link reinitTable}): a row no other bring-up of the job uses (the
   *   strategy's index)
   * @returns a {@link Reason} code, or -1 when the kernel survived probing
   */
  run(
    p: CompiledProfile,
    strategy: CompiledStrategy,
    resets: ResetPlan,
    loadedBase: number,
    oomAt: number,
    panicOnOops: boolean,
    irqpoll: boolean,
    row: number,
  ): number {
    const treatment = treatmentOf(strategy);
    this.lastTreatment = treatment;
    this.lastLoadedBase = loadedBase;
    this.lastWithResets = strategy.steps.length > 0;
    if (!this.lastWithResets) {
      return this.probeAsLeft(p, treatment, loadedBase, oomAt, panicOnOops, irqpoll);
    }
    const rows = this.reinitRows;
    while (rows.length <= row) {
      rows.push(new Float64Array(MAX_DEVICES));
    }
    this.scratch.reinitUs = rows[row]!;
    return this.resetThenProbe(p, resets, treatment, loadedBase, oomAt, panicOnOops, irqpoll);
  }

  /**
   * The state the last bring-up left device `d` in before its driver probed it: after
   * the strategy's resets, or as the previous kernel left it.
   */
  stateBeforeProbe(d: number): number {
    return this.lastWithResets ? this.scratch.state[d]! : this.initial[d]!;
  }

  /**
   * A strategy without reset steps: in-flight DMA meets the IOMMU as the crash left
   * it, then probe, device by device, from the probe table.
   */
  private probeAsLeft(
    p: CompiledProfile,
    treatment: number,
    loadedBase: number,
    oomAt: number,
    panicOnOops: boolean,
    irqpoll: boolean,
  ): number {
    const row = probeRow(treatment, Found.AsLeft);
    this.reinitOf = this.probeUs;
    this.reinitBase = row;
    this.last.presentCount = 0;
    this.last.dumpTargetPresent = false;
    if (this.firstDmarFault >= 0) {
      return this.stopped(0, 0, this.firstDmarFault, 0, Reason.DmarFault);
    }
    if (this.firstInterruptStorm >= 0 && !irqpoll) {
      return this.stopped(0, 0, this.firstInterruptStorm, 0, Reason.InterruptStorm);
    }
    const n = p.deviceCount;
    const loaded = p.loaded;
    const probeJob = this.probeJob;
    const verdicts = this.probeVerdict;
    const us = this.probeUs;
    const job = this.job;
    const presentAfter = this.probePresent;
    let elapsed = 0;
    let present = 0;
    for (let d = 0; d < n; d++) {
      if (loadedBase >= 0 && loaded[loadedBase + d] === 0) {
        continue;
      }
      if (d === oomAt) {
        return this.stopped(elapsed, present, d, d, Reason.CaptureKernelOom);
      }
      const i = row + d;
      if (probeJob[i] !== job) {
        this.decideProbe(p, d, treatment, Found.AsLeft, i);
      }
      elapsed += us[i]!;
      present += presentAfter[i]!;
      const verdict = verdicts[i]!;
      if (verdict >= Verdict.Oops && (verdict === Verdict.Panic || panicOnOops)) {
        const reason =
          verdict === Verdict.Panic ? Reason.CaptureKernelPanic : Reason.CaptureKernelOops;
        return this.stopped(elapsed, present, d, d + 1, reason);
      }
    }
    const target = p.dumpTarget;
    this.last.dumpTargetPresent =
      (loadedBase < 0 || loaded[loadedBase + target] === 1) && presentAfter[row + target] === 1;
    return this.stopped(elapsed, present, -1, n, -1);
  }

  /** Ends a bring-up with its results; returns `reason` (a {@link Reason}, or -1 when it survived). */
  private stopped(
    elapsedUs: number,
    presentCount: number,
    culprit: number,
    probedUntil: number,
    reason: number,
  ): number {
    const last = this.last;
    last.elapsedUs = elapsedUs;
    last.presentCount = presentCount;
    last.culprit = culprit;
    last.probedUntil = probedUntil;
    return reason;
  }

  /** A strategy with reset steps: resets before probe, the IOMMU and interrupts, then probe. */
  private resetThenProbe(
    p: CompiledProfile,
    plan: ResetPlan,
    treatment: number,
    loadedBase: number,
    oomAt: number,
    panicOnOops: boolean,
    irqpoll: boolean,
  ): number {
    const n = p.deviceCount;
    const u = this.uniforms;
    const initial = this.initial;
    const scratch = this.scratch;
    const { state, reinitUs: reinit, applied, busDone } = scratch;
    const loaded = p.loaded;
    this.reinitOf = reinit;
    this.reinitBase = 0;
    this.last.presentCount = 0;
    this.last.dumpTargetPresent = false;
    this.last.culprit = -1;

    // Phase 1: resets before probe, device by device, each device's steps in the plan's
    // order. A bus reset happens once per bus and meets every device below it (those
    // walked already and those still to come); a device still wedged after a step,
    // a bus reset included, falls through to its next one.
    for (let d = 0; d < n; d++) {
      state[d] = initial[d]!;
      reinit[d] = 0;
      applied[d] = 0;
    }
    for (let b = 0; b < p.busCount; b++) {
      busDone[b] = 0;
    }
    const { first, step: steps, durationDist, recoverySlot, clears } = plan;
    let elapsed = 0;
    for (let d = 0; d < n; d++) {
      const base = deviceBase(d);
      const last = first[d + 1]!;
      for (let k = first[d]!; k < last; k++) {
        const step = steps[k]!;
        if (step === Step.BusReset) {
          const bus = p.devBus[d]!;
          if (busDone[bus] === 0) {
            // Each device pays its bus's reset in its own reinit time; the kernel pays it once.
            const t = this.busResetTime(p, bus);
            elapsed += t;
            secondaryBusReset(p, bus, t, scratch, u);
          }
        } else {
          const t = this.time(p, d, durationDist[k]!);
          reinit[d]! += t;
          elapsed += t;
          applied[d]! |= 1 << step;
          state[d] = resetEffect(state[d]!, clears, effectRow(k), u[base + recoverySlot[k]!]!);
        }
        if (state[d] !== State.Wedged) {
          break;
        }
        // still not answering: fall back to the next step
      }
    }

    // Phase 2: the IOMMU comes up, then interrupts. Unstopped in-flight DMA faults (resets
    // never start DMA: without a fatal one as the crash left the devices, there is none
    // now); without irqpoll, an interrupt left pending may hang the kernel.
    if (this.firstDmarFault >= 0) {
      for (let d = this.firstDmarFault; d < n; d++) {
        if (state[d] === State.InFlightDma && this.dmarFatal(p, d, u)) {
          return this.stopped(elapsed, 0, d, 0, Reason.DmarFault);
        }
      }
    }
    if (this.firstInterruptStorm >= 0 && !irqpoll) {
      for (let d = this.firstInterruptStorm; d < n; d++) {
        if (state[d] === State.PendingInterrupt && this.interruptHangs(p, d, u)) {
          return this.stopped(elapsed, 0, d, 0, Reason.InterruptStorm);
        }
      }
    }

    // Phase 3: probe, from the probe table.
    const us = this.probeUs;
    const verdicts = this.probeVerdict;
    const probeJob = this.probeJob;
    const job = this.job;
    const asLeft = probeRow(treatment, Found.AsLeft);
    const afterReset = probeRow(treatment, Found.AfterReset);
    const presentAfter = this.probePresent;
    let present = 0;
    for (let d = 0; d < n; d++) {
      if (loadedBase >= 0 && loaded[loadedBase + d] === 0) {
        continue;
      }
      if (d === oomAt) {
        return this.stopped(elapsed, present, d, d, Reason.CaptureKernelOom);
      }
      const found = state[d] === initial[d] ? Found.AsLeft : Found.AfterReset;
      const i = (found === Found.AsLeft ? asLeft : afterReset) + d;
      if (probeJob[i] !== job) {
        if (found === Found.AfterReset && state[d] !== State.Quiescent) {
          throw new RangeError(`reset left device ${d} in state ${state[d]}, not quiescent`);
        }
        this.decideProbe(p, d, treatment, found, i);
      }
      reinit[d]! += us[i]!;
      elapsed += us[i]!;
      present += presentAfter[i]!;
      if (d === p.dumpTarget) {
        this.last.dumpTargetPresent = presentAfter[i] === 1;
      }
      const verdict = verdicts[i]!;
      if (verdict >= Verdict.Oops && (verdict === Verdict.Panic || panicOnOops)) {
        const reason =
          verdict === Verdict.Panic ? Reason.CaptureKernelPanic : Reason.CaptureKernelOops;
        return this.stopped(elapsed, present, d, d + 1, reason);
      }
    }
    return this.stopped(elapsed, present, -1, n, -1);
  }

  /**
   * Writes the per-device records of the last bring-up into row `row` of `into`
   * (for a trace): states as probe found them, resets, probed, present and
   * reinitialisation times. Reads the bring-up's results, changes nothing.
   */
  recordDevices(p: CompiledProfile, into: DeviceRecordTable, row: number): void {
    const n = p.deviceCount;
    const loadedBase = this.lastLoadedBase;
    const treatment = this.lastTreatment;
    const withResets = this.lastWithResets;
    const { state, reinitUs, applied } = this.scratch;
    const at = row * DEVICES;
    for (let d = 0; d < n; d++) {
      const probed =
        d < this.last.probedUntil && (loadedBase < 0 || p.loaded[loadedBase + d] === 1);
      // Without resets, the devices went from the previous kernel straight to probe.
      let s = withResets ? state[d]! : this.initial[d]!;
      let us = withResets ? reinitUs[d]! : 0;
      let resets = withResets ? applied[d]! : 0;
      let present = 0;
      if (probed) {
        const found = withResets && state[d] !== this.initial[d] ? Found.AfterReset : Found.AsLeft;
        const i = probeRow(treatment, found) + d;
        if (!withResets) {
          us = this.probeUs[i]!;
        }
        s = this.probeState[i]!;
        present = this.probeVerdict[i] === Verdict.Present ? 1 : 0;
        if ((treatment & Treatment.DriverReset) !== 0 && p.honoursResetDevices[d] === 1) {
          resets |= DRIVER_RESET;
        }
      }
      into.deviceState[at + d] = s;
      into.deviceResets[at + d] = resets;
      into.deviceProbed[at + d] = probed ? 1 : 0;
      into.devicePresent[at + d] = present;
      into.deviceReinitUs[at + d] = us;
    }
  }
}

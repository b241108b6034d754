/**
 * The fleet engine: simulates the crash and reboot jobs of a range of servers
 * under every strategy of an experiment, into a mergeable aggregate.
 *
 * Per job, everything that does not depend on the strategy (the crash cause,
 * detection, crash_kexec, machine shutdown, purgatory, post-crash device states,
 * dump size, firmware and kernel boot times) is decided once; each strategy then
 * only runs the device bring-up. Every strategy meets the same crash (common
 * random numbers), so strategy differences are paired comparisons. Strategies
 * whose bring-up is identical on a profile (equivalent-strategies.ts) are brought
 * up once and recorded for each, exactly as if each had been brought up alone.
 */
import { Counter, emptyAggregate, Hist, type Aggregate, AggregateLayout } from './aggregate';
import type { CompiledExperiment, CompiledProfile, CompiledStrategy } from './compile';
import { pickCause, pickDeviceState } from './crash-detection';
import { kexecReturnFails } from './kexec-return';
import { CrashSlot, deviceBase, DeviceSlot, uniformsPerJob } from './crash-layout';
import { DeviceBringUp, MAX_DEVICES } from './device-bring-up';
import { dumpMicros } from './dump';
import {
  crashBringUpClasses,
  kexecBringUpClasses,
  type BringUpClasses,
} from './equivalent-strategies';
import { HISTOGRAM_STRIDE, recordMicros } from './histogram';
import { crashShutdownMicros } from './machine-crash-shutdown';
import { Reason, State, type JobKind } from './outcome';
import { KeyedStream, poissonDraw, StreamPurpose } from './prng';
import { purgatoryMismatch } from './purgatory';
import { emptyResetPlan, resetPlan, type ResetPlan } from './reset-plan';
import { Sampler } from './sampler';
import { JobRecord } from './job-record';
import { JobTraceBuilder, type JobTrace } from './trace';

// A module-local copy: an imported constant is a property load on every use.
const HISTOGRAM_STRIDE_ = HISTOGRAM_STRIDE;

/** A batch of servers: the unit of work of a thread or a BullMQ job. */
export interface ShardTask {
  /** Shard number in the plan. */
  index: number;
  /** First server index, inclusive. */
  serverStart: number;
  /** Last server index, exclusive. */
  serverEnd: number;
}

const CRASH = 0;
const REBOOT = 1;

/** Work counters of an engine, for progress and for the benchmark's floor loop. */
export interface EngineCounters {
  uniforms: number;
  histogramInserts: number;
  crashJobs: number;
  rebootJobs: number;
  /** One job × one strategy. */
  evaluations: number;
  /** Transforms by distribution kind (constant, uniform, exponential, lognormal, empirical). */
  drawsByKind: Float64Array;
}

const NO_STRATEGY: CompiledStrategy = {
  name: '(firmware boot)',
  resetDevices: false,
  hardening: false,
  irqpoll: false,
  nousb: false,
  nrCpus: 1,
  steps: new Int32Array(0),
};

/** Simulates shards of one compiled experiment. Reusable; not shareable across threads. */
export class FleetEngine {
  readonly layout: AggregateLayout;
  readonly counters: EngineCounters;
  private readonly sampler = new Sampler();
  private readonly bringUp = new DeviceBringUp(this.sampler);
  private readonly stream = new KeyedStream();
  private readonly uniforms: Float64Array;
  private readonly states = new Int32Array(MAX_DEVICES);
  private slots: Float64Array = new Float64Array(0);
  /** Per profile: strategies whose capture-kernel bring-up is identical, brought up once. */
  private readonly crashClasses: BringUpClasses[];
  /** Per profile: the same for the next kernel after a planned kexec. */
  private readonly kexecClasses: BringUpClasses[];
  /** Per profile and strategy: the reset steps each device takes in the capture kernel. */
  private readonly crashResets: ResetPlan[][];
  /** Per profile and strategy: the same in the next kernel after a planned kexec. */
  private readonly kexecResets: ResetPlan[][];
  /** Per profile: no resets (a firmware reboot, where POST reset every device). */
  private readonly noResets: ResetPlan[];
  /** Set only while {@link traceJob} runs; the shard path checks it and moves on. */
  private trace: JobTraceBuilder | null = null;
  /** Per-profile blocks and paired sums of the job under way. */
  private readonly job: JobRecord;

  constructor(readonly model: CompiledExperiment) {
    this.layout = new AggregateLayout(
      model.strategies.map((s) => s.name),
      model.deviceClasses,
      model.culprits,
      model.profiles.map((p) => p.name),
      model.baseline,
    );
    this.job = new JobRecord(this.layout);
    let most = 0;
    for (const p of model.profiles) {
      most = Math.max(most, uniformsPerJob(p.deviceCount, p.busCount));
    }
    this.uniforms = new Float64Array(most);
    this.crashClasses = model.profiles.map((p) => crashBringUpClasses(p, model.strategies));
    this.kexecClasses = model.profiles.map((p) => kexecBringUpClasses(p, model.strategies));
    this.crashResets = model.profiles.map((p) =>
      model.strategies.map((s, i) => resetPlan(p, s, i * p.deviceCount)),
    );
    this.kexecResets = model.profiles.map((p) => model.strategies.map((s) => resetPlan(p, s, -1)));
    this.noResets = model.profiles.map((p) => emptyResetPlan(p.deviceCount));
    this.counters = {
      uniforms: 0,
      histogramInserts: 0,
      crashJobs: 0,
      rebootJobs: 0,
      evaluations: 0,
      drawsByKind: this.sampler.drawsByKind,
    };
  }

  /** Simulates servers [serverStart, serverEnd) into `into` (a fresh aggregate by default). */
  runShard(task: ShardTask, into: Aggregate = emptyAggregate(this.layout)): Aggregate {
    const m = this.model;
    if (
      !(Number.isInteger(task.serverStart) && Number.isInteger(task.serverEnd)) ||
      task.serverStart < 0 ||
      task.serverEnd > m.servers ||
      task.serverStart > task.serverEnd
    ) {
      throw new RangeError(
        `shard ${task.index}: servers [${task.serverStart}, ${task.serverEnd}) outside the fleet of ${m.servers}`,
      );
    }
    if (into.slots.length !== this.layout.size) {
      throw new RangeError(
        `aggregate has ${into.slots.length} slots, layout needs ${this.layout.size}`,
      );
    }
    this.slots = into.slots;
    let segment = 0;
    for (let server = task.serverStart; server < task.serverEnd; server++) {
      while (server >= m.segmentStart[segment + 1]!) {
        segment++;
      }
      this.simulateServer(m.segmentProfile[segment]!, server);
    }
    return into;
  }

  /** The events of one server: its crashes, then its planned reboots. */
  private simulateServer(profile: number, server: number): void {
    const m = this.model;
    this.slots[this.layout.serversSlot]! += 1;
    if (m.crashes) {
      const count = this.eventCount(server, 'crash');
      for (let e = 0; e < count; e++) {
        this.job.begin(profile);
        this.simulateCrash(profile, server, e);
        this.job.finish(this.slots, CRASH);
      }
    }
    if (m.reboots) {
      const count = this.eventCount(server, 'reboot');
      for (let e = 0; e < count; e++) {
        this.job.begin(profile);
        this.simulateReboot(profile, server, e, m.reboots.viaKexec);
        this.job.finish(this.slots, REBOOT);
      }
    }
  }

  /** How many crashes or planned reboots a server has (0 when the spec has none of that kind). */
  eventCount(server: number, kind: JobKind): number {
    const m = this.model;
    const plan = kind === 'crash' ? m.crashes : m.reboots;
    if (!plan) {
      return 0;
    }
    return (
      plan.fixed ??
      poissonDraw(
        this.stream.rekey(m.seed, server, kind === 'crash' ? 0 : 1, StreamPurpose.EventCount),
        plan.poissonMean,
      )
    );
  }

  /** Records a time into histogram `hist` of the (strategy, job kind) block at `block`. */
  private record(block: number, hist: number, micros: number): void {
    recordMicros(this.slots, block + hist * HISTOGRAM_STRIDE_, micros);
    this.job.time(this.slots, block, hist, micros);
    this.counters.histogramInserts++;
  }

  /** Counts one job of the block at `block`: a success, or a failure for `reason`. */
  private count(block: number, success: boolean, reason: number): void {
    const slots = this.slots;
    const counters = block + this.layout.countersOffset;
    slots[counters + Counter.Jobs]! += 1;
    slots[counters + (success ? Counter.Successes : Counter.Reasons + reason)]! += 1;
    this.job.count(slots, block, success, reason);
    this.counters.evaluations++;
  }

  /** Counts a failure for `reason` against device `d` of profile `p` (strategy `s`, kind `k`). */
  private countCulprit(p: CompiledProfile, s: number, k: number, reason: number, d: number): void {
    if (d >= 0) {
      const slot = this.layout.culpritSlot(s, k, reason, p.devCulprit[d]!);
      if (slot >= 0) {
        this.slots[slot]! += 1;
      }
    }
  }

  /** Records the reinitialisation time of every device the last bring-up probed. */
  private recordDevices(p: CompiledProfile, block: number, loadedBase: number): void {
    const b = this.bringUp;
    const slots = this.slots;
    const loaded = p.loaded;
    const devClass = p.devClass;
    const until = b.probedUntil;
    const reinit = b.reinitOf;
    const base = b.reinitBase;
    const first = block + Hist.DeviceReinit * HISTOGRAM_STRIDE_;
    let inserts = 0;
    for (let d = 0; d < until; d++) {
      if (loadedBase < 0 || loaded[loadedBase + d] === 1) {
        recordMicros(slots, first + devClass[d]! * HISTOGRAM_STRIDE_, reinit[base + d]!);
        inserts++;
      }
    }
    this.counters.histogramInserts += inserts;
  }

  /** Paired outcomes: for every ordered pair, count jobs where a succeeded and b did not. */
  private countPairs(kind: number, successMask: number): void {
    const n = this.model.strategies.length;
    const all = n >= 32 ? -1 : (1 << n) - 1;
    if (successMask === 0 || (successMask | 0) === (all | 0)) {
      return;
    }
    const slots = this.slots;
    const failMask = ~successMask & all;
    // Bit by bit, lowest first: `m & -m` is the lowest set bit, `m & (m - 1)` clears it.
    for (let succeeded = successMask; succeeded !== 0; succeeded &= succeeded - 1) {
      const a = 31 - Math.clz32(succeeded & -succeeded);
      const row = this.layout.pair(kind, a, 0);
      for (let failed = failMask; failed !== 0; failed &= failed - 1) {
        slots[row + 31 - Math.clz32(failed & -failed)]! += 1;
      }
    }
  }

  private beginJob(
    p: CompiledProfile,
    server: number,
    event: number,
    purpose: StreamPurpose,
  ): Float64Array {
    const u = this.uniforms;
    const count = uniformsPerJob(p.deviceCount, p.busCount);
    this.stream.rekey(this.model.seed, server, event, purpose).fillUniforms(u, count);
    this.counters.uniforms += count;
    this.bringUp.beginJob(p, u);
    return u;
  }

  /** One crash down the kdump path, under every strategy. */
  private simulateCrash(profile: number, server: number, event: number): void {
    const m = this.model;
    const p = m.profiles[profile]!;
    const sampler = this.sampler;
    const u = this.beginJob(p, server, event, StreamPurpose.Crash);
    this.counters.crashJobs++;
    const strategies = m.strategies;
    const n = p.deviceCount;
    const trace = this.trace;

    // Crash detection.
    const cause = pickCause(m.causeCum, u[CrashSlot.Cause]!);
    const detectUs = sampler.draw(m.causeDetection[cause]!, u[CrashSlot.Detection]!);
    const postUs = sampler.draw(p.firmwarePost, u[CrashSlot.FirmwarePost]!);
    const bootUs = sampler.draw(p.kernelBoot, u[CrashSlot.KernelBoot]!);
    const cleanDevicesUs = this.bringUp.cleanDevicesMicros();
    const backViaFirmwareUs = postUs + bootUs + cleanDevicesUs;

    let common = -1;
    let downtimeUs = 0;
    let beforeCaptureUs = 0;
    let kexecUs = -1;
    let shutdownUs = -1;
    let stale = false;
    if (u[CrashSlot.UndetectedHang]! < m.causeUndetected[cause]!) {
      common = Reason.HangUndetected;
      downtimeUs = p.hangWatchdogUs + backViaFirmwareUs;
    } else {
      // crash_kexec
      kexecUs = sampler.draw(p.crashKexec, u[CrashSlot.CrashKexec]!);
      if (u[CrashSlot.CaptureKernelLoaded]! >= p.captureKernelLoaded) {
        common = Reason.CaptureKernelNotLoaded;
        downtimeUs = detectUs + kexecUs + p.panicRebootUs + backViaFirmwareUs;
      } else {
        // machine_crash_shutdown, then purgatory
        stale = u[CrashSlot.StaleCpu]! < m.causeStaleCpu[cause]!;
        const cpuStopUs = stale ? 0 : sampler.draw(p.cpuStop, u[CrashSlot.CpuStop]!);
        shutdownUs = crashShutdownMicros(stale, cpuStopUs, p.nmiShootdownLimitUs);
        beforeCaptureUs = detectUs + kexecUs + shutdownUs + p.purgatoryDigestUs;
        if (stale && u[CrashSlot.StaleCpuBreaksCapture]! < p.staleCpuBreaksCapture) {
          common = Reason.StaleCpu;
          downtimeUs = beforeCaptureUs + p.hangWatchdogUs + backViaFirmwareUs;
        } else if (purgatoryMismatch(p.purgatoryDigestMismatch, u[CrashSlot.PurgatoryMismatch]!)) {
          common = Reason.PurgatoryDigestMismatch;
          downtimeUs = beforeCaptureUs + p.hangWatchdogUs + backViaFirmwareUs;
        }
      }
    }
    // What kexec passed to the capture kernel: elfcorehdr made stale by a hotplug since
    // kexec -p, and the backup region of the low memory it reuses (none on x86 today).
    const staleParameters = u[CrashSlot.StaleKexecParameters]! < p.staleKexecParameters;
    const backupLost = p.backupRegionKiB > 0 && u[CrashSlot.BackupRegionLost]! < p.backupRegionLost;
    if (trace) {
      trace.crashStages(m.causeNames[cause]!, {
        detectionUs: detectUs,
        crashKexecUs: kexecUs,
        machineShutdownUs: shutdownUs,
        staleCpu: stale,
        purgatoryUs: shutdownUs < 0 ? -1 : p.purgatoryDigestUs,
        firmwarePostUs: postUs,
        kernelBootUs: bootUs,
        staleKexecParameters: staleParameters,
        backupRegionKiB: p.backupRegionKiB,
        backupRegionLost: backupLost,
      });
    }
    if (common >= 0) {
      for (let s = 0; s < strategies.length; s++) {
        const blk = this.layout.block(s, CRASH);
        this.count(blk, false, common);
        this.record(blk, Hist.Downtime, downtimeUs);
        if (trace) {
          trace.commonOutcome(strategies[s]!.name, common, downtimeUs);
        }
      }
      return;
    }

    // The capture kernel boots from the reservation; devices are as the crash left them.
    const captureBaseUs = sampler.draw(p.captureKernelBoot, u[CrashSlot.CaptureKernelBoot]!);
    const states = this.states;
    const stateBase = cause * n * 4;
    for (let d = 0; d < n; d++) {
      states[d] = pickDeviceState(
        p.stateCum,
        stateBase + d * 4,
        u[deviceBase(d) + DeviceSlot.State]!,
      );
    }
    if (trace) {
      trace.initialStates(p, states);
    }
    this.bringUp.prepareDevices(p, states);
    // Back to production after the dump: through firmware (POST resets every device), or by
    // kexec, where the production kernel meets devices as the capture kernel left them.
    const kexecBackUs = bootUs + cleanDevicesUs;
    const kexecFailsBackUs = kexecBackUs + p.panicRebootUs + backViaFirmwareUs;
    const percent = sampler.draw(p.dumpPercent, u[CrashSlot.DumpPercent]!) / 1000;
    let usPerGiB = -1;
    let dumpCpus = 0;
    let dumpUs = -1;
    let successMask = 0;
    const b = this.bringUp;
    const { leader, nextInClass } = this.crashClasses[profile]!;
    const resets = this.crashResets[profile]!;
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
      );
      let kernelBootUs = captureBaseUs + b.elapsedUs;
      if (strategy.irqpoll) {
        // irqpoll polls every handler on each interrupt: the whole boot runs slower.
        kernelBootUs = Math.floor(kernelBootUs * (1 + p.irqpollSlowdown) + 0.5);
      }
      let culprit = b.culprit;
      if (reason < 0 && !b.dumpTargetPresent) {
        reason = Reason.DumpTargetMissing;
        culprit = p.dumpTarget;
      }
      let jobDowntimeUs: number;
      let backUs = 0;
      let returnFails = false;
      if (reason < 0 || reason === Reason.DumpTargetMissing) {
        if (p.rebootViaKexec) {
          returnFails = kexecReturnFails(p, b, s * n, u);
          backUs = returnFails ? kexecFailsBackUs : kexecBackUs;
        } else {
          backUs = backViaFirmwareUs;
        }
      }
      if (reason < 0) {
        const cpus = p.captureCpus[s]!;
        if (cpus !== dumpCpus) {
          // makedumpfile filters on every CPU the capture kernel brought up.
          if (usPerGiB < 0) {
            usPerGiB = sampler.draw(p.dumpUsPerGiB, u[CrashSlot.DumpRate]!);
          }
          dumpUs = dumpMicros(p.ramGiB, percent, usPerGiB, p.filterUsPerGiB / cpus);
          dumpCpus = cpus;
        }
        if (staleParameters) {
          reason = Reason.StaleKexecParameters;
        } else if (backupLost) {
          reason = Reason.BackupRegionLost;
        }
        jobDowntimeUs = beforeCaptureUs + kernelBootUs + dumpUs + backUs;
      } else if (reason === Reason.DumpTargetMissing) {
        // The capture kernel came up but has nowhere to write: kdump's failure action reboots.
        jobDowntimeUs = beforeCaptureUs + kernelBootUs + backUs;
      } else if (reason === Reason.InterruptStorm) {
        // The capture kernel hangs in an interrupt storm until the watchdog resets the server.
        jobDowntimeUs = beforeCaptureUs + kernelBootUs + p.hangWatchdogUs + backViaFirmwareUs;
      } else {
        // The capture kernel died: panic=N reboots it through firmware.
        jobDowntimeUs = beforeCaptureUs + kernelBootUs + p.panicRebootUs + backViaFirmwareUs;
      }
      const dumped =
        reason < 0 || reason === Reason.StaleKexecParameters || reason === Reason.BackupRegionLost;
      for (let member = s; member >= 0; member = nextInClass[member]!) {
        const blk = this.layout.block(member, CRASH);
        this.recordDevices(p, blk, s * n);
        if (dumped || reason === Reason.DumpTargetMissing) {
          this.record(blk, Hist.KernelBoot, kernelBootUs);
        }
        if (dumped) {
          this.record(blk, Hist.Dump, dumpUs);
        }
        if (reason < 0) {
          successMask |= 1 << member;
        } else {
          this.countCulprit(p, member, CRASH, reason, culprit);
        }
        this.record(blk, Hist.Downtime, jobDowntimeUs);
        this.count(blk, reason < 0, reason);
        if (trace) {
          b.completeDeviceRecords(p);
          trace.strategyOutcome(p, member, strategies[member]!, member * n, b, reason, culprit, {
            kernelBootUs,
            dumpUs: dumped ? dumpUs : -1,
            downtimeUs: jobDowntimeUs,
            captureCpus: p.captureCpus[member]!,
            returnToService:
              backUs === 0
                ? null
                : !p.rebootViaKexec
                  ? 'firmware'
                  : returnFails
                    ? 'kexec-then-firmware'
                    : 'kexec',
          });
        }
      }
    }
    this.countPairs(CRASH, successMask);
  }

  /** One planned reboot: firmware (POST resets every device) or kexec (shutdown methods ran). */
  private simulateReboot(profile: number, server: number, event: number, viaKexec: boolean): void {
    const m = this.model;
    const p = m.profiles[profile]!;
    const sampler = this.sampler;
    const u = this.beginJob(p, server, event, StreamPurpose.Reboot);
    this.counters.rebootJobs++;
    const n = p.deviceCount;
    const postUs = sampler.draw(p.firmwarePost, u[CrashSlot.FirmwarePost]!);
    const bootUs = sampler.draw(p.kernelBoot, u[CrashSlot.KernelBoot]!);
    const states = this.states;
    const b = this.bringUp;
    const trace = this.trace;
    if (trace) {
      // A kexec reboot skips firmware: no POST.
      trace.rebootStages(viaKexec ? 'kexec' : 'firmware', viaKexec ? -1 : postUs, bootUs);
    }

    if (!viaKexec) {
      // Firmware: POST resets and pre-initialises every device; the strategy has nothing to do.
      for (let d = 0; d < n; d++) {
        states[d] = State.Quiescent;
      }
      if (trace) {
        trace.initialStates(p, states);
      }
      b.prepareDevices(p, states);
      b.run(p, NO_STRATEGY, this.noResets[profile]!, -1, -1, false, false);
      if (trace) {
        b.completeDeviceRecords(p);
      }
      for (let s = 0; s < m.strategies.length; s++) {
        const blk = this.layout.block(s, REBOOT);
        this.recordDevices(p, blk, -1);
        this.record(blk, Hist.KernelBoot, bootUs + b.elapsedUs);
        this.record(blk, Hist.Downtime, postUs + bootUs + b.elapsedUs);
        this.count(blk, true, -1);
        if (trace) {
          trace.strategyOutcome(p, s, m.strategies[s]!, -1, b, -1, -1, {
            kernelBootUs: bootUs + b.elapsedUs,
            dumpUs: -1,
            downtimeUs: postUs + bootUs + b.elapsedUs,
            captureCpus: 0,
            returnToService: null,
          });
        }
      }
      return;
    }

    // kexec: each driver's shutdown method should have quiesced its device; some do not.
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
    if (trace) {
      trace.initialStates(p, states);
    }
    b.prepareDevices(p, states);
    let successMask = 0;
    const { leader, nextInClass } = this.kexecClasses[profile]!;
    const resets = this.kexecResets[profile]!;
    for (let s = 0; s < m.strategies.length; s++) {
      if (leader[s] !== s) {
        continue; // brought up with its class's leader
      }
      // The production kernel's command line: no irqpoll.
      let reason = b.run(p, m.strategies[s]!, resets[s]!, -1, -1, false, false);
      const kernelBootUs = bootUs + b.elapsedUs;
      let jobDowntimeUs = kernelBootUs;
      const kernelDied = reason >= 0;
      const culprit = b.culprit;
      if (kernelDied) {
        // The new kernel died: panic (or hang in an interrupt storm), reboot through
        // firmware, devices reset by POST.
        if (reason === Reason.InterruptStorm) {
          jobDowntimeUs =
            kernelBootUs + p.hangWatchdogUs + postUs + bootUs + b.cleanDevicesMicros();
        } else {
          reason = reason === Reason.DmarFault ? reason : Reason.KexecBootPanic;
          jobDowntimeUs = kernelBootUs + p.panicRebootUs + postUs + bootUs + b.cleanDevicesMicros();
        }
      } else if (b.presentCount < n) {
        reason = Reason.DeviceMissing;
      }
      for (let member = s; member >= 0; member = nextInClass[member]!) {
        const blk = this.layout.block(member, REBOOT);
        this.recordDevices(p, blk, -1);
        if (!kernelDied) {
          this.record(blk, Hist.KernelBoot, kernelBootUs);
        }
        this.record(blk, Hist.Downtime, jobDowntimeUs);
        this.count(blk, reason < 0, reason);
        if (reason < 0) {
          successMask |= 1 << member;
        } else {
          this.countCulprit(p, member, REBOOT, reason, culprit);
        }
        if (trace) {
          b.completeDeviceRecords(p);
          trace.strategyOutcome(p, member, m.strategies[member]!, -1, b, reason, culprit, {
            kernelBootUs,
            dumpUs: -1,
            downtimeUs: jobDowntimeUs,
            captureCpus: 0,
            returnToService: null,
          });
        }
      }
    }
    this.countPairs(REBOOT, successMask);
  }

  /**
   * Simulates one job of one server and returns what happened, stage by stage and
   * strategy by strategy: the same code path and draws as a shard run, so the
   * trace is exactly what that job contributed to the aggregate.
   * @param server server index in the fleet
   * @param kind crash (down the kdump path) or reboot (planned, by the spec's path)
   * @param event event index of that server (0 for its first crash or reboot)
   */
  traceJob(server: number, kind: JobKind, event = 0): JobTrace {
    const m = this.model;
    if (!Number.isInteger(server) || server < 0 || server >= m.servers) {
      throw new RangeError(`server ${server} is outside the fleet of ${m.servers}`);
    }
    if (!Number.isInteger(event) || event < 0) {
      throw new RangeError(`event must be a non-negative integer, got ${event}`);
    }
    const events = this.eventCount(server, kind);
    if (event >= events) {
      throw new RangeError(
        events === 0
          ? `server ${server} has no ${kind} events in this spec`
          : `server ${server} has ${events} ${kind} event(s); event ${event} does not happen`,
      );
    }
    let segment = 0;
    while (server >= m.segmentStart[segment + 1]!) {
      segment++;
    }
    const profile = m.segmentProfile[segment]!;
    const p = m.profiles[profile]!;
    const builder = new JobTraceBuilder(server, p.name, kind, event);
    const saved = this.slots;
    this.slots = new Float64Array(this.layout.size);
    this.trace = builder;
    try {
      if (kind === 'crash') {
        this.simulateCrash(profile, server, event);
      } else {
        this.simulateReboot(profile, server, event, m.reboots!.viaKexec);
      }
    } finally {
      this.trace = null;
      this.slots = saved;
    }
    return builder.result();
  }
}

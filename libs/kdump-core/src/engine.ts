/**
 * The fleet engine: simulates the crash and reboot jobs of a range of servers
 * under every strategy of an experiment, into a mergeable aggregate.
 *
 * The engine is the loop over servers, their events and the strategies, and the
 * recording into the aggregate. The kdump stages live in their rooms: the crash
 * path (crash-path.ts: detection, crash_kexec, machine_crash_shutdown,
 * purgatory), the capture kernel (capture-kernel.ts: boot, device bring-up per
 * strategy, dump, return to service) and the planned reboot
 * (planned-reboot.ts). They fill one {@link JobOutcome} per job, which the engine
 * records, a trace reads (trace.ts), and {@link FleetEngine.simulateJob} hands out.
 *
 * Per job, everything that does not depend on the strategy is decided once; each
 * strategy then only runs the device bring-up. Every strategy meets the same
 * crash (common random numbers), so strategy differences are paired comparisons.
 */
import {
  emptyAggregate,
  fleetFromProfiles,
  Hist,
  type Aggregate,
  AggregateLayout,
} from './aggregate';
import type { CompiledExperiment, CompiledProfile } from './compile';
import { CaptureKernel } from './capture-kernel';
import { followCrashPath } from './crash-path';
import { uniformsPerJob } from './crash-layout';
import { DeviceBringUp } from './device-bring-up';
import { HISTOGRAM_STRIDE, recordMicros } from './histogram';
import { JobOutcome } from './job-outcome';
import { JobRecord } from './job-record';
import { JOB_KINDS, type JobKind } from './outcome';
import { PlannedReboot } from './planned-reboot';
import { KeyedStream, poissonDraw, StreamPurpose } from './prng';
import { Sampler } from './sampler';
import { jobTrace, type JobTrace } from './trace';

// Module-local copies: an imported constant is a property load on every use.
const HISTOGRAM_STRIDE_ = HISTOGRAM_STRIDE;
const KINDS = JOB_KINDS.length;

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

/** Simulates shards of one compiled experiment. Reusable; not shareable across threads. */
export class FleetEngine {
  readonly layout: AggregateLayout;
  readonly counters: EngineCounters;
  private readonly sampler = new Sampler();
  private readonly bringUp = new DeviceBringUp(this.sampler);
  private readonly stream = new KeyedStream();
  private readonly uniforms: Float64Array;
  private readonly captureKernel: CaptureKernel;
  private readonly plannedReboot: PlannedReboot;
  /** The job under way on the shard path, and {@link simulateJob}'s answer: reused job after job. */
  private readonly outcome: JobOutcome;
  /** The same with per-device detail, for {@link traceJob}; made on the first trace. */
  private traceOutcome: JobOutcome | null = null;
  private slots: Float64Array = new Float64Array(0);
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
    this.captureKernel = new CaptureKernel(model, this.sampler, this.bringUp);
    this.plannedReboot = new PlannedReboot(model, this.sampler, this.bringUp);
    this.outcome = new JobOutcome(model.strategies.length);
    this.counters = {
      uniforms: 0,
      histogramInserts: 0,
      crashJobs: 0,
      rebootJobs: 0,
      evaluations: 0,
      drawsByKind: this.sampler.drawsByKind,
    };
  }

  /**
   * Simulates servers [serverStart, serverEnd) into `into` (a fresh aggregate by
   * default). `into` may hold earlier shards' results (adds are exact); its
   * fleet-wide boot, dump and downtime histograms and counters are rewritten at
   * the end as the sum of its per-profile blocks ({@link fleetFromProfiles}).
   */
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
    this.job.flush(into.slots);
    fleetFromProfiles(into);
    return into;
  }

  /** The events of one server: its crashes, then its planned reboots. */
  private simulateServer(profile: number, server: number): void {
    const m = this.model;
    const out = this.outcome;
    this.slots[this.layout.serversSlot]! += 1;
    if (m.crashes) {
      const count = this.eventCount(server, 'crash');
      for (let e = 0; e < count; e++) {
        this.runJob(profile, server, 'crash', e, out);
        this.recordJob(out, CRASH);
      }
    }
    if (m.reboots) {
      const count = this.eventCount(server, 'reboot');
      for (let e = 0; e < count; e++) {
        this.runJob(profile, server, 'reboot', e, out);
        this.recordJob(out, REBOOT);
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

  /** One job through its rooms, into `out`: a crash down the kdump path, or a planned reboot. */
  private runJob(
    profile: number,
    server: number,
    kind: JobKind,
    event: number,
    out: JobOutcome,
  ): void {
    const m = this.model;
    const p = m.profiles[profile]!;
    const crash = kind === 'crash';
    const u = this.uniforms;
    const count = uniformsPerJob(p.deviceCount, p.busCount);
    this.stream
      .rekey(m.seed, server, event, crash ? StreamPurpose.Crash : StreamPurpose.Reboot)
      .fillUniforms(u, count);
    this.counters.uniforms += count;
    this.bringUp.beginJob(p, u);
    out.begin(server, profile, kind, event);
    if (crash) {
      this.counters.crashJobs++;
      if (followCrashPath(m, p, u, this.sampler, this.bringUp.cleanDevicesMicros(), out)) {
        this.captureKernel.boot(profile, p, u, out);
      }
    } else {
      this.counters.rebootJobs++;
      this.plannedReboot.reboot(profile, p, u, m.reboots!.viaKexec, out);
    }
  }

  /** Records one job's outcome, every strategy, into the aggregate (job kind `k`: 0 crash, 1 reboot). */
  private recordJob(out: JobOutcome, k: number): void {
    const profile = out.profile;
    const p = this.model.profiles[profile]!;
    const strategies = out.strategies;
    const layout = this.layout;
    const slots = this.slots;
    const job = this.job;
    job.begin(profile);
    const reasons = out.reason;
    const culprits = out.culprit;
    const kernelUp = out.kernelUp;
    const boots = out.bootUs;
    const dumps = out.dumpUs;
    const downtimes = out.downtimeUs;
    const blockSize = layout.blockSize;
    let inserts = 0;
    let successMask = 0;
    for (let s = 0; s < strategies; s++) {
      const blk = (s * KINDS + k) * blockSize;
      const reason = reasons[s]!;
      inserts += this.recordDevices(p, blk, out, s);
      const up = kernelUp[s] === 1;
      const dumpUs = dumps[s]!;
      if (reason < 0) {
        successMask |= 1 << s;
      } else {
        this.countCulprit(p, s, k, reason, culprits[s]!);
      }
      // Boot, dump, downtime and the counts go to the profile's block; the fleet-wide
      // block is their sum (fleetFromProfiles, at the end of the shard).
      job.strategy(slots, s, k, up, boots[s]!, dumpUs, downtimes[s]!, reason);
      inserts += (up ? 1 : 0) + (dumpUs >= 0 ? 1 : 0) + 1;
    }
    this.counters.histogramInserts += inserts;
    this.counters.evaluations += strategies;
    this.countPairs(k, successMask);
    job.finish(slots, k);
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

  /** Records the reinitialisation time of every device strategy `s`'s bring-up probed. */
  private recordDevices(p: CompiledProfile, block: number, out: JobOutcome, s: number): number {
    const slots = this.slots;
    const loaded = p.loaded;
    const devClass = p.devClass;
    const until = out.probedUntil[s]!;
    const loadedBase = out.loadedBase[s]!;
    const reinit = out.reinitFrom[s]!;
    const row = out.reinitAt[s]!;
    const first = block + Hist.DeviceReinit * HISTOGRAM_STRIDE_;
    if (loadedBase < 0) {
      // Every driver loaded: every device below `until` was probed.
      for (let d = 0; d < until; d++) {
        recordMicros(slots, first + devClass[d]! * HISTOGRAM_STRIDE_, reinit[row + d]!);
      }
      return until;
    }
    let inserts = 0;
    for (let d = 0; d < until; d++) {
      if (loaded[loadedBase + d] === 1) {
        recordMicros(slots, first + devClass[d]! * HISTOGRAM_STRIDE_, reinit[row + d]!);
        inserts++;
      }
    }
    return inserts;
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

  /** The profile of a server's job, after checking the job exists; throws with the offending values. */
  private profileOfJob(server: number, kind: JobKind, event: number): number {
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
    return m.segmentProfile[segment]!;
  }

  /**
   * Simulates one job of one server and returns its outcome, strategy by
   * strategy, without allocating: the same code path and draws as a shard run,
   * so it is exactly what that job contributes to the aggregate (nothing is
   * recorded). Per strategy `s`, read {@link JobOutcome.reasonOf} (a `Reason`
   * code, -1 for success), {@link JobOutcome.crashToDumpStartUs},
   * {@link JobOutcome.dumpMicros}, {@link JobOutcome.dumpSizeMiB} and
   * {@link JobOutcome.backInServiceUs}.
   *
   * The returned object belongs to the engine and is overwritten by the next
   * call (and by {@link runShard}): read it, or copy what you need, first.
   * @param server server index in the fleet
   * @param kind crash (down the kdump path) or reboot (planned, by the spec's path)
   * @param event event index of that server (0 for its first crash or reboot)
   */
  simulateJob(server: number, kind: JobKind, event = 0): JobOutcome {
    const profile = this.profileOfJob(server, kind, event);
    this.runJob(profile, server, kind, event, this.outcome);
    return this.outcome;
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
    const profile = this.profileOfJob(server, kind, event);
    this.traceOutcome ??= new JobOutcome(this.model.strategies.length, true);
    this.runJob(profile, server, kind, event, this.traceOutcome);
    return jobTrace(this.model, this.traceOutcome);
  }
}

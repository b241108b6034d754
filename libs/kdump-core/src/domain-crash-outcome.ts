/**
 * The one adapter between the fleet engine and the failure-domain simulation:
 * what one crash does under every strategy (reason, the time until the capture
 * kernel is up and ready to dump, the local dump time, the time back to
 * service after the dump), as the independent model has it. The domain
 * simulation then moves the dump to a shared target and couples the servers.
 *
 * It reads {@link FleetEngine.simulateJob}: one engine per cause mix, whose
 * reused {@link JobOutcome} holds the crash's stages and per-strategy times
 * without allocating (a trace allocated a whole scratch aggregate per call).
 * Every time is rounded to whole µs as the trace rounded it (a stage never
 * reached counts 0), so the outcomes are the ones the trace gave; a test checks
 * them against the plain engine.
 */
import { compileExperiment, type CompiledExperiment } from './compile';
import { CrashSlot } from './crash-layout';
import { sampleMicros } from './distribution';
import { FleetEngine } from './engine';
import type { JobOutcome } from './job-outcome';
import { Reason } from './outcome';
import { KeyedStream, StreamPurpose } from './prng';

/** Event indices of storm crashes start here (background crashes count from 0). */
export const STORM_EVENT_BASE = 0x40000000;

/** One crash under every strategy of the experiment; arrays by strategy index. */
export interface CrashOutcomes {
  /** Crash cause name. */
  cause: string;
  /** -1 captured, else the failure reason ({@link FAILURE_REASONS} index). */
  reason: Int32Array;
  /**
   * 1 when the capture kernel wrote a dump (captured; or stale-kexec-parameters and
   * backup-region-lost, whose dumps are written but unusable).
   */
  dumps: Uint8Array;
  /** Fault → capture kernel up and ready to dump, µs (for a dump). */
  preDumpUs: Float64Array;
  /** The dump through the profile's own target, µs (for a dump). */
  localDumpUs: Float64Array;
  /** Dump written → back in service, µs (for a dump). */
  afterDumpUs: Float64Array;
  /** Fault → back in service in the independent model, µs. */
  downtimeUs: Float64Array;
  /** Dump size after makedumpfile filtering: RAM × the profile's dump percent, GiB. */
  dumpGiB: number;
}

/** A fresh {@link CrashOutcomes} for `strategies` strategies. */
export function emptyCrashOutcomes(strategies: number): CrashOutcomes {
  return {
    cause: '',
    reason: new Int32Array(strategies),
    dumps: new Uint8Array(strategies),
    preDumpUs: new Float64Array(strategies),
    localDumpUs: new Float64Array(strategies),
    afterDumpUs: new Float64Array(strategies),
    downtimeUs: new Float64Array(strategies),
    dumpGiB: 0,
  };
}

const EVERY_EVENT = 4294967295;
/** A time as the trace rounded it (whole µs), 0 for a stage never reached (-1). */
const us = (micros: number): number => (micros < 0 ? 0 : Math.round(micros));

/**
 * Per-crash outcomes of one experiment, or of one storm's cause mix (the same
 * catalogue and strategies with other crash-cause weights).
 */
export class CrashOutcomeSource {
  private readonly engine: FleetEngine;
  private readonly causeNames: readonly string[];
  private readonly stream = new KeyedStream();
  private readonly u = new Float64Array(CrashSlot.DumpPercent + 1);

  /**
   * @param model the compiled experiment
   * @param causes the storm's crash-cause weights, or undefined for the spec's own
   */
  constructor(
    private readonly model: CompiledExperiment,
    causes?: Record<string, number>,
  ) {
    let m = model;
    if (causes) {
      const r = model.resolved;
      m = compileExperiment({
        ...r,
        spec: { ...r.spec, events: { crash: { perServer: 1, causes } } },
      });
    }
    // Every event index is a crash of that server: storm crashes count from STORM_EVENT_BASE.
    this.engine = new FleetEngine({
      ...m,
      crashes: { fixed: EVERY_EVENT, poissonMean: 0 },
      reboots: null,
    });
    this.causeNames = m.causeNames;
  }

  /** Profile index (in the model) of a server. */
  profileOf(server: number): number {
    const m = this.model;
    let segment = 0;
    while (server >= m.segmentStart[segment + 1]!) {
      segment++;
    }
    return m.segmentProfile[segment]!;
  }

  /** Fills `out` with what crash `event` of `server` does under every strategy. */
  outcome(server: number, event: number, out: CrashOutcomes): void {
    const profile = this.profileOf(server);
    const job: JobOutcome = this.engine.simulateJob(server, 'crash', event);
    const beforeCaptureUs =
      us(job.detectionUs) + us(job.crashKexecUs) + us(job.machineShutdownUs) + us(job.purgatoryUs);
    out.cause = job.cause >= 0 ? this.causeNames[job.cause]! : '';
    for (let i = 0; i < job.strategies; i++) {
      const reason = job.reasonOf(i);
      const dumped =
        reason < 0 || reason === Reason.StaleKexecParameters || reason === Reason.BackupRegionLost;
      const downtime = us(job.backInServiceUs(i));
      out.reason[i] = reason;
      out.dumps[i] = dumped ? 1 : 0;
      out.downtimeUs[i] = downtime;
      if (dumped) {
        // The capture kernel's boot (bring-up included), -1 when it never booted.
        const pre = beforeCaptureUs + us(job.bootUs[i]!);
        const dump = us(job.dumpMicros(i));
        const after = downtime - pre - dump;
        if (after < 0) {
          const back = job.backInServiceUs(i);
          throw new RangeError(
            `server ${server} crash ${event} (${this.model.strategies[i]!.name}): downtime ${back < 0 ? null : Math.round(back) / 1000} ms is shorter than the stages before the dump and the dump`,
          );
        }
        out.preDumpUs[i] = pre;
        out.localDumpUs[i] = dump;
        out.afterDumpUs[i] = after;
      } else {
        out.preDumpUs[i] = 0;
        out.localDumpUs[i] = 0;
        out.afterDumpUs[i] = 0;
      }
    }
    // The dump size, from the same draw the engine sizes the local dump with.
    const p = this.model.profiles[profile]!;
    this.stream
      .rekey(this.model.seed, server, event, StreamPurpose.Crash)
      .fillUniforms(this.u, CrashSlot.DumpPercent + 1);
    const percent = sampleMicros(p.dumpPercent, this.u[CrashSlot.DumpPercent]!) / 1000;
    out.dumpGiB = (p.ramGiB * Math.min(percent, 100)) / 100;
  }
}

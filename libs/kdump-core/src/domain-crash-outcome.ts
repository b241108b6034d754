/**
 * The one adapter between the fleet engine and the failure-domain simulation:
 * what one crash does under every strategy (reason, the time until the capture
 * kernel is up and ready to dump, the local dump time, the time back to
 * service after the dump), as the independent model has it. The domain
 * simulation then moves the dump to a shared target and couples the servers.
 *
 * Today it reads {@link FleetEngine.traceJob}. A trace allocates a whole
 * scratch aggregate per call, so each profile gets a tracing engine of its own
 * over a slimmed copy of the model (that profile only, no device-class or
 * culprit slots): the simulated job is the same (same draws, same stages; a
 * test checks it against the plain engine), only its throwaway aggregate is
 * smaller. When the engine offers a per-job outcome record, this file is the
 * one place to switch to it.
 */
import { compileExperiment, type CompiledExperiment } from './compile';
import { CrashSlot } from './crash-layout';
import { sampleMicros } from './distribution';
import { FleetEngine } from './engine';
import { FAILURE_REASONS, Reason } from './outcome';
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

const REASON_INDEX = new Map<string, number>(FAILURE_REASONS.map((r, i) => [r, i]));
const EVERY_EVENT = 4294967295;
const us = (ms: number | null): number => (ms === null ? 0 : Math.round(ms * 1000));

/**
 * Per-crash outcomes of one experiment, or of one storm's cause mix (the same
 * catalogue and strategies with other crash-cause weights).
 */
export class CrashOutcomeSource {
  private readonly tracers: FleetEngine[];
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
    this.tracers = m.profiles.map(
      (p) =>
        new FleetEngine({
          ...m,
          profiles: [p],
          segmentStart: Float64Array.of(0, m.servers),
          segmentProfile: Int32Array.of(0),
          deviceClasses: [],
          culprits: [],
          crashes: { fixed: EVERY_EVENT, poissonMean: 0 },
          reboots: null,
        }),
    );
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
    const trace = this.tracers[profile]!.traceJob(server, 'crash', event);
    const st = trace.stages;
    const beforeCaptureUs =
      us(st.detectionMs) + us(st.crashKexecMs) + us(st.machineShutdownMs) + us(st.purgatoryMs);
    out.cause = trace.cause ?? '';
    trace.strategies.forEach((s, i) => {
      const reason = s.outcome === 'captured' ? -1 : REASON_INDEX.get(s.outcome)!;
      const dumped =
        reason < 0 || reason === Reason.StaleKexecParameters || reason === Reason.BackupRegionLost;
      out.reason[i] = reason;
      out.dumps[i] = dumped ? 1 : 0;
      out.downtimeUs[i] = us(s.downtimeMs);
      if (dumped) {
        const pre = beforeCaptureUs + us(s.kernelBootMs);
        const dump = us(s.dumpMs);
        const after = out.downtimeUs[i]! - pre - dump;
        if (after < 0) {
          throw new RangeError(
            `server ${server} crash ${event} (${s.strategy}): downtime ${s.downtimeMs} ms is shorter than the stages before the dump and the dump`,
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
    });
    // The dump size, from the same draw the engine sizes the local dump with.
    const p = this.model.profiles[profile]!;
    this.stream
      .rekey(this.model.seed, server, event, StreamPurpose.Crash)
      .fillUniforms(this.u, CrashSlot.DumpPercent + 1);
    const percent = sampleMicros(p.dumpPercent, this.u[CrashSlot.DumpPercent]!) / 1000;
    out.dumpGiB = (p.ramGiB * Math.min(percent, 100)) / 100;
  }
}

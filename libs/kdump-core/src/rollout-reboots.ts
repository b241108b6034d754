/**
 * The roll-out's reboots: each server's planned reboot (its event 0) under every
 * strategy, and the same server rebooted through firmware for the comparison,
 * tallied per wave for a range of servers.
 *
 * Both come from the public {@link FleetEngine} API (a shard of one server)
 * through one adapter, {@link plannedReboot}, so that a cheaper per-job API can
 * replace it in one place.
 * The firmware reboot is the spec's own reboot with `path: firmware`: the same
 * seed, server and event key the same draws (common random numbers), so the
 * comparison is on the very same servers and POST and kernel boot times.
 */
import { Counter, emptyAggregate, Hist, type Aggregate } from './aggregate';
import { compileExperiment } from './compile';
import { SUM_HI, SUM_LO } from './histogram';
import { FleetEngine, type ShardTask } from './engine';
import {
  emptyTally,
  rolloutPlanOf,
  strategySlot,
  waveOf,
  waveStride,
  WaveSlot,
  type RolloutPlan,
  type RolloutTally,
} from './rollout-waves';

/** One server's planned reboot under every strategy. */
export interface PlannedRebootOutcome {
  /** Per strategy: 1 when the server came back in service, else 0. */
  inService: Uint8Array;
  /** Per strategy: time from the reboot until back up (after any fallback), µs. */
  downtimeUs: Float64Array;
}

const REBOOT = 1;
const LIMB = 4294967296;
/** Jobs a probe's scratch aggregate takes before it is cleared (keeps every sum far below 2^53). */
const SCRATCH_JOBS = 1 << 20;

/**
 * Reads single planned reboots off an engine that simulates nothing else: the
 * server is run as a shard of one into a scratch aggregate, and its outcome is
 * what that added to each strategy's reboot counters and downtime sum (exact:
 * integer µs in 32-bit limbs). `npm run bench:rollout`: 3.75 µs a server for its
 * kexec and firmware reboots together, where a trace allocates a whole aggregate
 * per call (about a millisecond each on the example).
 */
export class RebootProbe {
  private readonly scratch: Aggregate;
  private readonly successes: Float64Array;
  private readonly sums: Float64Array;
  private jobs = 0;

  constructor(readonly engine: FleetEngine) {
    this.scratch = emptyAggregate(engine.layout);
    this.successes = new Float64Array(engine.model.strategies.length);
    this.sums = new Float64Array(engine.model.strategies.length);
  }

  /** Writes the outcome of `server`'s one planned reboot into `out`. */
  read(server: number, out: PlannedRebootOutcome): void {
    if (this.jobs >= SCRATCH_JOBS) {
      this.scratch.slots.fill(0);
      this.successes.fill(0);
      this.sums.fill(0);
      this.jobs = 0;
    }
    const { layout, slots } = this.scratch;
    this.engine.runShard({ index: 0, serverStart: server, serverEnd: server + 1 }, this.scratch);
    this.jobs++;
    for (let s = 0; s < this.successes.length; s++) {
      const successes = slots[layout.counter(s, REBOOT, Counter.Successes)]!;
      const at = layout.histogram(s, REBOOT, Hist.Downtime);
      const sum = slots[at + SUM_HI]! * LIMB + slots[at + SUM_LO]!;
      out.inService[s] = successes - this.successes[s]!;
      out.downtimeUs[s] = sum - this.sums[s]!;
      this.successes[s] = successes;
      this.sums[s] = sum;
    }
  }
}

/**
 * THE adapter: the outcome of server `server`'s first planned reboot, per
 * strategy, written into `out`, from an engine whose spec has only that reboot
 * (see {@link rolloutEngines}). A cheaper per-job engine API replaces it here.
 */
export function plannedReboot(probe: RebootProbe, server: number, out: PlannedRebootOutcome): void {
  probe.read(server, out);
}

/** The engines a roll-out needs: the spec's reboots, and the same reboots through firmware. */
export interface RolloutEngines {
  plan: RolloutPlan;
  /** The spec's planned reboots alone (no crashes). */
  planned: RebootProbe;
  /** The same reboots with `path: firmware` (the planned probe itself for a firmware roll-out). */
  firmware: RebootProbe;
}

const enginesOf = new WeakMap<FleetEngine, RolloutEngines>();

/**
 * The roll-out engines of `engine`'s experiment, built once per engine; null
 * when its spec has no `rollout:`.
 */
export function rolloutEngines(engine: FleetEngine): RolloutEngines | null {
  const hit = enginesOf.get(engine);
  if (hit) {
    return hit;
  }
  const model = engine.model;
  const plan = rolloutPlanOf(model);
  if (!plan) {
    return null;
  }
  const reboot = model.resolved.spec.events.reboot;
  if (!reboot || reboot.perServer !== 1) {
    throw new RangeError('a roll-out needs events.reboot with perServer: 1');
  }
  // The reboot's draws are keyed by (seed, server, event, purpose): an engine of the
  // reboots alone meets exactly the reboots of the whole spec, without its crashes.
  const spec = model.resolved.spec;
  const rebootsOnly = (path: 'kexec' | 'firmware') =>
    new RebootProbe(
      new FleetEngine(
        compileExperiment({
          ...model.resolved,
          spec: { ...spec, events: { reboot: { ...reboot, path } } },
        }),
      ),
    );
  const planned = rebootsOnly(reboot.path);
  const firmware = reboot.path === 'firmware' ? planned : rebootsOnly('firmware');
  const engines = { plan, planned, firmware };
  enginesOf.set(engine, engines);
  return engines;
}

/**
 * Tallies the roll-out waves of servers [serverStart, serverEnd) into `into`
 * (a fresh tally by default): per wave, its servers, the longest firmware reboot,
 * and per strategy the servers not back in service and the longest time back.
 */
export function tallyRollout(
  engines: RolloutEngines,
  task: ShardTask,
  into: RolloutTally = emptyTally(engines.plan.waves, engines.plan.strategies),
): RolloutTally {
  const { plan, planned, firmware } = engines;
  const n = plan.strategies;
  const out: PlannedRebootOutcome = {
    inService: new Uint8Array(n),
    downtimeUs: new Float64Array(n),
  };
  const fw: PlannedRebootOutcome = {
    inService: new Uint8Array(n),
    downtimeUs: new Float64Array(n),
  };
  const slots = into.slots;
  const stride = waveStride(n);
  for (let server = task.serverStart; server < task.serverEnd; server++) {
    const w = waveOf(plan, server);
    plannedReboot(planned, server, out);
    if (firmware !== planned) {
      plannedReboot(firmware, server, fw);
    }
    const firmwareUs = firmware !== planned ? fw.downtimeUs[0]! : out.downtimeUs[0]!;
    const base = w * stride;
    slots[base + WaveSlot.Servers]! += 1;
    slots[base + WaveSlot.FirmwareLongestUs] = Math.max(
      slots[base + WaveSlot.FirmwareLongestUs]!,
      firmwareUs,
    );
    for (let s = 0; s < n; s++) {
      const at = strategySlot(into, w, s);
      slots[at]! += 1 - out.inService[s]!;
      slots[at + 1] = Math.max(slots[at + 1]!, out.downtimeUs[s]!);
    }
  }
  return into;
}

/**
 * The roll-out's reboots: each server's planned reboot (its event 0) under every
 * strategy, and the same server rebooted through firmware for the comparison,
 * tallied per wave for a range of servers.
 *
 * Both come from the public {@link FleetEngine} API
 * ({@link FleetEngine.simulateJob}, which allocates nothing) through one
 * adapter, {@link plannedReboot}.
 * The firmware reboot is the spec's own reboot with `path: firmware`: the same
 * seed, server and event key the same draws (common random numbers), so the
 * comparison is on the very same servers and POST and kernel boot times.
 */
import { compileExperiment } from './compile';
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

/**
 * Reads single planned reboots off an engine that simulates nothing else,
 * through {@link FleetEngine.simulateJob}: the server's event 0 run down the
 * same code path and draws as a shard run, its per-strategy outcome read off the
 * engine's reused job outcome (in service: no failure reason; the time back in
 * service). Nothing is allocated per server. `npm run bench:rollout` measures it.
 */
export class RebootProbe {
  constructor(readonly engine: FleetEngine) {}

  /** Writes the outcome of `server`'s one planned reboot into `out`. */
  read(server: number, out: PlannedRebootOutcome): void {
    const job = this.engine.simulateJob(server, 'reboot', 0);
    for (let s = 0; s < job.strategies; s++) {
      out.inService[s] = job.reasonOf(s) < 0 ? 1 : 0;
      out.downtimeUs[s] = job.backInServiceUs(s);
    }
  }
}

/**
 * THE adapter: the outcome of server `server`'s first planned reboot, per
 * strategy, written into `out`, from an engine whose spec has only that reboot
 * (see {@link rolloutEngines}).
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

/**
 * The Prometheus samples of a finished experiment's roll-out (spec `rollout:`):
 * per strategy, servers rebooted and not back in service, whether and where it
 * halted, and its wall-clock time against the same waves through firmware.
 * Gauges labelled by experiment and strategy only (no wave label: a roll-out
 * may have up to 1,000 waves). Pure: the same aggregate gives the same samples.
 */
import {
  rolloutPlanOf,
  rolloutReport,
  type Aggregate,
  type CompiledExperiment,
} from '../../../../libs/kdump-core/src';
import type { Sample } from './simulation-metrics';

/** Roll-out metric families, by base name. */
export const ROLLOUT_METRICS = {
  serversRebooted: 'fleetsim_rollout_servers_rebooted',
  notBack: 'fleetsim_rollout_servers_not_back',
  halted: 'fleetsim_rollout_halted',
  wavesRun: 'fleetsim_rollout_waves_run',
  wallClock: 'fleetsim_rollout_wall_clock_seconds',
  firmwareWallClock: 'fleetsim_rollout_firmware_wall_clock_seconds',
  timeSaved: 'fleetsim_rollout_time_saved_seconds',
} as const;

export type RolloutMetric = (typeof ROLLOUT_METRICS)[keyof typeof ROLLOUT_METRICS];

export type RolloutSamples = Record<RolloutMetric, Sample[]>;

/** HELP text of each roll-out family (all gauges). */
export const ROLLOUT_HELP: Record<RolloutMetric, string> = {
  fleetsim_rollout_servers_rebooted:
    'Simulated roll-out in waves: servers rebooted before the roll-out ended or halted, per strategy.',
  fleetsim_rollout_servers_not_back:
    'Simulated roll-out in waves: servers rebooted that did not come back in service, per strategy.',
  fleetsim_rollout_halted:
    'Simulated roll-out in waves: 1 when a wave passed the halt condition (not-back share above the limit), else 0.',
  fleetsim_rollout_waves_run:
    'Simulated roll-out in waves: waves that ran, the halting one included.',
  fleetsim_rollout_wall_clock_seconds:
    'Simulated roll-out in waves: time from the first wave until done (last soak) or halted.',
  fleetsim_rollout_firmware_wall_clock_seconds:
    'Simulated roll-out in waves: the same waves rebooted through firmware, on the same clock.',
  fleetsim_rollout_time_saved_seconds:
    'Simulated roll-out in waves: firmware wall clock minus the roll-out wall clock (negative: slower).',
};

/** The roll-out samples of an experiment; every family empty when its spec has no roll-out. */
export function rolloutSamples(
  experiment: string,
  model: CompiledExperiment,
  aggregate: Aggregate,
): RolloutSamples {
  const out = Object.fromEntries(
    Object.values(ROLLOUT_METRICS).map((name) => [name, [] as Sample[]]),
  ) as RolloutSamples;
  const plan = rolloutPlanOf(model);
  if (!plan || !aggregate.rollout) {
    return out;
  }
  const r = rolloutReport(
    plan,
    aggregate.rollout,
    model.strategies.map((s) => s.name),
    model.reboots?.viaKexec ? 'kexec' : 'firmware',
  );
  for (const s of r.strategies) {
    const labels = { experiment, strategy: s.strategy };
    const push = (name: RolloutMetric, value: number) =>
      out[name].push({ metricName: name, labels, value });
    push(ROLLOUT_METRICS.serversRebooted, s.serversRebooted);
    push(ROLLOUT_METRICS.notBack, s.notBack);
    push(ROLLOUT_METRICS.halted, s.halted ? 1 : 0);
    push(ROLLOUT_METRICS.wavesRun, s.wavesRun);
    push(ROLLOUT_METRICS.wallClock, s.wallClockSeconds);
    push(ROLLOUT_METRICS.firmwareWallClock, s.firmwareWallClockSeconds);
    push(ROLLOUT_METRICS.timeSaved, s.timeSavedSeconds);
  }
  return out;
}

/**
 * One-call entry points: compile a spec, run its shard plan in this thread, and
 * build the report. Threads and distributed workers do the same shard by shard.
 */
import { emptyAggregate, normaliseAll, type Aggregate } from './aggregate';
import { normaliseCoupling } from './coupling-aggregate';
import { compileExperiment, type CompiledExperiment } from './compile';
import { FleetEngine } from './engine';
import { domainSimulatorFor, simulateShard } from './failure-domains';
import { buildReport } from './report';
import type { Report } from './report-schema';
import { rolloutEngines, tallyRollout } from './rollout-reboots';
import { emptyTally } from './rollout-waves';
import { planShards } from './shard-plan';
import type { ResolvedSpec } from './spec';

/** Result of a whole experiment run in one thread. */
export interface ExperimentResult {
  model: CompiledExperiment;
  aggregate: Aggregate;
  report: Report;
  shards: number;
}

/**
 * Runs every shard of the plan in this thread, merging as it goes.
 * @param onShard called after each shard with shards done and total
 */
export function runExperiment(
  resolved: ResolvedSpec,
  options: { shardSize?: number; onShard?: (done: number, total: number) => void } = {},
): ExperimentResult {
  const model = compileExperiment(resolved);
  const engine = new FleetEngine(model);
  const domains = domainSimulatorFor(model);
  const shards = planShards(model, options.shardSize);
  // Shards add into one aggregate: the same bytes as merging one aggregate per shard.
  const total = emptyAggregate(engine.layout);
  const rollout = rolloutEngines(engine);
  if (rollout) {
    total.rollout = emptyTally(rollout.plan.waves, rollout.plan.strategies);
  }
  shards.forEach((shard, i) => {
    simulateShard(engine, domains, shard, total);
    if (rollout) {
      tallyRollout(rollout, shard, total.rollout);
    }
    options.onShard?.(i + 1, shards.length);
  });
  normaliseAll(total);
  if (total.coupling) {
    normaliseCoupling(total.coupling);
  }
  return { model, aggregate: total, report: buildReport(model, total), shards: shards.length };
}

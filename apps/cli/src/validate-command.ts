/**
 * `fleetsim validate`: check a spec without running it, and say how big it is.
 */
import { availableParallelism } from 'node:os';
import {
  compileExperiment,
  rolloutPlanOf,
  shardPlan,
  type Refusable,
  type ShardTask,
} from '../../../libs/kdump-core/src';
import type { ValidateCommand } from './args';
import { UsageError, type CliIo } from './cli-io';
import { embeddedShardSize } from './run-command';
import { loadSpecForCommand } from './spec-file';

export async function validateCommand(cmd: ValidateCommand, io: CliIo): Promise<number> {
  const loaded = await loadSpecForCommand(cmd.spec, cmd.seed, io);
  if (typeof loaded === 'number') {
    return loaded;
  }
  const { resolved } = loaded;
  const threads = availableParallelism();
  const model = compileExperiment(resolved);
  // What a coordinator plans, and what `fleetsim run` here plans for this machine's threads.
  const count = (plan: Refusable<ShardTask[]>): number => {
    if (!plan.ok) {
      throw new UsageError(
        `${cmd.shardSize !== undefined ? '--shard-size: ' : ''}${plan.refusal.message}`,
      );
    }
    return plan.value.length;
  };
  const shards = count(shardPlan(model, cmd.shardSize));
  const here = count(shardPlan(model, embeddedShardSize(model, cmd.shardSize, threads)));
  const rollout = rolloutPlanOf(model);
  const plural = (n: number) => `${n} shard${n === 1 ? '' : 's'}`;
  io.out(
    here === shards
      ? `${cmd.spec}: valid (${resolved.servers} servers, ${resolved.strategies.length} strategies, ${plural(shards)})\n`
      : `${cmd.spec}: valid (${resolved.servers} servers, ${resolved.strategies.length} strategies; ${plural(shards)} on a coordinator, ${plural(here)} for ${threads} thread${threads === 1 ? '' : 's'} here)\n`,
  );
  if (rollout) {
    io.out(
      `roll-out: ${rollout.waves} waves (${rollout.canary > 0 ? `a canary of ${rollout.canary}, then ` : ''}${rollout.waveSize} servers each), ${
        rollout.haltShare === null
          ? 'never halts'
          : `halts after a wave with more than ${Number((rollout.haltShare * 100).toFixed(2))}% not back in service`
      }\n`,
    );
  }
  return 0;
}

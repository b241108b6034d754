/**
 * `fleetsim validate`: check a spec without running it, and say how big it is.
 */
import { availableParallelism } from 'node:os';
import {
  compileExperiment,
  planShards,
  rolloutPlanOf,
  type RolloutPlan,
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
  let shards: number;
  let here: number;
  let rollout: RolloutPlan | null;
  const threads = availableParallelism();
  try {
    const model = compileExperiment(resolved);
    // What a coordinator plans, and what `fleetsim run` here plans for this machine's threads.
    shards = planShards(model, cmd.shardSize).length;
    here = planShards(model, embeddedShardSize(model, cmd.shardSize, threads)).length;
    rollout = rolloutPlanOf(model);
  } catch (e) {
    if (e instanceof RangeError) {
      throw new UsageError(`${cmd.shardSize !== undefined ? '--shard-size: ' : ''}${e.message}`);
    }
    throw e;
  }
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

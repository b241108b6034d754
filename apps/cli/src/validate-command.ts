/**
 * `fleetsim validate`: check a spec without running it, and say how big it is.
 */
import { compileExperiment, planShards } from '../../../libs/kdump-core/src';
import type { ValidateCommand } from './args';
import { UsageError, type CliIo } from './cli-io';
import { loadSpec } from './spec-file';

export async function validateCommand(cmd: ValidateCommand, io: CliIo): Promise<number> {
  const loaded = await loadSpec(cmd.spec, cmd.seed);
  if (!loaded.ok) {
    if (loaded.kind === 'unreadable') {
      throw new UsageError(loaded.message);
    }
    io.err(loaded.lines.map((l) => l + '\n').join(''));
    return 2;
  }
  const { resolved } = loaded;
  let shards: number;
  try {
    shards = planShards(compileExperiment(resolved), cmd.shardSize).length;
  } catch (e) {
    if (e instanceof RangeError) {
      throw new UsageError(`${cmd.shardSize !== undefined ? '--shard-size: ' : ''}${e.message}`);
    }
    throw e;
  }
  io.out(
    `${cmd.spec}: valid (${resolved.servers} servers, ${resolved.strategies.length} strategies, ${shards} shards)\n`,
  );
  return 0;
}

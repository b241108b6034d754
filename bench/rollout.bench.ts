/**
 * The cost of a roll-out in waves (`npm run bench:rollout`): on
 * examples/kernel-rollout-waves.yaml (20,000 servers, 5 strategies, kexec), the
 * planned reboots of every server as a shard run (`FleetEngine.runShard`, what
 * the report's reboot section costs) against the roll-out's per-wave tally of the
 * same servers (`tallyRollout`: each server's kexec reboot and, for the
 * comparison, its firmware reboot, read through the planned-reboot adapter).
 * Interleaved rounds after warm-up, CPU seconds of this one-thread process (the
 * machine is shared); prints µs per server and the ratio tally ÷ shard run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FleetEngine, rolloutEngines, tallyRollout, type ShardTask } from '../libs/kdump-core/src';
import { loadModel } from './setup';
import { showSpread, spread, table } from './stats';

const SPEC =
  [
    path.resolve(__dirname, '..', '..', 'examples', 'kernel-rollout-waves.yaml'),
    path.resolve(__dirname, '..', 'examples', 'kernel-rollout-waves.yaml'),
  ].find((p) => fs.existsSync(p)) ?? path.resolve('examples', 'kernel-rollout-waves.yaml');
const WARMUP_ROUNDS = 2;
const ROUNDS = 7;
const SHARD = 2_500;

/** CPU seconds `work` takes over every shard of the fleet. */
function cpuSeconds(servers: number, work: (task: ShardTask) => void): number {
  const start = process.cpuUsage();
  for (let s = 0; s < servers; s += SHARD) {
    work({ index: 0, serverStart: s, serverEnd: Math.min(servers, s + SHARD) });
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function main(): void {
  const model = loadModel(SPEC);
  const engine = new FleetEngine(model);
  const rollout = rolloutEngines(engine)!;
  const servers = model.servers;
  const shard: number[] = [];
  const tally: number[] = [];
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    const a = cpuSeconds(servers, (t) => engine.runShard(t));
    const b = cpuSeconds(servers, (t) => tallyRollout(rollout, t));
    if (round >= WARMUP_ROUNDS) {
      shard.push(a);
      tally.push(b);
    }
  }
  const perServer = (s: number[]) => spread(s.map((v) => (v / servers) * 1e6));
  const us = (v: number) => `${v.toFixed(2)} µs`;
  console.log(
    `roll-out cost on ${path.basename(SPEC)}: ${servers.toLocaleString('en-US')} servers, ${model.strategies.length} strategies, ${ROUNDS} rounds (CPU time, one thread; median [min – max])`,
  );
  console.log(
    table(
      ['', 'per server'],
      [
        ['planned reboots, shard run (report section)', showSpread(perServer(shard), us)],
        [
          'roll-out tally: kexec + firmware reboot of each server',
          showSpread(perServer(tally), us),
        ],
        [
          'ratio tally ÷ shard run',
          showSpread(spread(tally.map((t, i) => t / shard[i]!)), (v) => v.toFixed(2)),
        ],
      ],
    ),
  );
}

main();

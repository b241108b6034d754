/**
 * Quick A/B while optimising: today's engine against the pinned reference
 * (bench/reference/) on any spec, in interleaved rounds timed in CPU seconds of
 * this process (steadier than wall time on a shared machine), printing the
 * median and range of reference time ÷ today's time.
 *
 *   npx tsc -p tsconfig.build.json && node dist/bench/compare-reference.js [SPEC] [SERVERS] [ROUNDS]
 *
 * Defaults: bench/single-strategy.yaml, 60,000 servers per round, 15 rounds. `V=1` prints each round.
 */
import { FleetEngine } from '../libs/kdump-core/src/engine';
import { FleetEngine as ReferenceEngine } from './reference/engine';
import { SINGLE_STRATEGY_SPEC } from './per-crash';
import { loadModel } from './setup';

interface Runner {
  runShard(task: { index: number; serverStart: number; serverEnd: number }): unknown;
}

function cpuSeconds(engine: Runner, servers: number): number {
  const start = process.cpuUsage();
  for (let s = 0; s < servers; s += 10_000) {
    engine.runShard({ index: 0, serverStart: s, serverEnd: Math.min(servers, s + 10_000) });
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function main(): void {
  const model = loadModel(process.argv[2] ?? SINGLE_STRATEGY_SPEC);
  const servers = Math.min(Number(process.argv[3] ?? 60_000), model.servers);
  const rounds = Number(process.argv[4] ?? 15);
  const today = new FleetEngine(model);
  const reference = new ReferenceEngine(model);
  for (let i = 0; i < 2; i++) {
    cpuSeconds(today, servers);
    cpuSeconds(reference, servers);
  }
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const ref = cpuSeconds(reference, servers);
    const t = cpuSeconds(today, servers);
    ratios.push(ref / t);
    if (process.env.V) {
      console.log(
        `reference ${(servers / ref / 1e6).toFixed(3)} M/CPU-s  today ${(servers / t / 1e6).toFixed(3)} M/CPU-s  ${(ref / t).toFixed(2)}×`,
      );
    }
  }
  ratios.sort((a, b) => a - b);
  console.log(
    `reference ÷ today: median ${ratios[ratios.length >> 1]!.toFixed(2)}× ` +
      `[${ratios[0]!.toFixed(2)}× – ${ratios[ratios.length - 1]!.toFixed(2)}×] over ${rounds} rounds`,
  );
}

main();

/**
 * Per-crash cost (`npm run bench`, part 3): the six-device single-strategy spec
 * (bench/single-strategy.yaml: `fallback`, one crash per server) on today's
 * engine and on the pinned reference engine (bench/reference/, the engine as
 * issue 11 started), interleaved in one run, as crashes per second and their
 * ratio; both must fill the very same aggregate. Then the simple planner's
 * model in SimPy 2 (bench/simpy-planner.py, Debian's python3-simpy) against the
 * project's rate on that spec, or a line saying why it was skipped. Rates are
 * per CPU second of the process (one thread), so others' load on the shared
 * machine does not enter the ratios; wall rates are printed beside them.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { emptyAggregate, FleetEngine } from '../libs/kdump-core/src';
import { FleetEngine as ReferenceEngine } from './reference/engine';
import { loadModel } from './setup';
import { int, millions, now, secondsSince, showSpread, spread, table, type Spread } from './stats';

/** Servers of the spec each round simulates (of its 2 M): rounds of about a second. */
const SERVERS_PER_ROUND = 250_000;
const SHARD = 10_000;
const WARMUP_ROUNDS = 2;
const ROUNDS = 7;
const SIMPY_CRASHES = 20_000;
const SIMPY_ROUNDS = 3;

function findFile(name: string): string {
  return (
    [path.resolve(__dirname, '..', '..', 'bench', name), path.resolve(__dirname, name)].find((p) =>
      fs.existsSync(p),
    ) ?? path.resolve('bench', name)
  );
}

export const SINGLE_STRATEGY_SPEC = findFile('single-strategy.yaml');

interface Runner {
  runShard(task: { index: number; serverStart: number; serverEnd: number }): unknown;
}

/**
 * One round: CPU seconds of this process (one thread runs; the machine is shared,
 * and CPU time does not count the time others' processes held the core) and wall seconds.
 */
function timeRound(engine: Runner, servers: number): { cpu: number; wall: number } {
  const start = now();
  const cpu = process.cpuUsage();
  for (let s = 0; s < servers; s += SHARD) {
    engine.runShard({ index: 0, serverStart: s, serverEnd: Math.min(servers, s + SHARD) });
  }
  const used = process.cpuUsage(cpu);
  return { cpu: (used.user + used.system) / 1e6, wall: secondsSince(start) };
}

export interface PerCrashFigures {
  crashesPerSecond: Spread;
  referenceCrashesPerSecond: Spread;
  /** Reference time ÷ today's, per round. */
  speedup: Spread;
  /** Whether both filled the same aggregate; null when the aggregate layout changed since the reference. */
  sameAggregate: boolean | null;
  simpy: { crashesPerSecond: Spread; ratio: Spread } | { skipped: string };
}

/** Runs the simple planner's SimPy model; null with the reason when SimPy 2 is missing. */
function runSimpy(): { rates: number[] } | { skipped: string } {
  const script = findFile('simpy-planner.py');
  const reasons: string[] = [];
  // Debian's python3-simpy installs into the system interpreter's dist-packages.
  for (const python of ['/usr/bin/python3', 'python3']) {
    const rates: number[] = [];
    for (let r = 0; r < SIMPY_ROUNDS; r++) {
      const run = spawnSync(python, [script, String(SIMPY_CRASHES)], { encoding: 'utf8' });
      if (run.status !== 0) {
        const why = run.error
          ? run.error.message
          : (run.stderr.trim().split('\n').pop() ?? `exit ${run.status}`);
        reasons.push(`${python}: ${why}`);
        break;
      }
      rates.push(
        (JSON.parse(run.stdout.trim()) as { crashesPerCpuSecond: number }).crashesPerCpuSecond,
      );
    }
    if (rates.length === SIMPY_ROUNDS) {
      return { rates };
    }
  }
  return { skipped: `python3-simpy not usable (${reasons.join('; ')})` };
}

export function runPerCrash(): PerCrashFigures {
  const model = loadModel(SINGLE_STRATEGY_SPEC);
  const servers = Math.min(SERVERS_PER_ROUND, model.servers);
  const today = new FleetEngine(model);
  const reference = new ReferenceEngine(model);

  // Same work, same results: one shard on each, compared slot by slot.
  const probe = { index: 0, serverStart: 0, serverEnd: Math.min(20_000, servers) };
  const a = today.runShard(probe, emptyAggregate(today.layout)).slots;
  const b = reference.runShard(probe).slots;
  const sameAggregate = a.length === b.length ? a.every((v, i) => v === b[i]) : null;

  for (let i = 0; i < WARMUP_ROUNDS; i++) {
    timeRound(today, servers);
    timeRound(reference, servers);
  }
  const rows: string[][] = [];
  const todayRates: number[] = [];
  const referenceRates: number[] = [];
  const speedups: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which goes first, so a slow stretch of the machine does not always hit one.
    const first = r % 2 === 0;
    const ref1 = first ? timeRound(reference, servers) : null;
    const t = timeRound(today, servers);
    const ref = ref1 ?? timeRound(reference, servers);
    todayRates.push(servers / t.cpu);
    referenceRates.push(servers / ref.cpu);
    speedups.push(ref.cpu / t.cpu);
    rows.push([
      String(r + 1),
      millions(servers / ref.cpu),
      millions(servers / t.cpu),
      `${(ref.cpu / t.cpu).toFixed(2)}×`,
      `${millions(servers / ref.wall)} / ${millions(servers / t.wall)}`,
    ]);
  }
  const crashesPerSecond = spread(todayRates);
  const referenceCrashesPerSecond = spread(referenceRates);
  const speedup = spread(speedups);
  console.log(
    `\nPer crash: ${path.basename(SINGLE_STRATEGY_SPEC)} (six devices, fallback only, one crash per ` +
      `server), ${int(servers)} servers per round, today's engine vs the pinned reference ` +
      `(bench/reference, the engine at 6b7de26), ${WARMUP_ROUNDS} warm-up + ${ROUNDS} interleaved rounds`,
  );
  console.log(
    table(
      [
        'round',
        'reference crashes/CPU-s',
        'today crashes/CPU-s',
        'speed-up',
        'wall crashes/s ref / today',
      ],
      rows,
    ),
  );
  const fmtM = (n: number) => `${millions(n)}/s`;
  console.log(`  today crashes/CPU-s       ${showSpread(crashesPerSecond, fmtM)}`);
  console.log(`  reference crashes/CPU-s   ${showSpread(referenceCrashesPerSecond, fmtM)}`);
  console.log(
    `  speed-up (ref ÷ today)    ${showSpread(speedup, (n) => n.toFixed(2) + '×')}   goal ≥ 4×; ` +
      `same aggregate as the reference: ${
        sameAggregate === null
          ? 'not comparable (the aggregate layout changed)'
          : sameAggregate
            ? 'yes'
            : 'NO (the model or its numbers changed)'
      }`,
  );

  const simpyRun = runSimpy();
  let simpy: PerCrashFigures['simpy'];
  if ('skipped' in simpyRun) {
    simpy = { skipped: simpyRun.skipped };
    console.log(`  SimPy planner model: skipped — ${simpyRun.skipped}`);
  } else {
    const rates = spread(simpyRun.rates);
    const ratio = spread(simpyRun.rates.map((r) => crashesPerSecond.median / r));
    simpy = { crashesPerSecond: rates, ratio };
    console.log(
      `  SimPy 2 planner model (bench/simpy-planner.py, ${int(SIMPY_CRASHES)} crashes × ${SIMPY_ROUNDS}): ` +
        `${showSpread(rates, (n) => `${int(n)}/CPU-s`)}; project ÷ SimPy ` +
        `${showSpread(ratio, (n) => n.toFixed(1) + '×')}   goal ≥ 50×`,
    );
  }
  return { crashesPerSecond, referenceCrashesPerSecond, speedup, sameAggregate, simpy };
}

/**
 * Sweep benchmark (`npm run bench:sweep`): a 20-point sweep of
 * examples/fleet-100k.yaml (gpu-node crashkernelMiB, 512..1120 MiB: at or above
 * the spec's 512 MiB no strategy runs out of memory, so every point does the
 * plain run's work) run in one
 * thread, point after point, against plain runs of the same spec interleaved
 * with the points. The figure is the time per point over the time of one plain
 * run; the goal is at most 1.1 (a point costs a run, plus checking and
 * resolving its spec). `SWEEP_BENCH_SPEC=FILE` and `SWEEP_BENCH_POINTS=N`
 * change the spec and the number of points (the path stays gpu-node's
 * crashkernelMiB, so the spec needs a gpu-node profile).
 *
 * Ends with one JSON line of the headline figures.
 */
import * as fs from 'node:fs';
import {
  parseSpecText,
  prepareSweep,
  runExperiment,
  type SweepDefinition,
} from '../libs/kdump-core/src';
import { DEFAULT_SPEC } from './setup';

const GOAL = 1.1;
const PLAIN_EVERY = 4;

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function main(): void {
  const specPath = process.env.SWEEP_BENCH_SPEC ?? DEFAULT_SPEC;
  const points = Number(process.env.SWEEP_BENCH_POINTS ?? 20);
  const parsed = parseSpecText(fs.readFileSync(specPath, 'utf8'));
  if (!parsed.ok) {
    throw new Error(`invalid spec ${specPath}: ${parsed.errors.map((e) => e.message).join('; ')}`);
  }
  const resolved = parsed.resolved;
  const def: SweepDefinition = {
    parameters: [
      {
        path: 'catalogue.profiles.gpu-node.crashkernelMiB',
        values: Array.from({ length: points }, (_, i) => 512 + 32 * i),
      },
    ],
  };
  console.log(`sweep benchmark: ${specPath}, ${resolved.servers} servers, ${points} points`);
  // Warm-up: one plain run.
  runExperiment(resolved);
  const plain: number[] = [];
  const perPoint: number[] = [];
  const plainRun = () => {
    const t = process.hrtime.bigint();
    runExperiment(resolved);
    plain.push(seconds(t));
  };
  const prepStart = process.hrtime.bigint();
  const prepared = prepareSweep(resolved, def);
  const prepSeconds = seconds(prepStart);
  plainRun();
  prepared.points.forEach((p, i) => {
    const t = process.hrtime.bigint();
    runExperiment(p.resolved);
    perPoint.push(seconds(t) + prepSeconds / prepared.points.length);
    if ((i + 1) % PLAIN_EVERY === 0) {
      plainRun();
    }
  });
  const plainMedian = median(plain);
  const pointMedian = median(perPoint);
  const ratio = pointMedian / plainMedian;
  console.log(`plain run      median ${plainMedian.toFixed(3)} s over ${plain.length} runs`);
  console.log(
    `sweep point    median ${pointMedian.toFixed(3)} s over ${perPoint.length} points (spec checks and resolution included: ${prepSeconds.toFixed(3)} s in all)`,
  );
  console.log(`point / plain  ${ratio.toFixed(3)} (goal <= ${GOAL})`);
  console.log(
    JSON.stringify({
      bench: 'sweep',
      servers: resolved.servers,
      points,
      plainSeconds: plainMedian,
      pointSeconds: pointMedian,
      ratio,
      goal: GOAL,
      met: ratio <= GOAL,
    }),
  );
}

main();

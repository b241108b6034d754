/**
 * Speed benchmark of the simulation core (`npm run bench`).
 *
 * 1. Model against floor, one core: server-crash evaluations (one crash × one
 *    strategy) per second of `FleetEngine.runShard` over the whole shard plan of
 *    examples/fleet-100k.yaml (every strategy on the same crashes), side by side
 *    with a floor loop (bench/floor.ts) that does exactly the engine's count of
 *    PRNG draws, transforms by kind and histogram inserts, one call per crash.
 *    Warm-up rounds first, then model and floor rounds interleaved.
 * 2. Threads: the same work with one worker thread and with two, interleaved.
 * 3. Per crash (bench/per-crash.ts): the six-device single-strategy spec on
 *    today's engine and on the pinned reference (bench/reference/), interleaved,
 *    and the simple planner's model in SimPy 2 against it.
 *
 * Ends with one JSON line of the headline figures.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  FleetEngine,
  emptyAggregate,
  histogramCount,
  JOB_KINDS,
  planShards,
  type Aggregate,
  type ShardTask,
} from '../libs/kdump-core/src';
import { FloorLoop, KIND_NAMES, type RoundWork } from './floor';
import { cpuMark, othersCores } from './machine';
import { runPerCrash } from './per-crash';
import { DEFAULT_SPEC, loadModel } from './setup';
import {
  int,
  millions,
  now,
  round,
  secondsSince,
  showSpread,
  spread,
  table,
  type Spread,
} from './stats';
import type { RunRequest, WorkerReply, WorkerSetup } from './thread-worker';

/** The goals. */
const GOALS = { evaluationsPerSecondPerCore: 5_000_000, floorRatio: 2.5, threadScaling: 1.9 };

const WARMUP_MODEL_ROUNDS = 3;
const WARMUP_FLOOR_ROUNDS = 3;
const ROUNDS = 7;
const THREAD_WARMUP_ROUNDS = 1;
const THREAD_ROUNDS = 7;
/** Target length of a one-thread round, seconds. */
const THREAD_ROUND_SECONDS = 3;
/**
 * Servers per shard in the thread test. Finer than the spec's default plan
 * (7 shards of 14,815 servers) so that two threads split the work evenly;
 * results do not depend on the cut (every draw is keyed by server and event).
 */
const THREAD_SHARD_SERVERS = 1000;
/** Shards per message to a worker (≈ 10–15 ms of work). */
const CHUNK_SHARDS = 2;

interface ModelRound {
  seconds: number;
  /** Cores the rest of the machine used meanwhile. */
  others: number;
  evaluations: number;
  crashJobs: number;
  work: RoundWork;
  shardSeconds: number[];
}

/** One model round; into fresh aggregates per shard as the apps do, or into `into`. */
function runModelRound(
  engine: FleetEngine,
  shards: readonly ShardTask[],
  into?: Aggregate,
): ModelRound {
  const c = engine.counters;
  const before = {
    crashJobs: c.crashJobs,
    evaluations: c.evaluations,
    jobs: c.crashJobs + c.rebootJobs,
    uniforms: c.uniforms,
    draws: Array.from(c.drawsByKind),
    inserts: c.histogramInserts,
  };
  const shardSeconds: number[] = [];
  const mark = cpuMark();
  const start = now();
  for (const shard of shards) {
    const t = now();
    engine.runShard(shard, into);
    shardSeconds.push(secondsSince(t));
  }
  const seconds = secondsSince(start);
  return {
    seconds,
    others: othersCores(mark, cpuMark()),
    evaluations: c.evaluations - before.evaluations,
    crashJobs: c.crashJobs - before.crashJobs,
    work: {
      jobs: c.crashJobs + c.rebootJobs - before.jobs,
      uniforms: c.uniforms - before.uniforms,
      drawsByKind: Array.from(c.drawsByKind, (v, k) => v - before.draws[k]!),
      histogramInserts: c.histogramInserts - before.inserts,
    },
    shardSeconds,
  };
}

interface FloorRound {
  seconds: number;
  others: number;
  work: RoundWork;
  eventCountUniforms: number;
}

function runFloorRound(floor: FloorLoop, shards: readonly ShardTask[]): FloorRound {
  const c = floor.counters;
  const before = {
    jobs: c.jobs,
    uniforms: c.uniforms,
    events: c.eventCountUniforms,
    draws: Array.from(c.drawsByKind),
    inserts: c.histogramInserts,
  };
  floor.startRound();
  const mark = cpuMark();
  const start = now();
  for (const shard of shards) {
    floor.runShard(shard);
  }
  const seconds = secondsSince(start);
  return {
    seconds,
    others: othersCores(mark, cpuMark()),
    work: {
      jobs: c.jobs - before.jobs,
      uniforms: c.uniforms - before.uniforms,
      drawsByKind: Array.from(c.drawsByKind, (v, k) => v - before.draws[k]!),
      histogramInserts: c.histogramInserts - before.inserts,
    },
    eventCountUniforms: c.eventCountUniforms - before.events,
  };
}

function sameWork(a: RoundWork, b: RoundWork): boolean {
  return (
    a.jobs === b.jobs &&
    a.uniforms === b.uniforms &&
    a.histogramInserts === b.histogramInserts &&
    a.drawsByKind.every((v, k) => v === b.drawsByKind[k])
  );
}

/** Best split of shard costs between two threads (exhaustive up to 20 shards, else greedy). */
function twoThreadCap(costs: readonly number[]): number {
  const total = costs.reduce((a, b) => a + b, 0);
  let best = total;
  if (costs.length <= 20) {
    for (let mask = 0; mask < 1 << (costs.length - 1); mask++) {
      let a = 0;
      costs.forEach((c, i) => {
        if (mask & (1 << i)) {
          a += c;
        }
      });
      best = Math.min(best, Math.max(a, total - a));
    }
  } else {
    const loads = [0, 0];
    for (const c of [...costs].sort((x, y) => y - x)) {
      loads[loads[0]! <= loads[1]! ? 0 : 1]! += c;
    }
    best = Math.max(...loads);
  }
  return total / best;
}

type Done = Extract<WorkerReply, { kind: 'done' }>;

/** A pre-started bench worker. Requests are answered in order, several may be in flight. */
class BenchWorker {
  private readonly worker: Worker;
  private readonly pending: { resolve: (r: Done) => void; reject: (e: Error) => void }[] = [];
  private failure: Error | null = null;
  readonly ready: Promise<number>;

  constructor(setup: WorkerSetup) {
    this.worker = new Worker(path.join(__dirname, 'thread-worker.js'), { workerData: setup });
    let onReady: (reply: WorkerReply) => void = () => undefined;
    this.ready = new Promise((resolve, reject) => {
      onReady = (reply) =>
        reply.kind === 'ready' ? resolve(reply.shards) : reject(new Error(JSON.stringify(reply)));
      this.worker.once('error', reject);
    });
    let started = false;
    this.worker.on('message', (reply: WorkerReply) => {
      if (!started) {
        started = true;
        onReady(reply);
        return;
      }
      const p = this.pending.shift();
      if (reply.kind === 'done') {
        p?.resolve(reply);
      } else {
        p?.reject(new Error(JSON.stringify(reply)));
      }
    });
    this.worker.on('error', (e) => {
      this.failure = e;
      for (const p of this.pending.splice(0)) {
        p.reject(e);
      }
    });
  }

  run(request: RunRequest): Promise<Done> {
    if (this.failure) {
      return Promise.reject(this.failure);
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.worker.postMessage(request);
    });
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

interface ThreadRound {
  seconds: number;
  others: number;
  evaluations: number;
  /** Per worker: shards run, busy time, and of that, time runnable but off-CPU. */
  shards: number[];
  busySeconds: number[];
  waitingSeconds: number[];
}

/**
 * Runs the work list on the workers as a pool does: a shared queue, chunks of
 * {@link CHUNK_SHARDS} shards handed to whichever worker answers, two chunks in
 * flight per worker so none waits for a message. A worker on a slower vCPU
 * simply takes fewer chunks.
 */
async function runThreadRound(
  workers: readonly BenchWorker[],
  work: readonly number[],
): Promise<ThreadRound> {
  let next = 0;
  const take = (): number[] | null => {
    if (next >= work.length) {
      return null;
    }
    const chunk = work.slice(next, next + CHUNK_SHARDS);
    next += chunk.length;
    return chunk;
  };
  const round: ThreadRound = {
    seconds: 0,
    others: 0,
    evaluations: 0,
    shards: workers.map(() => 0),
    busySeconds: workers.map(() => 0),
    waitingSeconds: workers.map(() => 0),
  };
  const drive = async (w: BenchWorker, i: number): Promise<void> => {
    const inFlight: { size: number; reply: Promise<Done> }[] = [];
    const send = () => {
      const chunk = take();
      if (chunk) {
        inFlight.push({ size: chunk.length, reply: w.run({ shards: chunk }) });
      }
    };
    send();
    send();
    while (inFlight.length > 0) {
      const { size, reply } = inFlight.shift()!;
      const r = await reply;
      round.evaluations += r.evaluations;
      round.shards[i]! += size;
      round.busySeconds[i]! += r.busySeconds;
      round.waitingSeconds[i]! += r.waitingSeconds;
      send();
    }
  };
  const mark = cpuMark();
  const start = now();
  await Promise.all(workers.map(drive));
  round.seconds = secondsSince(start);
  round.others = othersCores(mark, cpuMark());
  return round;
}

const fmtS = (n: number) => `${n.toFixed(3)} s`;
const fmtX = (n: number) => `${n.toFixed(2)}×`;
const fmtM = (n: number) => `${millions(n)}/s`;
const spreadJson = (s: Spread, digits = 3) => ({
  median: round(s.median, digits),
  min: round(s.min, digits),
  max: round(s.max, digits),
});

async function main(): Promise<void> {
  const benchStart = now();
  const specPath = process.argv[2] ?? DEFAULT_SPEC;
  const specName = path.relative(process.cwd(), specPath) || specPath;
  const model = loadModel(specPath);
  const engine = new FleetEngine(model);
  const shards = planShards(model);
  const cpus = os.cpus();

  console.log(`kdump-core speed benchmark — ${specName}`);
  console.log(
    `  ${int(model.servers)} servers, ${model.strategies.length} strategies (common random numbers), ` +
      `${shards.length} shards of ≤ ${int(shards[0]!.serverEnd - shards[0]!.serverStart)} servers`,
  );
  console.log(
    `  node ${process.version}, ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? '?'}), ` +
      `${os.platform()} ${os.arch()}`,
  );

  // ---- Model against floor, one core ---------------------------------------------------
  // The first model round counts the work and fills one aggregate, to find the histograms
  // the model uses; it is also the first warm-up round.
  const calibration = emptyAggregate(engine.layout);
  const first = runModelRound(engine, shards, calibration);
  const evaluationsPerRound = first.evaluations;
  const crashJobsPerRound = first.crashJobs;
  const work = first.work;
  const layout = engine.layout;
  const filled: number[] = [];
  for (let s = 0; s < layout.strategies.length; s++) {
    for (let k = 0; k < JOB_KINDS.length; k++) {
      for (let h = 0; h < layout.histogramCount; h++) {
        const base = layout.histogram(s, k, h);
        if (histogramCount(calibration.slots, base) > 0) {
          filled.push(base);
        }
      }
    }
  }
  const floor = new FloorLoop(model, layout, work, filled);

  for (let i = 1; i < WARMUP_MODEL_ROUNDS; i++) {
    runModelRound(engine, shards);
  }
  for (let i = 0; i < WARMUP_FLOOR_ROUNDS; i++) {
    runFloorRound(floor, shards);
  }

  const modelRounds: ModelRound[] = [];
  const floorRounds: FloorRound[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    modelRounds.push(runModelRound(engine, shards));
    floorRounds.push(runFloorRound(floor, shards));
  }
  for (const [i, m] of modelRounds.entries()) {
    if (m.evaluations !== evaluationsPerRound || !sameWork(m.work, work)) {
      throw new Error(`model round ${i + 1} did different work than the calibration round`);
    }
    if (!sameWork(floorRounds[i]!.work, work)) {
      throw new Error(
        `floor round ${i + 1} did not match the model's work: ${JSON.stringify(floorRounds[i]!.work)} vs ${JSON.stringify(work)}`,
      );
    }
  }
  const fw = floorRounds[0]!;
  // The engine's poissonDraw takes k + 1 uniforms for k events, per server and event kind;
  // the engine does not count them, so derive them from its job counts.
  const expectedEventUniforms =
    (model.crashes?.fixed === null ? model.servers + crashJobsPerRound : 0) +
    (model.reboots?.fixed === null ? model.servers + work.jobs - crashJobsPerRound : 0);

  console.log('\nWork per round (model = engine counters, floor = its own count; must match)');
  const perJob = (n: number) => (n / work.jobs).toFixed(3);
  console.log(
    table(
      ['per round', 'model', 'floor', 'per crash'],
      [
        ['servers', int(model.servers), int(model.servers), ''],
        ['crash + reboot jobs', int(work.jobs), int(fw.work.jobs), '1'],
        [
          'evaluations (job × strategy)',
          int(evaluationsPerRound),
          '—',
          perJob(evaluationsPerRound),
        ],
        ['uniforms, job blocks', int(work.uniforms), int(fw.work.uniforms), perJob(work.uniforms)],
        [
          'uniforms, Poisson event counts',
          `${int(expectedEventUniforms)} (k+1/server)`,
          int(fw.eventCountUniforms),
          perJob(fw.eventCountUniforms),
        ],
        ...KIND_NAMES.map((name, k) => [
          `transforms, ${name}`,
          int(work.drawsByKind[k]!),
          int(fw.work.drawsByKind[k]!),
          perJob(work.drawsByKind[k]!),
        ]),
        [
          'histogram inserts',
          int(work.histogramInserts),
          int(fw.work.histogramInserts),
          perJob(work.histogramInserts),
        ],
      ],
    ),
  );
  console.log(
    `  floor inserts cycle through the ${filled.length} histograms the model fills ` +
      `(of ${layout.strategies.length * JOB_KINDS.length * layout.histogramCount} in the layout); ` +
      `transforms use the model's own compiled distributions of each kind`,
  );
  if (fw.eventCountUniforms !== expectedEventUniforms) {
    throw new Error(
      `floor drew ${fw.eventCountUniforms} event-count uniforms, the engine ${expectedEventUniforms}`,
    );
  }

  const modelRates = modelRounds.map((m) => m.evaluations / m.seconds);
  const ratios = modelRounds.map((m, i) => m.seconds / floorRounds[i]!.seconds);
  const modelSeconds = spread(modelRounds.map((m) => m.seconds));
  const floorSeconds = spread(floorRounds.map((f) => f.seconds));
  const rate = spread(modelRates);
  const floorRatio = spread(ratios);
  const floorRate = spread(floorRounds.map((f) => evaluationsPerRound / f.seconds));

  console.log(
    `\nModel vs floor, main thread: ${WARMUP_MODEL_ROUNDS} model + ${WARMUP_FLOOR_ROUNDS} floor ` +
      `warm-up rounds (${shards.length} runShard calls each), then ${ROUNDS} interleaved rounds`,
  );
  console.log(
    table(
      [
        'round',
        'model s',
        'model evaluations/s',
        'floor s',
        'floor-equivalent evals/s',
        'ratio',
        "others' cores m / f",
      ],
      modelRounds.map((m, i) => [
        String(i + 1),
        m.seconds.toFixed(3),
        millions(modelRates[i]!),
        floorRounds[i]!.seconds.toFixed(3),
        millions(evaluationsPerRound / floorRounds[i]!.seconds),
        ratios[i]!.toFixed(2),
        `${m.others.toFixed(2)} / ${floorRounds[i]!.others.toFixed(2)}`,
      ]),
    ),
  );
  console.log(`  model evaluations/s/core  ${showSpread(rate, fmtM)}   median [min – max]`);
  console.log(`  model time per round      ${showSpread(modelSeconds, fmtS)}`);
  console.log(`  floor time per round      ${showSpread(floorSeconds, fmtS)}`);
  console.log(`  floor-equivalent rate     ${showSpread(floorRate, fmtM)}`);
  console.log(`  floorRatio (model÷floor)  ${showSpread(floorRatio, fmtX)}   median of per-round`);

  // Default plan's granularity, from the measured shard times of the model rounds.
  const shardMedians = shards.map((_, i) => spread(modelRounds.map((m) => m.shardSeconds[i]!)));
  const defaultPlanCap = twoThreadCap(shardMedians.map((s) => s.median));
  console.log(
    `  default plan: ${shards.length} shards, median ${shardMedians
      .map((s) => s.median.toFixed(3))
      .join(' / ')} s; its best 2-thread split caps scaling at ${fmtX(defaultPlanCap)}`,
  );

  // ---- Threads ------------------------------------------------------------------------
  const passes = Math.max(1, Math.min(10, Math.round(THREAD_ROUND_SECONDS / modelSeconds.median)));
  const setup: WorkerSetup = { specPath, shardSize: THREAD_SHARD_SERVERS };
  const startup = now();
  const workers = [new BenchWorker(setup), new BenchWorker(setup)];
  const planSizes = await Promise.all(workers.map((w) => w.ready));
  const startupSeconds = secondsSince(startup);
  const threadShards = planSizes[0]!;
  const list: number[] = [];
  for (let p = 0; p < passes; p++) {
    for (let i = 0; i < threadShards; i++) {
      list.push(i);
    }
  }
  const threadRounds: { one: ThreadRound; two: ThreadRound }[] = [];
  try {
    for (let i = 0; i < THREAD_WARMUP_ROUNDS; i++) {
      await runThreadRound([workers[0]!], list.slice(0, threadShards));
      await runThreadRound([workers[1]!], list.slice(0, threadShards));
      await runThreadRound(workers, list.slice(0, threadShards));
    }
    for (let r = 0; r < THREAD_ROUNDS; r++) {
      // Alternate which goes first (1-2, 2-1, ...) so a slow stretch of the machine
      // does not always land on the same side, and which worker is the single thread:
      // the two vCPUs of these machines do not always run at the same speed.
      const single = [workers[r % 2]!];
      if (r % 2 === 0) {
        const one = await runThreadRound(single, list);
        const two = await runThreadRound(workers, list);
        threadRounds.push({ one, two });
      } else {
        const two = await runThreadRound(workers, list);
        const one = await runThreadRound(single, list);
        threadRounds.push({ one, two });
      }
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
  const threadEvaluations = threadRounds[0]!.one.evaluations;
  if (threadEvaluations !== passes * evaluationsPerRound) {
    throw new Error(`one thread made ${threadEvaluations} evaluations, expected ${passes} rounds`);
  }
  for (const t of threadRounds) {
    if (t.one.evaluations !== threadEvaluations || t.two.evaluations !== threadEvaluations) {
      throw new Error('thread rounds did different amounts of work');
    }
  }
  const scalings = threadRounds.map((t) => t.one.seconds / t.two.seconds);
  const threadScaling = spread(scalings);
  const oneSeconds = spread(threadRounds.map((t) => t.one.seconds));
  const twoSeconds = spread(threadRounds.map((t) => t.two.seconds));

  console.log(
    `\nThreads: ${passes} × the whole fleet per round (${int(threadEvaluations)} evaluations, ` +
      `${threadShards * passes} shards of ${THREAD_SHARD_SERVERS} servers from a shared queue, ${CHUNK_SHARDS} per message, 2 messages in flight per worker); ` +
      `workers pre-started (start-up + spec compile ${startupSeconds.toFixed(3)} s, excluded), ` +
      `${THREAD_WARMUP_ROUNDS} warm-up round, then ${THREAD_ROUNDS} interleaved rounds (1T-2T, 2T-1T, …; the single thread alternates between the two workers); ` +
      `timed from posting the work to the last reply`,
  );
  console.log(
    table(
      [
        'round',
        '1 thread s (worker)',
        '2 threads s',
        'scaling',
        '2T shards, busy s (waited) w0 / w1',
        '2 threads evals/s',
        "others' cores 1T / 2T",
      ],
      threadRounds.map((t, i) => [
        String(i + 1),
        `${t.one.seconds.toFixed(3)} (w${i % 2})`,
        t.two.seconds.toFixed(3),
        scalings[i]!.toFixed(3),
        t.two.busySeconds
          .map(
            (b, w) => `${t.two.shards[w]} ${b.toFixed(3)} (${t.two.waitingSeconds[w]!.toFixed(2)})`,
          )
          .join(' / '),
        millions(threadEvaluations / t.two.seconds),
        `${t.one.others.toFixed(2)} / ${t.two.others.toFixed(2)}`,
      ]),
    ),
  );
  console.log(
    '  shards, busy = what each worker took from the queue and its own time on it; (waited) = of ' +
      'that, runnable but off-CPU (/proc/thread-self/schedstat). Uneven shares with no wait ' +
      'mean one vCPU ran slower.',
  );
  console.log(`  1 thread                  ${showSpread(oneSeconds, fmtS)}`);
  console.log(`  2 threads                 ${showSpread(twoSeconds, fmtS)}`);
  console.log(
    `  threadScaling (1T÷2T)     ${showSpread(threadScaling, (n) => n.toFixed(3) + '×')}`,
  );

  // ---- Per crash: single-strategy spec against the pinned reference, and SimPy -------------
  const perCrash = runPerCrash();

  const others = spread([
    ...modelRounds.map((m) => m.others),
    ...floorRounds.map((f) => f.others),
    ...threadRounds.flatMap((t) => [t.one.others, t.two.others]),
  ]);
  console.log(
    `\nOther processes on this machine used ${showSpread(others, (n) => n.toFixed(2))} cores ` +
      `during the timed rounds (machine CPU time from /proc/stat minus this process's)` +
      (others.max > 0.2 ? '; rounds with a high figure were slowed by them' : ''),
  );

  const met = {
    evaluationsPerSecondPerCore: rate.median >= GOALS.evaluationsPerSecondPerCore,
    floorRatio: floorRatio.median <= GOALS.floorRatio,
    threadScaling: threadScaling.median >= GOALS.threadScaling,
  };
  console.log(
    `\nGoals: ≥ ${millions(GOALS.evaluationsPerSecondPerCore)} evaluations/s/core: ` +
      `${met.evaluationsPerSecondPerCore ? 'met' : 'NOT met'}; floorRatio ≤ ${GOALS.floorRatio}: ` +
      `${met.floorRatio ? 'met' : 'NOT met'}; threadScaling ≥ ${GOALS.threadScaling}: ` +
      `${met.threadScaling ? 'met' : 'NOT met'}  (bench took ${secondsSince(benchStart).toFixed(1)} s)`,
  );

  console.log(
    JSON.stringify({
      spec: specName,
      evaluationsPerSecondPerCore: Math.round(rate.median),
      floorRatio: round(floorRatio.median),
      threadScaling: round(threadScaling.median),
      spreads: {
        evaluationsPerSecondPerCore: { min: Math.round(rate.min), max: Math.round(rate.max) },
        floorRatio: { min: round(floorRatio.min), max: round(floorRatio.max) },
        threadScaling: { min: round(threadScaling.min), max: round(threadScaling.max) },
        modelSecondsPerRound: spreadJson(modelSeconds, 4),
        floorSecondsPerRound: spreadJson(floorSeconds, 4),
        oneThreadSeconds: spreadJson(oneSeconds, 4),
        twoThreadSeconds: spreadJson(twoSeconds, 4),
      },
      floorEvaluationsPerSecond: Math.round(floorRate.median),
      singleStrategy: {
        crashesPerSecond: Math.round(perCrash.crashesPerSecond.median),
        referenceCrashesPerSecond: Math.round(perCrash.referenceCrashesPerSecond.median),
        speedup: spreadJson(perCrash.speedup, 2),
        sameAggregateAsReference: perCrash.sameAggregate,
        simpy:
          'skipped' in perCrash.simpy
            ? perCrash.simpy
            : {
                crashesPerSecond: Math.round(perCrash.simpy.crashesPerSecond.median),
                projectOverSimpy: spreadJson(perCrash.simpy.ratio, 1),
              },
      },
      otherProcessesCores: spreadJson(others, 2),
      evaluationsPerRound,
      rounds: { modelFloor: ROUNDS, threads: THREAD_ROUNDS },
      threadEvaluationsPerRound: threadEvaluations,
      threadTiming:
        'workers pre-started and warmed (start-up excluded); timed from the first work message ' +
        'to the last reply; shards from a shared queue',
      threadShardServers: THREAD_SHARD_SERVERS,
      defaultPlanTwoThreadCap: round(defaultPlanCap),
      goals: GOALS,
      met,
      allGoalsMet: met.evaluationsPerSecondPerCore && met.floorRatio && met.threadScaling,
    }),
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});

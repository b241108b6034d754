/**
 * Distributed benchmark (`npm run bench:distributed`), on a local Redis
 * (REDIS_URL, default redis://127.0.0.1:6379):
 *
 * 1. The same ≈ 100-million-evaluation spec (bench/distributed-100m.yaml) run
 *    embedded — `fleetsim run --threads 2`, wall time of the command — and
 *    distributed — a coordinator and 2 node-workers (WORKER_CONCURRENCY=1 each),
 *    wall time from `POST /experiments` until it reads `done` — in interleaved
 *    rounds, side by side; their reports must be equal but `run`.
 *    distributedOverEmbedded = embedded time ÷ distributed time (goal ≥ 0.85).
 * 2. Single-server crash jobs over the API (`POST /servers/:profile/:index/crash
 *    ?experiment=…`), sequential, after a warm-up: round-trip p50 / p99 (goal
 *    p99 ≤ 10 ms).
 * 3. The same crash jobs while the 100-million-evaluation experiment keeps both
 *    workers busy and its shards queued (then it is cancelled): p50 / p99 under
 *    load, and the shards still waiting when the last one returned.
 *
 * Ends with one JSON line of the headline figures. BENCH_ROUNDS (default 2)
 * sets the rounds of part 1; BENCH_ROUNDS=0 measures the crash round trips only.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileExperiment, parseSpecText } from '../libs/kdump-core/src';
import {
  App,
  checkRedis,
  cleanPrefix,
  COORDINATOR_MAIN,
  freePort,
  http,
  quantile,
  ROOT,
  runCli,
  sleep,
  uniquePrefix,
  withoutRun,
  WORKER_MAIN,
} from './distributed-support';
import { cpuMark, type CpuMark } from './machine';
import { round, showSpread, spread, table, type Spread } from './stats';

const GOALS = { distributedOverEmbedded: 0.85, crashJobP99Ms: 10 };
const SPEC = path.join(ROOT, 'bench', 'distributed-100m.yaml');
/** Rounds of part 1; 0 skips it (crash round trips only, on examples/quickstart.yaml). */
const ROUNDS = benchRounds(process.env.BENCH_ROUNDS);
const WORKERS = 2;
const RTT_WARMUP = 50;
const RTT_REQUESTS = 300;
/** Crash round trips of part 3, while an experiment runs. */
const UNDER_LOAD_REQUESTS = 100;
/** Warm-up of part 3: each worker compiles the experiment's spec for its first trace. */
const UNDER_LOAD_WARMUP = 5;
/** Status polling while a distributed run goes: short, so the end is seen within ~10 ms. */
const POLL_MS = 10;

function benchRounds(raw: string | undefined): number {
  if (raw === undefined || raw === '') {
    return 2;
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`BENCH_ROUNDS must be an integer >= 0, got "${raw}"`);
  }
  return n;
}

interface Round {
  seconds: number;
  /** Average busy cores of the whole machine during the round (/proc/stat). */
  busyCores: number;
  report: string;
}

function busyCores(from: CpuMark, to: CpuMark): number {
  return (to.machine - from.machine) / (Number(to.wall - from.wall) / 1e9);
}

async function embeddedRound(): Promise<Round> {
  const mark = cpuMark();
  const r = await runCli(['run', SPEC, '--threads', '2', '--format', 'json']);
  const end = cpuMark();
  if (r.code !== 0) {
    throw new Error(`fleetsim run exited ${r.code}: ${r.stderr}`);
  }
  return { seconds: r.seconds, busyCores: busyCores(mark, end), report: r.stdout };
}

/** Posts a spec to the coordinator; its experiment id. */
async function submitExperiment(coordinator: App, specText: string): Promise<string> {
  const post = await http<{ id: string }>('POST', `${coordinator.url}/experiments`, {
    text: specText,
    contentType: 'application/yaml',
  });
  if (post.status !== 201) {
    throw new Error(`POST /experiments: ${post.status} ${post.text}`);
  }
  return post.json.id;
}

async function distributedRound(
  coordinator: App,
  specText: string,
): Promise<Round & { id: string }> {
  const mark = cpuMark();
  const started = process.hrtime.bigint();
  const id = await submitExperiment(coordinator, specText);
  for (;;) {
    const s = await http<{ state: string }>('GET', `${coordinator.url}/experiments/${id}`);
    if (s.json?.state === 'done') {
      break;
    }
    if (s.json?.state === 'failed' || s.json?.state === 'cancelled') {
      throw new Error(`experiment ${id} ended ${s.json.state}: ${s.text}`);
    }
    await sleep(POLL_MS);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const end = cpuMark();
  const report = await http('GET', `${coordinator.url}/experiments/${id}/report`);
  if (report.status !== 200) {
    throw new Error(`GET report: ${report.status} ${report.text}`);
  }
  return { id, seconds, busyCores: busyCores(mark, end), report: report.text };
}

async function crashRoundTrips(
  coordinator: App,
  experimentId: string,
  requests = RTT_REQUESTS,
  warmup = RTT_WARMUP,
): Promise<number[]> {
  const one = async (i: number): Promise<number> => {
    const t0 = performance.now();
    const r = await fetch(
      `${coordinator.url}/servers/compute-2s/${i % 1500}/crash?experiment=${experimentId}`,
      { method: 'POST' },
    );
    await r.arrayBuffer();
    const ms = performance.now() - t0;
    if (r.status !== 200 && r.status !== 201) {
      throw new Error(`POST /servers/compute-2s/${i}/crash: ${r.status}`);
    }
    return ms;
  };
  for (let i = 0; i < warmup; i++) {
    await one(i);
  }
  const times: number[] = [];
  for (let i = 0; i < requests; i++) {
    times.push(await one(warmup + i * 97));
  }
  return times;
}

interface ExperimentStatus {
  state: string;
  shards: { done: number; total: number };
}

/** Part 3: crash round trips while an experiment's shards keep every worker busy. */
async function crashRoundTripsUnderLoad(
  coordinator: App,
  specText: string,
): Promise<{ times: number[]; shardsLeft: number; shardsTotal: number }> {
  const id = await submitExperiment(coordinator, specText);
  try {
    // Wait until the workers are on it: some shards done, most still queued.
    for (;;) {
      const s = await http<ExperimentStatus>('GET', `${coordinator.url}/experiments/${id}`);
      if (s.json?.state === 'running' && s.json.shards.done > 0) {
        break;
      }
      await sleep(POLL_MS);
    }
    const times = await crashRoundTrips(coordinator, id, UNDER_LOAD_REQUESTS, UNDER_LOAD_WARMUP);
    const s = await http<ExperimentStatus>('GET', `${coordinator.url}/experiments/${id}`);
    return {
      times,
      shardsLeft: s.json.shards.total - s.json.shards.done,
      shardsTotal: s.json.shards.total,
    };
  } finally {
    await http('DELETE', `${coordinator.url}/experiments/${id}`);
  }
}

/** Part 1: embedded and distributed rounds, interleaved, side by side. */
async function compareModes(
  coordinator: App,
  specText: string,
  evaluations: number,
): Promise<{
  ratio: number;
  embedded: Spread;
  distributed: Spread;
  same: boolean;
  lastId: string;
}> {
  const embedded: Round[] = [];
  const distributed: Array<Round & { id: string }> = [];
  for (let r = 1; r <= ROUNDS; r++) {
    const e = await embeddedRound();
    embedded.push(e);
    console.log(
      `round ${r}: embedded    ${e.seconds.toFixed(2)} s (machine busy ${e.busyCores.toFixed(2)} cores)`,
    );
    const d = await distributedRound(coordinator, specText);
    distributed.push(d);
    console.log(
      `round ${r}: distributed ${d.seconds.toFixed(2)} s (machine busy ${d.busyCores.toFixed(2)} cores)`,
    );
  }
  const same = [...embedded, ...distributed].every(
    (x) => withoutRun(x.report) === withoutRun(embedded[0]!.report),
  );
  const run = (json: string) =>
    (JSON.parse(json) as { run: { shards: number; shardSize: number } }).run;
  const e = spread(embedded.map((x) => x.seconds));
  const d = spread(distributed.map((x) => x.seconds));
  const ratio = e.median / d.median;
  const secs = (n: number) => `${n.toFixed(2)} s`;
  const rate = (s: number) => `${(evaluations / s / 1e6).toFixed(2)} M/s`;
  console.log('');
  console.log(
    table(
      ['mode', 'wall (median [min – max])', 'evaluations/s', 'shards × size', 'busy cores'],
      [
        [
          'embedded, 2 threads',
          showSpread(e, secs),
          rate(e.median),
          `${run(embedded[0]!.report).shards} × ${run(embedded[0]!.report).shardSize}`,
          spread(embedded.map((x) => x.busyCores)).median.toFixed(2),
        ],
        [
          `distributed, ${WORKERS} workers`,
          showSpread(d, secs),
          rate(d.median),
          `${run(distributed[0]!.report).shards} × ${run(distributed[0]!.report).shardSize}`,
          spread(distributed.map((x) => x.busyCores)).median.toFixed(2),
        ],
      ],
    ),
  );
  console.log(
    `\ndistributedOverEmbedded = embedded ÷ distributed = ${ratio.toFixed(3)} (goal ≥ ${GOALS.distributedOverEmbedded})`,
  );
  console.log(`reports equal but \`run\`: ${same ? 'yes' : 'NO'}`);
  return { ratio, embedded: e, distributed: d, same, lastId: distributed.at(-1)!.id };
}

async function healthRoundTrips(coordinator: App): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < RTT_WARMUP + RTT_REQUESTS; i++) {
    const t0 = performance.now();
    const r = await fetch(`${coordinator.url}/health`);
    await r.arrayBuffer();
    if (i >= RTT_WARMUP) {
      times.push(performance.now() - t0);
    }
  }
  return times;
}

async function main(): Promise<void> {
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  await checkRedis(redisUrl);
  const specText = fs.readFileSync(SPEC, 'utf8');
  const parsed = parseSpecText(specText);
  if (!parsed.ok) {
    throw new Error(`invalid ${SPEC}: ${JSON.stringify(parsed.errors)}`);
  }
  const model = compileExperiment(parsed.resolved);
  const crashes = parsed.resolved.spec.events?.crash?.perServer ?? 0;
  const evaluations = model.servers * crashes * parsed.resolved.strategies.length;

  console.log('Distributed benchmark: embedded vs coordinator + node-workers');
  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}, Redis ${redisUrl}`,
  );
  console.log(
    `spec: ${path.relative(ROOT, SPEC)}: ${model.servers.toLocaleString('en-US')} servers × ${crashes} crashes × ${parsed.resolved.strategies.length} strategies = ${(evaluations / 1e6).toFixed(1)} M evaluations`,
  );
  console.log(
    `embedded: fleetsim run --threads 2; distributed: coordinator + ${WORKERS} workers (WORKER_CONCURRENCY=1); ${ROUNDS} interleaved round(s)\n`,
  );

  const prefix = uniquePrefix('bench');
  const env = { REDIS_URL: redisUrl, QUEUE_PREFIX: prefix };
  const apps: App[] = [];
  try {
    const coordinatorPort = await freePort();
    const coordinator = new App('coordinator', COORDINATOR_MAIN, coordinatorPort, {
      ...env,
      PORT: String(coordinatorPort),
    });
    apps.push(coordinator);
    for (let i = 1; i <= WORKERS; i++) {
      const port = await freePort();
      apps.push(
        new App(`worker-${i}`, WORKER_MAIN, port, {
          ...env,
          METRICS_PORT: String(port),
          WORKER_CONCURRENCY: '1',
        }),
      );
    }
    await Promise.all(apps.map((a) => a.waitHealthy()));

    const part1 = ROUNDS > 0 ? await compareModes(coordinator, specText, evaluations) : null;

    let rttExperiment = part1?.lastId;
    if (!rttExperiment) {
      const quickstart = fs.readFileSync(path.join(ROOT, 'examples', 'quickstart.yaml'), 'utf8');
      rttExperiment = (await distributedRound(coordinator, quickstart)).id;
    }
    const times = await crashRoundTrips(coordinator, rttExperiment);
    const sorted = [...times].sort((a, b) => a - b);
    const p50 = quantile(sorted, 0.5);
    const p99 = quantile(sorted, 0.99);
    console.log(
      `\nsingle-server crash jobs over the API: ${RTT_REQUESTS} sequential after ${RTT_WARMUP} warm-up:` +
        ` p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${sorted.at(-1)!.toFixed(2)} ms (goal p99 ≤ ${GOALS.crashJobP99Ms} ms)`,
    );
    // The HTTP floor under it: the coordinator's /health (one Redis PING), same client.
    const health = (await healthRoundTrips(coordinator)).sort((a, b) => a - b);
    const healthP50 = quantile(health, 0.5);
    const healthP99 = quantile(health, 0.99);
    console.log(
      `for scale, GET /health (HTTP + one Redis round trip): p50 ${healthP50.toFixed(2)} ms, p99 ${healthP99.toFixed(2)} ms`,
    );

    const loaded = await crashRoundTripsUnderLoad(coordinator, specText);
    const loadedSorted = [...loaded.times].sort((a, b) => a - b);
    const loadedP50 = quantile(loadedSorted, 0.5);
    const loadedP99 = quantile(loadedSorted, 0.99);
    console.log(
      `the same while ${path.basename(SPEC)} runs (${loaded.shardsLeft} of ${loaded.shardsTotal} shards still to do after the last one):` +
        ` ${UNDER_LOAD_REQUESTS} sequential after ${UNDER_LOAD_WARMUP} warm-up: p50 ${loadedP50.toFixed(2)} ms, p99 ${loadedP99.toFixed(2)} ms, max ${loadedSorted.at(-1)!.toFixed(2)} ms`,
    );

    const ratio = part1?.ratio ?? null;
    console.log(
      JSON.stringify({
        distributedOverEmbedded: ratio === null ? null : round(ratio),
        crashJobP50Ms: round(p50, 2),
        crashJobP99Ms: round(p99, 2),
        crashJobUnderLoadP50Ms: round(loadedP50, 2),
        crashJobUnderLoadP99Ms: round(loadedP99, 2),
        healthP50Ms: round(healthP50, 2),
        healthP99Ms: round(healthP99, 2),
        embeddedSeconds: part1 ? round(part1.embedded.median) : null,
        distributedSeconds: part1 ? round(part1.distributed.median) : null,
        evaluations,
        embeddedEvaluationsPerSecond: part1
          ? Math.round(evaluations / part1.embedded.median)
          : null,
        distributedEvaluationsPerSecond: part1
          ? Math.round(evaluations / part1.distributed.median)
          : null,
        rounds: ROUNDS,
        workers: WORKERS,
        reportsEqual: part1?.same ?? null,
        goalsMet:
          ratio !== null &&
          ratio >= GOALS.distributedOverEmbedded &&
          p99 <= GOALS.crashJobP99Ms &&
          part1!.same,
      }),
    );
    if (part1 && !part1.same) {
      process.exitCode = 1;
    }
  } catch (e) {
    for (const a of apps) {
      console.error(`--- ${a.name} (last lines) ---\n${a.logs.slice(-20).join('\n')}`);
    }
    throw e;
  } finally {
    await Promise.all(apps.map((a) => a.stop()));
    await cleanPrefix(redisUrl, prefix);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
});

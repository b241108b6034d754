/**
 * `npm run bench:load`: the coordinator and two node-workers (concurrency 1,
 * as built processes on loopback) under load, bounded in time. Needs Redis at
 * REDIS_URL (default 127.0.0.1:6379); uses a queue prefix of its own and
 * deletes it afterwards. Not part of `npm test`.
 *
 * 1. Idle: single-server crash round trips, sequential (goal p99 ≤ 10 ms).
 * 2. Load, LOAD_ROUNDS rounds (default 2) of LOAD_SECONDS (default 30): 50
 *    experiments submitted at once while CRASH_IN_FLIGHT (default 50)
 *    single-server crash requests are kept in flight; then every experiment
 *    is awaited. Errors (any answer but 200/201, any failed experiment) must
 *    be 0; RSS of every process is printed before and after each round and
 *    must level off from one round to the next.
 *
 * The last line is one JSON object with the figures.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  App,
  checkRedis,
  cleanPrefix,
  COORDINATOR_MAIN,
  freePort,
  http,
  quantile,
  ROOT,
  sleep,
  uniquePrefix,
  WORKER_MAIN,
} from './distributed-support';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const LOAD_SECONDS = Number(process.env.LOAD_SECONDS ?? 30);
const LOAD_ROUNDS = Number(process.env.LOAD_ROUNDS ?? 2);
const CRASH_IN_FLIGHT = Number(process.env.CRASH_IN_FLIGHT ?? 50);
const EXPERIMENTS = 50;
const IDLE_REQUESTS = 1000;
const IDLE_WARMUP = 100;

/** quickstart.yaml with a tenth of its servers: 50 of them keep two workers busy. */
const SPEC = fs
  .readFileSync(path.join(ROOT, 'examples/quickstart.yaml'), 'utf8')
  .replace('count: 1500', 'count: 150')
  .replace('count: 1000', 'count: 100')
  .replace('count: 500', 'count: 50');
const YAML = { text: SPEC, contentType: 'application/yaml' };

function ms(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e6;
}

function summary(times: number[]): { n: number; p50: number; p99: number; max: number } {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: Number(quantile(sorted, 0.5).toFixed(2)),
    p99: Number(quantile(sorted, 0.99).toFixed(2)),
    max: Number((sorted.at(-1) ?? NaN).toFixed(2)),
  };
}

async function crash(url: string, experiment: string, i: number): Promise<number> {
  const r = await http(
    'POST',
    `${url}/servers/compute-2s/${i % 150}/crash?experiment=${experiment}`,
  );
  return r.status;
}

async function main(): Promise<void> {
  await checkRedis(REDIS_URL);
  const prefix = uniquePrefix('bench-load');
  const env = { REDIS_URL, QUEUE_PREFIX: prefix };
  const port = await freePort();
  const apps = [new App('coordinator', COORDINATOR_MAIN, port, { ...env, PORT: String(port) })];
  for (const n of [1, 2]) {
    const metricsPort = await freePort();
    apps.push(
      new App(`worker-${n}`, WORKER_MAIN, metricsPort, {
        ...env,
        METRICS_PORT: String(metricsPort),
        WORKER_CONCURRENCY: '1',
      }),
    );
  }
  const [coord, ...workers] = apps as [App, ...App[]];
  const rss = () => Object.fromEntries(apps.map((a) => [a.name, Number(a.rssMiB().toFixed(1))]));
  try {
    await coord.waitHealthy();
    for (const w of workers) {
      await w.waitHealthy();
    }
    const first = await http<{ id: string }>('POST', `${coord.url}/experiments`, YAML);
    if (first.status !== 201) {
      throw new Error(`POST /experiments: ${first.status} ${first.text}`);
    }
    const experiment = first.json.id;
    // Idle means idle: the experiment whose servers are crashed runs to its end first.
    for (;;) {
      const r = await http<{ state: string }>('GET', `${coord.url}/experiments/${experiment}`);
      if (r.status === 200 && !['queued', 'running'].includes(r.json.state)) {
        break;
      }
      await sleep(100);
    }

    // 1. Idle round trips.
    const idle: number[] = [];
    for (let i = 0; i < IDLE_WARMUP + IDLE_REQUESTS; i++) {
      const t = process.hrtime.bigint();
      const status = await crash(coord.url, experiment, i);
      if (status !== 200) {
        throw new Error(`idle crash ${i}: ${status}`);
      }
      if (i >= IDLE_WARMUP) {
        idle.push(ms(t));
      }
    }
    const idleSummary = summary(idle);
    console.log(
      `idle: ${IDLE_REQUESTS} sequential crash round trips: p50 ${idleSummary.p50} ms, p99 ${idleSummary.p99} ms, max ${idleSummary.max} ms (goal p99 ≤ 10 ms)`,
    );

    // 2. Load rounds.
    const rounds: unknown[] = [];
    let errors = 0;
    const rssStart = rss();
    console.log(`RSS before load (MiB): ${JSON.stringify(rssStart)}`);
    for (let round = 1; round <= LOAD_ROUNDS; round++) {
      const started = process.hrtime.bigint();
      const submitted = await Promise.all(
        Array.from({ length: EXPERIMENTS }, () =>
          http<{ id: string }>('POST', `${coord.url}/experiments`, YAML),
        ),
      );
      const ids = submitted.filter((r) => r.status === 201).map((r) => r.json.id);
      let roundErrors = EXPERIMENTS - ids.length;
      const latencies: number[] = [];
      const deadline = Date.now() + LOAD_SECONDS * 1000;
      let next = 0;
      await Promise.all(
        Array.from({ length: CRASH_IN_FLIGHT }, async () => {
          while (Date.now() < deadline) {
            const t = process.hrtime.bigint();
            const status = await crash(coord.url, experiment, next++).catch(() => 0);
            latencies.push(ms(t));
            if (status !== 200) {
              roundErrors++;
            }
          }
        }),
      );
      const rssLoaded = rss();
      // Every experiment of the round must finish `done`.
      const states = new Map<string, string>();
      while (states.size < ids.length) {
        for (const id of ids) {
          if (!states.has(id)) {
            const r = await http<{ state: string }>('GET', `${coord.url}/experiments/${id}`);
            if (r.status !== 200) {
              states.set(id, `HTTP ${r.status}`);
            } else if (!['queued', 'running'].includes(r.json.state)) {
              states.set(id, r.json.state);
            }
          }
        }
        await sleep(250);
      }
      roundErrors += [...states.values()].filter((s) => s !== 'done').length;
      errors += roundErrors;
      const crashes = summary(latencies);
      const rssAfter = rss();
      const seconds = ms(started) / 1000;
      console.log(
        `round ${round}: ${EXPERIMENTS} experiments + ${crashes.n} crash requests (${CRASH_IN_FLIGHT} in flight, ${LOAD_SECONDS} s): errors ${roundErrors}; crash p50 ${crashes.p50} ms, p99 ${crashes.p99} ms, max ${crashes.max} ms; ${seconds.toFixed(1)} s in all`,
      );
      console.log(
        `  RSS under load (MiB): ${JSON.stringify(rssLoaded)}; after: ${JSON.stringify(rssAfter)}`,
      );
      rounds.push({ round, errors: roundErrors, crashes, rssLoaded, rssAfter, seconds });
    }
    console.log(errors === 0 ? 'errors: 0' : `errors: ${errors} (goal 0)`);
    console.log(JSON.stringify({ idle: idleSummary, rssStart, rounds, errors }));
    if (errors > 0) {
      process.exitCode = 1;
    }
  } catch (e) {
    for (const app of apps) {
      console.error(`--- ${app.name} ---\n${app.logs.slice(-20).join('\n')}`);
    }
    throw e;
  } finally {
    await Promise.all(apps.map((a) => a.stop()));
    await cleanPrefix(REDIS_URL, prefix);
  }
}

main().catch((e: unknown) => {
  console.error(`bench:load: ${(e as Error).message}`);
  process.exit(1);
});

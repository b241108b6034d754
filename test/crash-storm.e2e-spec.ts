/**
 * End-to-end: a crash storm into shared dump targets runs embedded on 1 or 2
 * threads and on a coordinator with two node-workers (shards aligned to whole
 * failure domains) to the very same report, `run` aside, and that report is
 * the in-process one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import {
  compileExperiment,
  parseSpecOrThrow,
  planShards,
  runExperiment,
  type Report,
} from '../libs/kdump-core/src';
import { CoordinatorApi, fleetsim, readText, runOf, withoutRun } from './support/api';
import { ROOT } from './support/apps';
import { useFleet } from './support/fleet-hooks';

let tmp: string;
/** examples/crash-storm.yaml at a fifth of the size: four racks of 1,000, shards of 500 asked. */
let specFile: string;
let specText: string;
/** The same with its storm at a rate: 24 per domain-year (about 2 per rack over 30 days). */
let rateFile: string;
let rateText: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fleetsim-storm-e2e-'));
  const spec = parseYaml(readText(join(ROOT, 'examples/crash-storm.yaml'))) as {
    name: string;
    fleet: Array<{ count: number }>;
    domains: Array<{ servers: number }>;
    run?: Record<string, unknown>;
  };
  spec.name = 'crash-storm-small';
  spec.fleet[0]!.count = 4000;
  for (const d of spec.domains) {
    d.servers = 1000;
  }
  // 500 servers a shard would cut every rack: the plan runs each shard to its rack's end.
  spec.run = { shardSize: 500 };
  specText = stringifyYaml(spec);
  specFile = join(tmp, 'crash-storm-small.yaml');
  writeFileSync(specFile, specText);
  const rate = parseYaml(specText) as { name: string; storms: Array<Record<string, unknown>> };
  rate.name = 'crash-storm-rate';
  delete rate.storms[0]!.atHours;
  rate.storms[0]!.ratePerYear = 24;
  rateText = stringifyYaml(rate);
  rateFile = join(tmp, 'crash-storm-rate.yaml');
  writeFileSync(rateFile, rateText);
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('crash storm, embedded', () => {
  it('gives the same report on 1 and 2 threads, equal to the in-process run', async () => {
    const [one, two] = await Promise.all([
      fleetsim(['run', specFile, '--format', 'json', '--threads', '1']),
      fleetsim(['run', specFile, '--format', 'json', '--threads', '2']),
    ]);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    expect(withoutRun(two.stdout)).toBe(withoutRun(one.stdout));
    expect(runOf(two.stdout)).toMatchObject({ threads: 2, shards: 4, shardSize: 1000 });
    const inProcess = runExperiment(parseSpecOrThrow(specText)).report;
    expect(withoutRun(one.stdout)).toBe(withoutRun(JSON.stringify(inProcess)));
    const report = JSON.parse(one.stdout) as Report;
    expect(report.coupling!.serversInDomains).toBe(4000);
    expect(report.coupling!.storms[0]!.strategies[0]!.crashes).toBeGreaterThan(400);
    expect(
      planShards(compileExperiment(parseSpecOrThrow(specText))).map((s) => s.serverEnd),
    ).toEqual([1000, 2000, 3000, 4000]);
    // The text report has the new sections.
    const table = await fleetsim(['run', specFile, '--threads', '2']);
    expect(table.stdout).toContain('Crashes in failure domains, with the shared dump targets');
    expect(table.stdout).toContain('Crash storms: when the last dump of each was captured');
  });

  it('a storm at a rate: the same report on 1 and 2 threads, equal to the in-process run', async () => {
    const [one, two] = await Promise.all([
      fleetsim(['run', rateFile, '--format', 'json', '--threads', '1']),
      fleetsim(['run', rateFile, '--format', 'json', '--threads', '2']),
    ]);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    expect(withoutRun(two.stdout)).toBe(withoutRun(one.stdout));
    const inProcess = runExperiment(parseSpecOrThrow(rateText)).report;
    expect(withoutRun(one.stdout)).toBe(withoutRun(JSON.stringify(inProcess)));
    const storm = (JSON.parse(one.stdout) as Report).coupling!.storms[0]!;
    expect(storm.ratePerYear).toBe(24);
    expect(storm.occurrences).toBeGreaterThan(0);
  });
});

describe('crash storm, coordinator + 2 workers', () => {
  const h = useFleet('storm');
  let api: CoordinatorApi;

  beforeAll(async () => {
    const [coordinator] = await Promise.all([
      h.fleet.coordinator(),
      h.fleet.worker(),
      h.fleet.worker(),
    ]);
    api = new CoordinatorApi(coordinator.url);
  });

  it('runs to the embedded report byte for byte but `run`, one shard per rack', async () => {
    const post = await api.postSpec(specText);
    expect(post.status, post.text).toBe(201);
    expect(post.json.shards.total).toBe(4);
    const done = await api.waitDone(post.json.id, 120_000);
    expect(done.state).toBe('done');
    const served = await api.reportText(post.json.id);
    const embedded = await fleetsim(['run', specFile, '--format', 'json', '--threads', '2']);
    expect(withoutRun(served)).toBe(withoutRun(embedded.stdout));
    expect(runOf(served)).toMatchObject({ mode: 'distributed' });
  });

  it('a storm at a rate runs to the embedded report byte for byte but `run`', async () => {
    const post = await api.postSpec(rateText);
    expect(post.status, post.text).toBe(201);
    const done = await api.waitDone(post.json.id, 120_000);
    expect(done.state).toBe('done');
    const served = await api.reportText(post.json.id);
    const embedded = await fleetsim(['run', rateFile, '--format', 'json', '--threads', '2']);
    expect(withoutRun(served)).toBe(withoutRun(embedded.stdout));
  });
});

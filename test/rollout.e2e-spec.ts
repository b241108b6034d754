/**
 * End-to-end: roll-out waves (spec `rollout:`) through the built CLI, embedded
 * on 1 or 2 threads and any shard size, and through a coordinator and two
 * node-workers against a real Redis: the same report, byte for byte without `run`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { parseSpecOrThrow, runExperiment, type Report } from '../libs/kdump-core/src';
import {
  CoordinatorApi,
  fleetsim,
  http,
  readText,
  runOf,
  withoutRun,
  type ExperimentJson,
} from './support/api';
import { ROOT, type AppProcess } from './support/apps';
import { useFleet } from './support/fleet-hooks';

const EXAMPLE = join(ROOT, 'examples/kernel-rollout-waves.yaml');

let tmp: string;
/** The example at a tenth of its size: 2,000 servers, waves of 200 after a canary of 20. */
let small: string;
const reports = new Map<string, string>();

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'fleetsim-rollout-e2e-'));
  const spec = parseYaml(readText(EXAMPLE)) as {
    name: string;
    fleet: Array<{ count: number }>;
    rollout: { canary: number; waveSize: number };
  };
  spec.name = 'rollout-small';
  for (const group of spec.fleet) {
    group.count /= 10;
  }
  spec.rollout.canary = 20;
  spec.rollout.waveSize = 200;
  small = join(tmp, 'rollout-small.yaml');
  writeFileSync(small, stringifyYaml(spec));
  const runs: Record<string, string[]> = {
    'threads 1': ['--threads', '1'],
    'threads 2, shard size 333': ['--threads', '2', '--shard-size', '333'],
    'threads 2, shard size 7': ['--threads', '2', '--shard-size', '7'],
  };
  for (const [name, args] of Object.entries(runs)) {
    const r = await fleetsim(['run', small, '--format', 'json', ...args]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    reports.set(name, r.stdout);
  }
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('fleetsim run, a roll-out in waves', () => {
  it('gives the same report on 1 or 2 threads and any shard size, and the in-process one', () => {
    const reference = withoutRun(reports.get('threads 1')!);
    for (const [name, json] of reports) {
      expect(withoutRun(json), name).toBe(reference);
    }
    const inProcess = runExperiment(parseSpecOrThrow(readText(small))).report;
    expect(JSON.parse(reference)).toEqual(JSON.parse(JSON.stringify(inProcess)));
    const r = (JSON.parse(reference) as Report).rollout!;
    expect(r.waves).toBe(11);
    expect(r.waveServers).toEqual([20, 200, 200, 200, 200, 200, 200, 200, 200, 200, 180]);
    expect(r.strategies.map((s) => s.strategy)).toEqual([
      'none',
      'reset_devices',
      'device-reset',
      'driver-hardening',
      'restore-then-flr',
    ]);
  });

  it('prints the roll-out sections in text, Markdown and HTML', async () => {
    const text = await fleetsim(['run', small, '--threads', '1']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('Roll-out: 2,000 servers by kexec in 11 waves');
    expect(text.stdout).toMatch(/^Roll-out in waves \(kexec\)/m);
    expect(text.stdout).toMatch(/^0 \(canary\)\s+20\s/m);
    const md = await fleetsim(['run', small, '--threads', '1', '--format', 'markdown']);
    expect(md.stdout).toContain('## Roll-out wave by wave');
    const html = await fleetsim(['run', small, '--threads', '1', '--format', 'html']);
    expect(html.stdout).toContain('Roll-out in waves');
  });

  it('refuses a roll-out without one planned reboot per server, exit 2, naming the field', async () => {
    const bad = join(tmp, 'bad-rollout.yaml');
    writeFileSync(
      bad,
      readText(small)
        .replace(/perServer: 1/, 'perServer: 2')
        .replace(/waveSize: 200/, 'waveSize: 1'),
    );
    const r = await fleetsim(['validate', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr + r.stdout).toContain('events.reboot needs perServer: 1 (got perServer: 2)');
    expect(r.stderr + r.stdout).toMatch(/rollout\.waveSize.*into 1981 waves; at most 1000/);
  });
});

describe('a roll-out on a coordinator and 2 workers', () => {
  const h = useFleet('rollout');
  let coordinator: AppProcess;
  let api: CoordinatorApi;

  beforeAll(async () => {
    [coordinator] = await Promise.all([h.fleet.coordinator(), h.fleet.worker(), h.fleet.worker()]);
    api = new CoordinatorApi(coordinator.url);
  });

  it('gives the embedded report, byte for byte but `run`, in shards that cut waves', async () => {
    // Shards of 150 servers: most waves of 200 span two shards.
    const post = await http<ExperimentJson>('POST', `${api.base}/experiments?shardSize=150`, {
      text: readText(small),
      contentType: 'application/yaml',
    });
    expect(post.status, post.text).toBe(201);
    await api.waitDone(post.json.id, 120_000);
    const served = await api.reportText(post.json.id);
    expect(withoutRun(served)).toBe(withoutRun(reports.get('threads 1')!));
    expect(runOf(served)).toMatchObject({ mode: 'distributed', shards: 14 });
    const md = await http('GET', `${api.base}/experiments/${post.json.id}/report?format=markdown`);
    expect(md.status).toBe(200);
    expect(md.text).toContain('## Roll-out in waves (kexec)');
  });

  it('gives the same report through `fleetsim run --coordinator`', async () => {
    const r = await fleetsim(['run', small, '--coordinator', coordinator.url, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(withoutRun(r.stdout)).toBe(withoutRun(reports.get('threads 1')!));
  });
});

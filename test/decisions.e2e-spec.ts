/**
 * End-to-end: `fleetsim sweep`, `sensitivity` and `crashkernel` run embedded on
 * 1 and 2 threads, and on the built coordinator + node-workers against a real
 * Redis (`--coordinator`: each batch of points posted to /batches). The
 * document must be the same bytes every way.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetsim, http } from './support/api';
import type { AppProcess } from './support/apps';
import { useFleet } from './support/fleet-hooks';
import { parsePrometheusText, select } from './support/prometheus';

const promtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;

const SPEC = `name: decisions-e2e
seed: 9
fleet:
  - profile: gpu-node
    count: 300
  - profile: compute-2s
    count: 200
events:
  crash:
    perServer: 1
    causes: { panic: 0.6, oops: 0.4 }
strategies: [none, whitelist, config-restore]
sweep:
  parameters:
    - path: catalogue.profiles.gpu-node.crashkernelMiB
      values: [192, 320, 512]
  target:
    captureRateAtLeast: 0.5
run:
  shardSize: 100
`;

/** Each command's arguments (after SPEC): small, so a run takes seconds. */
const COMMANDS: Record<string, string[]> = {
  sweep: [],
  sensitivity: ['--max-parameters', '3', '--only', 'gpu-node,nvidia'],
  crashkernel: ['--target-oom', '0.05', '--step', '32'],
};

let tmp: string;
let spec: string;
const embedded = new Map<string, string>();

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'fleetsim-decisions-e2e-'));
  spec = join(tmp, 'decisions.yaml');
  writeFileSync(spec, SPEC);
  for (const [command, args] of Object.entries(COMMANDS)) {
    const r = await fleetsim([command, spec, '--format', 'json', '--threads', '1', ...args]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    embedded.set(command, r.stdout);
  }
}, 300_000);

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('decisions embedded', () => {
  it.each(Object.keys(COMMANDS))('%s: the same document on 1 and 2 threads', async (command) => {
    const r = await fleetsim([
      command,
      spec,
      '--format',
      'json',
      '--threads',
      '2',
      ...COMMANDS[command]!,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(embedded.get(command));
  });

  it('refuses --threads with --coordinator', async () => {
    const r = await fleetsim([
      'sweep',
      spec,
      '--threads',
      '2',
      '--coordinator',
      'http://127.0.0.1:1',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--threads does not apply to points run on a coordinator/);
  });
});

describe('decisions on a coordinator + 2 workers', () => {
  const h = useFleet('decisions');
  let coordinator: AppProcess;

  beforeAll(async () => {
    [coordinator] = await Promise.all([h.fleet.coordinator(), h.fleet.worker(), h.fleet.worker()]);
  });

  it.each(Object.keys(COMMANDS))(
    '%s --coordinator: the embedded document, byte for byte',
    async (command) => {
      const r = await fleetsim(
        [
          command,
          spec,
          '--format',
          'json',
          '--coordinator',
          coordinator.url,
          ...COMMANDS[command]!,
        ],
        { timeoutMs: 240_000 },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/batch bat_\w+ \(\d+ points?\) submitted to/);
      expect(r.stdout).toBe(embedded.get(command));
    },
    300_000,
  );

  it('examples/crashkernel-sweep.yaml: the same sweep document on the coordinator as embedded, as text and HTML', async () => {
    const file = 'examples/crashkernel-sweep.yaml';
    const htmlHere = join(tmp, 'sweep-here.html');
    const here = await fleetsim(['sweep', file, '--out', htmlHere, '--threads', '2']);
    expect(here.code, here.stderr).toBe(0);
    const htmlThere = join(tmp, 'sweep-there.html');
    const there = await fleetsim(
      ['sweep', file, '--out', htmlThere, '--coordinator', coordinator.url],
      { timeoutMs: 240_000 },
    );
    expect(there.code, there.stderr).toBe(0);
    expect(there.stdout).toContain('fleetsim sweep: crashkernel-sweep');
    expect(there.stdout).toBe(here.stdout);
    expect(readFileSync(htmlThere, 'utf8')).toBe(readFileSync(htmlHere, 'utf8'));
  }, 300_000);
  it('serves a batch: its points as experiments, their reports in order; refuses a bad point', async () => {
    const body = {
      spec: SPEC,
      points: [
        { label: 'base', values: [] },
        { label: 'small', values: [{ path: 'fleet[0].count', value: 50 }] },
      ],
    };
    const post = await http('POST', `${coordinator.url}/batches`, {
      text: JSON.stringify(body),
      contentType: 'application/json',
    });
    expect(post.status, post.text).toBe(201);
    const batch = post.json as { id: string; points: { experiment: string }[] };
    expect(batch.points).toHaveLength(2);
    let state = '';
    for (let i = 0; i < 600 && state !== 'done'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      state = (
        (await http('GET', `${coordinator.url}/batches/${batch.id}`)).json as { state: string }
      ).state;
    }
    expect(state).toBe('done');
    const reports = await http('GET', `${coordinator.url}/batches/${batch.id}/reports`);
    expect(reports.status).toBe(200);
    const list = (
      reports.json as {
        reports: {
          experiment: { servers: number };
          crash: { strategies: { strategy: string; captureRate: { value: number } }[] };
        }[];
      }
    ).reports;
    expect(list.map((r) => r.experiment.servers)).toEqual([500, 250]);

    // /metrics: the batch's results under experiment=<batch>, one series per point.
    const scrape = await http('GET', `${coordinator.url}/metrics`);
    const metrics = parsePrometheusText(scrape.text);
    list.forEach((report, point) => {
      for (const s of report.crash.strategies) {
        const [ratio] = select(metrics, 'fleetsim_capture_success_ratio', {
          experiment: batch.id,
          point: String(point),
          strategy: s.strategy,
          profile: '*',
        });
        expect(ratio?.value, `point ${point} ${s.strategy}`).toBeCloseTo(s.captureRate.value, 12);
      }
    });
    expect(
      select(metrics, 'fleetsim_batch_point_info', { experiment: batch.id }).map((s) => [
        s.labels.point,
        s.labels.label,
      ]),
    ).toEqual([
      ['0', 'base'],
      ['1', 'small'],
    ]);
    if (promtool) {
      const r = spawnSync('promtool', ['check', 'metrics'], {
        input: scrape.text,
        encoding: 'utf8',
      });
      expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
      expect(r.status).toBe(0);
    }
    const point = await http(
      'GET',
      `${coordinator.url}/experiments/${batch.points[1]!.experiment}`,
    );
    expect(point.json).toMatchObject({ state: 'done', servers: 250 });

    const bad = await http('POST', `${coordinator.url}/batches`, {
      text: JSON.stringify({
        spec: SPEC,
        points: [{ label: 'x', values: [{ path: 'fleet[7].count', value: 1 }] }],
      }),
      contentType: 'application/json',
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/points\[0\]/);
    expect(bad.text).toMatch(/fleet\[7\]/);
    const missing = await http('GET', `${coordinator.url}/batches/bat_nothing`);
    expect(missing.status).toBe(404);
  }, 180_000);
});

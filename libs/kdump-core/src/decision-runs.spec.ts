import { describe, expect, it } from 'vitest';
import { crashkernelSteps, sizeCrashkernel } from './crashkernel-sizing';
import {
  PointError,
  resolvePoint,
  runSteps,
  runStepsHere,
  type PointRequest,
} from './decision-runs';
import { runExperiment } from './experiment';
import type { Report } from './report-schema';
import { runSensitivity, sensitivitySteps } from './sensitivity';
import { parseSpecOrThrow } from './spec';
import { runSweep, sweepSteps } from './sweep';

const SPEC = `
name: runs-test
seed: 11
fleet:
  - profile: gpu-node
    count: 150
  - profile: compute-2s
    count: 150
events:
  crash:
    perServer: 1
    causes: { panic: 1 }
strategies: [none, whitelist, config-restore]
sweep:
  parameters:
    - path: catalogue.profiles.gpu-node.crashkernelMiB
      values: [160, 320, 512]
`;

/**
 * A runner as a coordinator would be: the batch's points run last first, each
 * from the request alone (resolved again from the spec), reports put back in order.
 */
function outOfOrder(text: string) {
  const batches: number[] = [];
  return {
    batches,
    run: (requests: readonly PointRequest[]): Promise<Report[]> => {
      batches.push(requests.length);
      const resolved = parseSpecOrThrow(text);
      const out: Report[] = new Array<Report>(requests.length);
      for (let i = requests.length - 1; i >= 0; i--) {
        out[i] = runExperiment(resolvePoint(resolved, requests[i]!)).report;
      }
      return Promise.resolve(out);
    },
  };
}

describe('decisions driven batch by batch', () => {
  const resolved = parseSpecOrThrow(SPEC);

  it('gives a sweep document identical to the one run point after point here', async () => {
    const here = runSweep(resolved, resolved.spec.sweep!);
    const runner = outOfOrder(SPEC);
    const batched = await runSteps(sweepSteps(resolved, resolved.spec.sweep!), runner.run);
    expect(JSON.stringify(batched)).toBe(JSON.stringify(here));
    expect(runner.batches).toEqual([3]);
  });

  it('gives the same sensitivity document: the base run, then one batch of 2 per parameter', async () => {
    const options = { maxParameters: 3, only: ['gpu-node', 'nvidia'] };
    const here = runSensitivity(resolved, options);
    const runner = outOfOrder(SPEC);
    const batched = await runSteps(sensitivitySteps(resolved, options), runner.run);
    expect(JSON.stringify(batched)).toBe(JSON.stringify(here));
    expect(runner.batches).toEqual([1, 2 * here.results.length]);
    expect(here.runs).toBe(1 + 2 * here.results.length);
  });

  it('gives the same crashkernel answers; its searches move in lockstep, a batch per step', async () => {
    const options = { targetOom: 0.02, stepMiB: 8 };
    const here = sizeCrashkernel(resolved, options);
    const runner = outOfOrder(SPEC);
    const batched = await runSteps(crashkernelSteps(resolved, options), runner.run);
    expect(JSON.stringify(batched)).toBe(JSON.stringify(here));
    // Every profile's runs are shared by its strategies: fewer batches than runs.
    const runs = runner.batches.reduce((t, n) => t + n, 0);
    expect(runner.batches.length).toBeLessThan(runs);
    for (const p of here.profiles) {
      for (const s of p.strategies) {
        expect(s.runs).toBeGreaterThan(0);
      }
    }
  });

  it('resolves a point as the spec with the values set, and names a bad one', () => {
    const point = resolvePoint(resolved, {
      label: 'ck',
      values: [{ path: 'catalogue.profiles.gpu-node.crashkernelMiB', value: 300 }],
    });
    expect(point.profiles['gpu-node']!.crashkernelMiB).toBe(300);
    expect(resolvePoint(resolved, { label: 'base', values: [] })).toBe(resolved);
    expect(() =>
      resolvePoint(resolved, { label: 'bad', values: [{ path: 'fleet[0].count', value: -1 }] }),
    ).toThrow(PointError);
    expect(() =>
      resolvePoint(resolved, { label: 'bad', values: [{ path: 'fleet[0].count', value: -1 }] }),
    ).toThrow(/^bad: fleet/);
  });

  it('refuses a runner that loses reports', async () => {
    await expect(
      runSteps(sweepSteps(resolved, resolved.spec.sweep!), () => Promise.resolve([])),
    ).rejects.toThrow(/3 points came back with 0 reports/);
  });

  it('counts runs here in order', () => {
    const labels: string[] = [];
    runStepsHere(resolved, sweepSteps(resolved, resolved.spec.sweep!), (r, done) =>
      labels.push(`${done} ${r.label}`),
    );
    expect(labels).toEqual([
      '1 gpu-node.crashkernelMiB=160',
      '2 gpu-node.crashkernelMiB=320',
      '3 gpu-node.crashkernelMiB=512',
    ]);
  });
});

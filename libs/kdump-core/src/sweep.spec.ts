import { describe, expect, it } from 'vitest';
import { runExperiment } from './experiment';
import { parseSpecOrThrow } from './spec';
import { parseSpecPath, SpecPathError } from './spec-path';
import { checkSweep, prepareSweep, runSweep, rowsOfReport, sweepPoints, SweepError } from './sweep';

const BASE = `
name: sweep-test
seed: 7
fleet:
  - profile: gpu-node
    count: 300
events:
  crash:
    perServer: 1
    causes: { panic: 1 }
strategies: [none, whitelist, rhel-default]
`;

const SWEEP = `${BASE}
sweep:
  parameters:
    - path: catalogue.profiles.gpu-node.crashkernelMiB
      values: [256, 384, 512, 1024]
  target: { captureRateAtLeast: 0.5 }
`;

describe('sweepPoints', () => {
  it('walks cartesian points with the last parameter fastest, and zips', () => {
    const params = [
      { path: 'a.b', values: [1, 2] },
      { path: 'c.d', values: ['x', 'y'] },
    ];
    expect(sweepPoints({ parameters: params }).map((p) => p.label)).toEqual([
      'a.b=1 c.d=x',
      'a.b=1 c.d=y',
      'a.b=2 c.d=x',
      'a.b=2 c.d=y',
    ]);
    expect(sweepPoints({ mode: 'zip', parameters: params }).map((p) => p.label)).toEqual([
      'a.b=1 c.d=x',
      'a.b=2 c.d=y',
    ]);
    expect(() =>
      sweepPoints({ mode: 'zip', parameters: [params[0]!, { path: 'e', values: [1] }] }),
    ).toThrow(/zip needs lists of one length; a.b has 2, e has 1/);
  });
});

describe('runSweep', () => {
  const resolved = parseSpecOrThrow(SWEEP);
  const sweep = runSweep(resolved, resolved.spec.sweep!);

  it('gives each point the numbers of a plain run of the spec with that value set', () => {
    for (const [i, mib] of [256, 384, 512, 1024].entries()) {
      const plain = runExperiment(
        parseSpecOrThrow(
          `${BASE}\ncatalogue:\n  profiles:\n    gpu-node:\n      crashkernelMiB: ${mib}\n`,
        ),
      ).report;
      expect(sweep.points[i]!.rows).toEqual(rowsOfReport(plain));
    }
  });

  it('reports the value the spec runs with and the smallest value that meets the target', () => {
    expect(sweep.parameters[0]!.specValue).toBe(512);
    const rates = sweep.points.map((p) => p.rows.map((r) => r.rate.value!));
    for (const r of sweep.target!.results) {
      const si = resolved.strategies.findIndex((s) => s.name === r.strategy);
      const meeting = rates.map((row) => row[si]! >= 0.5);
      const first = meeting.indexOf(true);
      expect(r.point).toBe(first === -1 ? null : first);
    }
  });

  it('gives identical points for a value that changes nothing (same crashes at every point)', () => {
    // xhci_hcd's memory does not count for none (it is loaded but...) — use a driver
    // no gpu-node device uses: i40e.
    const r = parseSpecOrThrow(`${BASE}
sweep:
  parameters:
    - path: catalogue.drivers.i40e.memoryMiB
      values: [1, 100, 10000]
`);
    const s = runSweep(r, r.spec.sweep!);
    expect(s.points[1]!.rows).toEqual(s.points[0]!.rows);
    expect(s.points[2]!.rows).toEqual(s.points[0]!.rows);
  });

  it('moves a nested figure and keeps its siblings', () => {
    const r = parseSpecOrThrow(`${BASE}
sweep:
  parameters:
    - path: catalogue.profiles.gpu-node.kdump.captureKernelBaseMiB
      values: [100]
`);
    const { points } = prepareSweep(r, r.spec.sweep!);
    const k = points[0]!.resolved.profiles['gpu-node']!.kdump;
    expect(k.captureKernelBaseMiB).toBe(100);
    expect(k.hangWatchdogMs).toBe(r.profiles['gpu-node']!.kdump.hangWatchdogMs);
  });
});

describe('runSweep over spec fields, zipped', () => {
  it('equals plain runs with both values set', () => {
    const r = parseSpecOrThrow(`${BASE}
sweep:
  mode: zip
  parameters:
    - path: fleet[0].count
      values: [100, 250]
    - path: strategies[1]
      values: [blacklist, bus-reset]
`);
    const s = runSweep(r, r.spec.sweep!);
    expect(s.points.map((p) => p.label)).toEqual([
      'fleet[0].count=100 strategies[1]=blacklist',
      'fleet[0].count=250 strategies[1]=bus-reset',
    ]);
    for (const [i, [count, strategy]] of [
      [100, 'blacklist'],
      [250, 'bus-reset'],
    ].entries()) {
      const text = BASE.replace('count: 300', `count: ${count}`).replace(
        '[none, whitelist, rhel-default]',
        `[none, ${strategy}, rhel-default]`,
      );
      expect(s.points[i]!.rows).toEqual(rowsOfReport(runExperiment(parseSpecOrThrow(text)).report));
    }
  });

  it('refuses a target on a path that is not a parameter', () => {
    const r = parseSpecOrThrow(`${BASE}
sweep:
  parameters:
    - path: events.crash.perServer
      values: [1, 2]
  target: { captureRateAtLeast: 0.5, minimise: events.crash.ratePerServerYear }
`);
    expect(() => prepareSweep(r, r.spec.sweep!)).toThrow(
      /sweep.target.minimise: "events.crash.ratePerServerYear" is not a parameter of the sweep \(parameters: events.crash.perServer\)/,
    );
  });
});

describe('sweep paths', () => {
  const resolved = parseSpecOrThrow(BASE);

  it('names the path and what exists there', () => {
    const msg = (p: string) => {
      try {
        parseSpecPath(resolved, p);
      } catch (e) {
        expect(e).toBeInstanceOf(SpecPathError);
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(msg('catalogue.profiles.gpu-nod.crashkernelMiB')).toMatch(
      /^catalogue.profiles.gpu-nod.crashkernelMiB: no profiles entry .*known: .*gpu-node/,
    );
    expect(msg('catalogue.gadgets.x')).toMatch(/the catalogue has drivers, devices/);
    expect(msg('catalogue.profiles.gpu-node.kdmp.captureKernelBaseMiB')).toMatch(
      /no field "kdmp" in catalogue.profiles.gpu-node: fields: .*crashkernelMiB/,
    );
    expect(msg('events.crsh.perServer')).toMatch(
      /no field "crsh" in \(spec\).events: fields: crash/,
    );
    expect(msg('fleet[3].count')).toMatch(/no \[3\] in \(spec\).fleet: a list of 1/);
    expect(parseSpecPath(resolved, 'events.crash.perServer').kind).toBe('spec');
  });

  it('refuses a sweep with a bad path before running anything', () => {
    const r = parseSpecOrThrow(`${BASE}
sweep:
  parameters:
    - path: catalogue.drivers.nvidia.memoryMB
      values: [1]
`);
    expect(() => prepareSweep(r, r.spec.sweep!)).toThrow(SweepError);
    expect(() => prepareSweep(r, r.spec.sweep!)).toThrow(
      /sweep.parameters\[0\].path: .*memoryMB.*spec: unknown field|memoryMB/,
    );
  });
});

describe('checkSweep', () => {
  it('refuses as data, every problem on its own, what prepareSweep throws for', () => {
    const r = parseSpecOrThrow(`${BASE}
sweep:
  parameters:
    - path: catalogue.profiles.gpu-nod.crashkernelMiB
      values: [1]
    - path: events.crsh.perServer
      values: [1]
`);
    const checked = checkSweep(r, r.spec.sweep!);
    expect(checked.ok).toBe(false);
    const refusal = !checked.ok ? checked.refusal : null;
    expect(refusal).toMatchObject({ code: 'invalid-sweep', path: 'sweep' });
    expect(refusal!.problems).toHaveLength(2);
    expect(refusal!.problems![0]).toMatch(/^sweep.parameters\[0\].path: .*known: .*gpu-node/);
    expect(refusal!.problems![1]).toMatch(/^sweep.parameters\[1\].path: .*no field "crsh"/);
    expect(refusal!.message).toBe(refusal!.problems!.join('\n'));
  });

  it('refuses uneven zipped lists once the paths are right', () => {
    const r = parseSpecOrThrow(`${BASE}
sweep:
  mode: zip
  parameters:
    - path: events.crash.perServer
      values: [1, 2]
    - path: catalogue.profiles.gpu-node.crashkernelMiB
      values: [256]
`);
    const checked = checkSweep(r, r.spec.sweep!);
    expect(!checked.ok && checked.refusal.problems).toEqual([
      'sweep.parameters: zip needs lists of one length; events.crash.perServer has 2, catalogue.profiles.gpu-node.crashkernelMiB has 1',
    ]);
  });

  it('accepts a good sweep with its points resolved', () => {
    const r = parseSpecOrThrow(SWEEP);
    const checked = checkSweep(r, r.spec.sweep!);
    expect(checked.ok && checked.value.points.map((p) => p.point.label)).toEqual([
      'gpu-node.crashkernelMiB=256',
      'gpu-node.crashkernelMiB=384',
      'gpu-node.crashkernelMiB=512',
      'gpu-node.crashkernelMiB=1024',
    ]);
  });
});

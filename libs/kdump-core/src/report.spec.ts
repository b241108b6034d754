import { describe, expect, it } from 'vitest';
import { runExperiment } from './experiment';
import { FAILURE_REASONS } from './outcome';
import { buildReport, CDF_LEVELS } from './report';
import { ReportSchema, type Report, type RunInfo, type TimeSummaryJson } from './report-schema';
import { parseSpecOrThrow, parseSpecText } from './spec';
import { formatReportTable } from './report-format';
import {
  bus,
  cause,
  device,
  driver,
  exampleText,
  lab,
  profile,
  reportOf,
} from '../../../test/fixtures/core';

const sum = (o: Partial<Record<string, number>>) =>
  Object.values(o).reduce<number>((a, v) => a + (v ?? 0), 0);

describe('report of quickstart', () => {
  const result = runExperiment(parseSpecOrThrow(exampleText('quickstart.yaml')));
  const report = result.report;
  const crash = report.crash!;

  it('validates against ReportSchema, with nothing the schema does not know', () => {
    expect(ReportSchema.parse(report)).toEqual(report);
    expect(report.schemaVersion).toBe(3);
  });

  it('describes the experiment', () => {
    expect(report.experiment).toEqual({
      name: 'quickstart',
      description:
        "3,000 servers of three profiles, one crash each, the distro defaults and the seed talk's strategies",
      seed: 42,
      servers: 3000,
      fleet: [
        { profile: 'compute-2s', count: 1500 },
        { profile: 'storage-2s', count: 1000 },
        { profile: 'gpu-node', count: 500 },
      ],
      strategies: [
        'rhel-default',
        'debian-default',
        'ubuntu-default',
        'none',
        'blacklist',
        'whitelist',
        'reset_devices',
        'device-reset',
        'bus-reset',
        'driver-hardening',
        'config-restore',
        'fallback',
      ],
      baseline: 'rhel-default',
      deviceClasses: ['gpu', 'nic-100g', 'nic-25g', 'nvme-ssd', 'sas-raid-hba', 'xhci'],
    });
    expect(report.reboot).toBeNull();
    expect(report.assumptions.length).toBeGreaterThan(0);
    expect(report.assumptions.join(' ')).toMatch(/assumption/);
  });

  it('adds up: captured + Σ reasons = jobs for every strategy', () => {
    expect(crash.jobs).toBe(3000);
    for (const s of crash.strategies) {
      expect(s.jobs).toBe(3000);
      expect(s.captured + sum(s.failureReasons)).toBe(s.jobs);
      for (const [reason, n] of Object.entries(s.failureReasons)) {
        expect(FAILURE_REASONS).toContain(reason);
        expect(n).toBeGreaterThan(0);
      }
    }
  });

  it('gives rates with their Wilson intervals', () => {
    for (const s of crash.strategies) {
      expect(s.captureRate.value).toBe(s.captured / s.jobs);
      expect(s.captureRate.lower!).toBeLessThan(s.captureRate.value!);
      expect(s.captureRate.upper!).toBeGreaterThan(s.captureRate.value!);
    }
  });

  it('counts times where they happened', () => {
    for (const s of crash.strategies) {
      expect(s.downtimeSeconds.count).toBe(s.jobs);
      expect(s.dumpSeconds.count).toBe(s.captured);
      // The capture kernel came up: it captured, or found no dump target.
      expect(s.captureKernelBootSeconds.count).toBe(
        s.captured + (s.failureReasons['dump-target-missing'] ?? 0),
      );
      expect(Object.keys(s.deviceReinitSeconds)).toEqual(report.experiment.deviceClasses);
      const d = s.downtimeSeconds;
      expect(d.p50Seconds!).toBeLessThanOrEqual(d.p95Seconds!);
      expect(d.p95Seconds!).toBeLessThanOrEqual(d.p99Seconds!);
    }
  });

  it('carries a CDF series per time summary: increasing, matching p50/p95/p99', () => {
    expect(report.cdfLevels).toEqual([...CDF_LEVELS]);
    expect(report.cdfLevels[0]).toBe(0);
    expect(report.cdfLevels[report.cdfLevels.length - 1]).toBe(1);
    const at = (q: number) => report.cdfLevels.indexOf(q);
    let empty = 0;
    for (const s of crash.strategies) {
      const summaries: TimeSummaryJson[] = [
        s.captureKernelBootSeconds,
        s.dumpSeconds,
        s.downtimeSeconds,
        ...Object.values(s.deviceReinitSeconds),
      ];
      for (const t of summaries) {
        if (t.count === 0) {
          expect(t.cdfSeconds).toEqual([]);
          empty++;
          continue;
        }
        expect(t.cdfSeconds).toHaveLength(report.cdfLevels.length);
        for (let i = 1; i < t.cdfSeconds.length; i++) {
          expect(t.cdfSeconds[i]!).toBeGreaterThanOrEqual(t.cdfSeconds[i - 1]!);
        }
        expect([t.cdfSeconds[at(0.5)], t.cdfSeconds[at(0.95)], t.cdfSeconds[at(0.99)]]).toEqual([
          t.p50Seconds,
          t.p95Seconds,
          t.p99Seconds,
        ]);
        // The smallest and largest values bracket the mean.
        expect(t.cdfSeconds[0]!).toBeLessThanOrEqual(t.meanSeconds! * (1 + 1 / 64));
        expect(t.cdfSeconds[t.cdfSeconds.length - 1]!).toBeGreaterThanOrEqual(
          t.meanSeconds! * (1 - 1 / 64),
        );
      }
    }
    // whitelist loads no GPU driver: its GPU summary is empty.
    expect(empty).toBeGreaterThan(0);
  });

  it('pairs every two strategies consistently with their captured counts', () => {
    const S = crash.strategies.length;
    expect(crash.pairs).toHaveLength((S * (S - 1)) / 2);
    const captured = new Map(crash.strategies.map((s) => [s.strategy, s.captured]));
    let i = 0;
    for (let a = 0; a < S; a++) {
      for (let b = a + 1; b < S; b++) {
        const p = crash.pairs[i++]!;
        expect([p.a, p.b]).toEqual([crash.strategies[a]!.strategy, crash.strategies[b]!.strategy]);
        expect(captured.get(p.a)! - captured.get(p.b)!).toBe(p.aOnly - p.bOnly);
        expect(p.aOnly).toBeLessThanOrEqual(captured.get(p.a)!);
        expect(p.bOnly).toBeLessThanOrEqual(captured.get(p.b)!);
        expect(p.difference).toBeCloseTo((p.aOnly - p.bOnly) / crash.jobs, 12);
        expect(p.lower!).toBeLessThanOrEqual(p.difference!);
        expect(p.upper!).toBeGreaterThanOrEqual(p.difference!);
      }
    }
    // Common random numbers at work: fallback beats none on paired jobs, rarely the other way.
    const p = crash.pairs.find((x) => x.a === 'none' && x.b === 'fallback')!;
    expect(p.bOnly).toBeGreaterThan(10 * p.aOnly);
    expect(p.upper!).toBeLessThan(0);
  });

  it('has no run key without run info, and carries it when given', () => {
    const bare = buildReport(result.model, result.aggregate);
    expect('run' in bare).toBe(false);
    expect(JSON.stringify(bare)).toBe(JSON.stringify(report));
    const run: RunInfo = {
      wallSeconds: 1.5,
      threads: 2,
      shards: 1,
      shardSize: 3000,
      host: 'test',
      mode: 'embedded',
      fleetsimVersion: '0.0.0',
    };
    const withRun = buildReport(result.model, result.aggregate, run);
    expect(withRun.run).toEqual(run);
    expect(ReportSchema.parse(withRun)).toEqual(withRun);
    const { run: _run, ...rest } = withRun;
    expect(rest).toEqual(bare);
  });

  it('is a pure function of the aggregate: building it leaves the aggregate as it was', () => {
    const before = Float64Array.from(result.aggregate.slots);
    buildReport(result.model, result.aggregate);
    expect(Buffer.from(result.aggregate.slots.buffer).equals(Buffer.from(before.buffer))).toBe(
      true,
    );
  });
});

describe('report of a reboot-only spec (kexec-rollout)', () => {
  const report: Report = runExperiment(parseSpecOrThrow(exampleText('kexec-rollout.yaml'))).report;

  it('has crash: null and a reboot section', () => {
    expect(ReportSchema.parse(report)).toEqual(report);
    expect(report.crash).toBeNull();
    const reboot = report.reboot!;
    expect(reboot.path).toBe('kexec');
    expect(reboot.jobs).toBe(20_000);
    expect(reboot.strategies.map((s) => s.strategy)).toEqual([
      'none',
      'reset_devices',
      'device-reset',
      'driver-hardening',
      'restore-then-flr',
    ]);
    expect(reboot.pairs).toHaveLength(10);
  });

  it('adds up: in service + Σ reasons = jobs, with only reboot reasons', () => {
    const rebootReasons = ['dmar-fault', 'kexec-boot-panic', 'device-missing', 'interrupt-storm'];
    for (const s of report.reboot!.strategies) {
      expect(s.jobs).toBe(20_000);
      expect(s.inService + sum(s.failureReasons)).toBe(s.jobs);
      expect(s.inServiceRate.value).toBe(s.inService / s.jobs);
      for (const reason of Object.keys(s.failureReasons)) {
        expect(rebootReasons).toContain(reason);
      }
      expect(s.downtimeSeconds.count).toBe(s.jobs);
    }
    for (const p of report.reboot!.pairs) {
      const a = report.reboot!.strategies.find((s) => s.strategy === p.a)!;
      const b = report.reboot!.strategies.find((s) => s.strategy === p.b)!;
      expect(a.inService - b.inService).toBe(p.aOnly - p.bOnly);
    }
  });
});

describe('report of a spec with crashes and firmware reboots', () => {
  const text = exampleText('quickstart.yaml')
    .replace(/fleet:[\s\S]*?events:/, 'fleet:\n  - profile: gpu-node\n    count: 200\nevents:')
    .replace('events:\n', 'events:\n  reboot:\n    perServer: 2\n    path: firmware\n');
  const report = runExperiment(parseSpecOrThrow(text)).report;

  it('has both sections; a firmware reboot always comes back in service', () => {
    expect(ReportSchema.parse(report)).toEqual(report);
    expect(report.crash!.jobs).toBe(200);
    const reboot = report.reboot!;
    expect(reboot.path).toBe('firmware');
    expect(reboot.jobs).toBe(400);
    for (const s of reboot.strategies) {
      expect(s.inService).toBe(400);
      expect(s.failureReasons).toEqual({});
      expect(s.inServiceRate.upper).toBe(1);
    }
    for (const p of reboot.pairs) {
      expect([p.aOnly, p.bOnly, p.difference]).toEqual([0, 0, 0]);
    }
  });
});

describe('culprits and what the failures rest on', () => {
  const l = lab(`
name: culprits
seed: 3
fleet: [{profile: lab, count: 40}]
events: {crash: {perServer: 1, causes: {clean: 1}}}
strategies: [none, {name: without-hungry, blacklist: [hungry]}]
catalogue:
  crashCauses: {clean: ${cause()}}
  drivers:
    calm: ${driver()}
    hungry: ${driver({ memoryMiB: 4000, minimalMemoryMiB: 4000, sources: { memoryMiB: 'assumption: a big appetite' } })}
  devices:
    disk: ${device()}
    big: ${device({ driver: 'hungry' })}
  profiles:
    lab: ${profile({ dumpTarget: 'd0', buses: [bus('port', { d0: 'disk', big0: 'big' })] })}
`);
  const report = reportOf(l);

  it('counts each failure against its culprit device and driver', () => {
    const [none, without] = report.crash!.strategies;
    expect(none!.failureReasons).toEqual({ 'capture-kernel-oom': 40 });
    expect(none!.failureCulprits).toEqual({ 'capture-kernel-oom': { 'big0 (hungry)': 40 } });
    expect(without!.failureCulprits).toEqual({});
    expect(formatReportTable(report)).toContain('capture-kernel-oom at big0 (hungry) 100.0%');
  });

  it('names the figures a failure rests on, with where each comes from', () => {
    expect(report.basis).toHaveLength(1);
    const b = report.basis[0]!;
    expect(b).toMatchObject({
      kind: 'crash',
      reason: 'capture-kernel-oom',
      culprit: 'big0 (hungry)',
      jobs: 40,
    });
    const byPath = Object.fromEntries(b.fields.map((f) => [f.path, f]));
    expect(byPath['drivers.hungry.memoryMiB']).toMatchObject({
      value: '4000',
      basis: 'assumption',
      source: 'assumption: a big appetite',
    });
    // Set in the spec without a source of its own.
    expect(byPath['drivers.hungry.minimalMemoryMiB']!.basis).toBe('spec');
    expect(byPath['profiles.lab.crashkernelMiB']).toMatchObject({ value: '1024', basis: 'spec' });
    // The capture kernel base comes with the fixture's kdump block: set in the spec too.
    expect(byPath['profiles.lab.kdump.captureKernelBaseMiB']!.basis).toBe('spec');
  });

  it('on the built-in catalogue, cited figures and assumptions are told apart', () => {
    const quickstart = runExperiment(parseSpecOrThrow(exampleText('quickstart.yaml'))).report;
    const fields = quickstart.basis.flatMap((b) => b.fields);
    expect(fields.some((f) => f.basis === 'assumption')).toBe(true);
    expect(fields.every((f) => f.basis !== 'spec')).toBe(true);
    const base = fields.find((f) => f.path === 'profiles.compute-2s.kdump.captureKernelBaseMiB');
    if (base) {
      expect(base.basis).toBe('source');
    }
    // Every failure reason that happened is in the basis, with its meaning.
    for (const s of quickstart.crash!.strategies) {
      for (const reason of Object.keys(s.failureReasons)) {
        expect(quickstart.basis.some((b) => b.reason === reason && b.meaning.length > 0)).toBe(
          true,
        );
      }
    }
  });
});

describe('per 1,000 servers a year', () => {
  const text = `name: yearly
seed: 3
fleet:
  - profile: compute-2s
    count: 400
events:
  crash:
    ratePerServerYear: 2
    horizonDays: 730
    causes: { panic: 1 }
strategies: [none, fallback]
baseline: fallback
`;
  const { report } = runExperiment(parseSpecOrThrow(text));
  const y = report.crash!.perYear!;

  it('scales the simulated crashes by rate × horizon arithmetic', () => {
    const serverYears = (400 * 730) / 365;
    expect(y.serverYears).toBe(serverYears);
    expect(y.ratePerServerYear).toBe(2);
    report.crash!.strategies.forEach((s, i) => {
      const py = y.strategies[i]!;
      expect(py.strategy).toBe(s.strategy);
      expect(py.crashes.value).toBeCloseTo((s.jobs / serverYears) * 1000, 9);
      expect(py.captured.value).toBeCloseTo((s.captured / serverYears) * 1000, 9);
      expect(py.captured.value + py.lost.value).toBeCloseTo(py.crashes.value, 9);
      // The Poisson interval of the crashes covers the spec's rate of 2 per server-year.
      expect(py.crashes.lower).toBeLessThan(2000);
      expect(py.crashes.upper).toBeGreaterThan(2000);
      const hours = (s.downtimeSeconds.meanSeconds! * s.jobs) / 3600;
      expect(py.downtimeHours.value).toBeCloseTo((hours / serverYears) * 1000, 3);
      expect(py.downtimeHours.lower).toBeLessThan(py.downtimeHours.value);
      expect(py.availability.value).toBeCloseTo(1 - hours / serverYears / 8766, 9);
      expect(py.nines.value).toBeCloseTo(-Math.log10(1 - py.availability.value), 9);
    });
    expect(formatReportTable(report)).toContain('Per 1,000 servers a year, at 2 crashes');
  });

  it('is null for a perServer spec without a rate, and the text says why and what to set', () => {
    const r = runExperiment(parseSpecOrThrow(exampleText('quickstart.yaml'))).report;
    expect(r.crash!.perYear).toBeNull();
    expect(formatReportTable(r)).toContain(
      'Per year: absent — this spec gives crashes per server (perServer) and no rate',
    );
    expect(formatReportTable(r)).toContain('set events.crash.assumedRatePerServerYear');
  });

  it('scales a perServer spec by an assumed rate: crashes exactly rate × 1,000, shares by Wilson', () => {
    const fixed = `name: fixed
seed: 3
fleet:
  - profile: compute-2s
    count: 400
events:
  crash:
    perServer: 2
    assumedRatePerServerYear: 0.25
    causes: { panic: 1 }
strategies: [none, fallback]
baseline: fallback
`;
    const r = runExperiment(parseSpecOrThrow(fixed)).report;
    const py = r.crash!.perYear!;
    expect(py.from).toBe('assumed-rate');
    expect(py.ratePerServerYear).toBe(0.25);
    // 800 crashes at 0.25 a server-year stand for 3,200 server-years.
    expect(py.serverYears).toBe(3200);
    r.crash!.strategies.forEach((s, i) => {
      const y = py.strategies[i]!;
      expect(s.jobs).toBe(800);
      expect(y.crashes).toEqual({ value: 250, lower: 250, upper: 250 });
      expect(y.captured.value).toBeCloseTo((s.captured / 3200) * 1000, 9);
      expect(y.captured.value).toBeCloseTo((s.captured / 800) * 250, 9);
      expect(y.captured.lower).toBeCloseTo(s.captureRate.lower! * 250, 9);
      expect(y.lost.upper).toBeCloseTo((1 - s.captureRate.lower!) * 250, 9);
      const hours = (s.downtimeSeconds.meanSeconds! * s.jobs) / 3600;
      expect(y.downtimeHours.value).toBeCloseTo((hours / 3200) * 1000, 3);
      expect(y.downtimeHours.lower).toBeLessThan(y.downtimeHours.value);
      expect(y.availability.value).toBeCloseTo(1 - hours / 3200 / 8766, 9);
    });
    expect(formatReportTable(r)).toContain('at an assumed 0.25 crashes per server-year');
  });

  it('refuses an assumed rate on a rate spec', () => {
    const r = parseSpecText(
      text.replace(
        '    horizonDays: 730\n',
        '    horizonDays: 730\n    assumedRatePerServerYear: 1\n',
      ),
    );
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).toContain('assumedRatePerServerYear goes with perServer');
  });
});

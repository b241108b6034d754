import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { betaCdf, betaPosterior, betaQuantile } from './beta-posterior';
import {
  calibrateDump,
  crashkernelThreshold,
  CalibrationError,
  type SourcedObservation,
} from './calibrate';
import {
  fitHistory,
  historyCatalogue,
  HistoryFormatError,
  parseHistoryCsv,
  parseHistoryJson,
} from './calibrate-history';
import { historyYaml } from './calibrate-command';
import { parseCliArgs } from './args';
import { main } from './main';
import { parseSpecOrThrow } from '../../../libs/kdump-core/src';
import { parse, stringify } from 'yaml';
import type { LabObservation } from './lab-observation';

describe('beta posterior', () => {
  it('is the uniform prior with no data', () => {
    const p = betaPosterior(0, 0);
    expect(p.mean).toBe(0.5);
    expect(p.lower).toBeCloseTo(0.025, 6);
    expect(p.upper).toBeCloseTo(0.975, 6);
  });

  it('matches Beta(1 + k, 1 + n - k) quantiles', () => {
    // Beta(1, 11): CDF 1 - (1 - x)^11, so the 97.5 % quantile is 1 - 0.025^(1/11).
    const p = betaPosterior(0, 10);
    expect(p.mean).toBeCloseTo(1 / 12, 12);
    expect(p.upper).toBeCloseTo(1 - 0.025 ** (1 / 11), 6);
    expect(p.lower).toBeCloseTo(1 - 0.975 ** (1 / 11), 6);
    // Symmetric case: Beta(6, 6) has its median at 0.5.
    expect(betaQuantile(0.5, 6, 6)).toBeCloseTo(0.5, 8);
    expect(betaCdf(0.3, 2, 5) + betaCdf(0.7, 5, 2)).toBeCloseTo(1, 10);
  });

  it('narrows with data', () => {
    const few = betaPosterior(9, 10);
    const many = betaPosterior(900, 1000);
    expect(many.upper - many.lower).toBeLessThan((few.upper - few.lower) / 5);
    expect(many.mean).toBeCloseTo(901 / 1002, 12);
  });

  it('refuses impossible counts', () => {
    expect(() => betaPosterior(3, 2)).toThrow(/successes <= trials/);
  });
});

describe('fleet history', () => {
  const csv = [
    'profile,strategy,captured,reason,captureKernelBootMs,dumpMs,downtimeMs',
    'compute-2s,reset_devices,true,,6000,120000,400000',
    'compute-2s,reset_devices,true,,7000,110000,380000',
    'compute-2s,reset_devices,false,capture-kernel-oom,,,',
    'compute-2s,reset_devices,false,capture-kernel-not-loaded,,,',
    'compute-2s,none,true,,5000,100000,',
  ].join('\n');

  it('fits capture and reason odds per profile and strategy', () => {
    const rows = parseHistoryCsv(csv, 'fleet.csv');
    const fits = fitHistory(rows);
    expect(fits.map((f) => `${f.profile}/${f.strategy}`)).toEqual([
      'compute-2s/none',
      'compute-2s/reset_devices',
    ]);
    const rd = fits[1]!;
    expect(rd.crashes).toBe(4);
    expect(rd.capture.mean).toBeCloseTo(3 / 6, 12);
    expect(rd.reasons['capture-kernel-oom']!.mean).toBeCloseTo(2 / 6, 12);
    expect(rd.reasons['purgatory-digest-mismatch']!.successes).toBe(0);
    expect(rd.times.captureKernelBootMs).toEqual({ count: 2, medianMs: 6000, p95Ms: 7000 });
  });

  it('gives a <profile>-fleet block that a spec accepts', () => {
    const rows = parseHistoryCsv(csv, 'fleet.csv');
    const yaml = historyYaml(fitHistory(rows), rows, ['fleet.csv']);
    expect(yaml).toMatch(/compute-2s \/ reset_devices: 4 crashes, captured 0\.5000/);
    const block = parse(yaml) as { catalogue: Record<string, unknown> };
    const spec = stringify({
      name: 'fleet-check',
      seed: 1,
      fleet: [{ profile: 'compute-2s-fleet', count: 10 }],
      events: { crash: { perServer: 1, causes: { panic: 1 } } },
      strategies: ['none'],
      catalogue: block.catalogue,
    });
    const resolved = parseSpecOrThrow(spec);
    expect(resolved.servers).toBe(10);
    const cat = historyCatalogue(fitHistory(rows), rows, ['fleet.csv']) as {
      catalogue: { profiles: Record<string, { kdump: { captureKernelLoaded: number } }> };
    };
    // 1 of 5 crashes had no capture kernel: Beta(2, 5), mean 2/7.
    expect(cat.catalogue.profiles['compute-2s-fleet']!.kdump.captureKernelLoaded).toBeCloseTo(
      1 - 2 / 7,
      4,
    );
  });

  it('names the line and field of a bad row', () => {
    expect(() =>
      parseHistoryCsv('profile,strategy,captured\ncompute-2s,none,maybe', 'f.csv'),
    ).toThrow(/f\.csv line 2: captured must be true or false/);
    expect(() =>
      parseHistoryJson(
        [{ profile: 'p', strategy: 's', captured: false, reason: 'gremlins' }],
        'f.json',
      ),
    ).toThrow(HistoryFormatError);
  });
});

function obs(over: {
  ck: number;
  rd?: boolean;
  outcome: LabObservation['outcome'];
  ram?: number;
  level?: number;
  dumpMs?: number;
  bytes?: number;
}): SourcedObservation {
  const o: LabObservation = {
    schema: 'kdump-lab-observation/1',
    id: `ck${over.ck}`,
    kernel: 'k',
    accel: 'tcg',
    config: {
      crashkernelMiB: over.ck,
      resetDevices: over.rd ?? true,
      irqpoll: true,
      devices: ['nvme'],
      busyAtCrash: true,
      dumpLevel: over.level ?? 31,
      ramGiB: over.ram ?? 2,
    },
    outcome: over.outcome,
    failure: null,
    stages: {
      crashAtHostMs: null,
      crashToCaptureKernelMs: null,
      captureKernelBootMs: null,
      deviceInitMs: null,
      dumpMs: over.dumpMs ?? null,
      crashToEndMs: null,
    },
    captureMemTotalKiB: null,
    drivers: [],
    dump: over.bytes !== undefined ? { level: over.level ?? 31, bytes: over.bytes } : null,
    errors: [],
    serialLog: '',
  };
  return { file: `${o.id}-${over.ram ?? 2}-${over.level ?? 31}.json`, observation: o };
}

describe('lab calibration', () => {
  it('puts the crashkernel= need between the last failing and the first working size', () => {
    const t = crashkernelThreshold(
      [
        obs({ ck: 64, outcome: 'kexec-load-failed' }),
        obs({ ck: 80, outcome: 'capture-kernel-oom' }),
        obs({ ck: 96, outcome: 'captured' }),
        obs({ ck: 128, outcome: 'captured' }),
      ],
      true,
    );
    expect(t).toMatchObject({ lastFailingMiB: 80, firstWorkingMiB: 96, needMiB: 88 });
  });

  it('refuses a threshold the observations contradict', () => {
    expect(() =>
      crashkernelThreshold(
        [obs({ ck: 128, outcome: 'capture-kernel-oom' }), obs({ ck: 96, outcome: 'captured' })],
        true,
      ),
    ).toThrow(CalibrationError);
  });

  it('carries dump time per GiB of RAM by makedumpfile level', () => {
    const GiB = 2 ** 30;
    const d = calibrateDump([
      obs({ ck: 128, outcome: 'captured', ram: 2, dumpMs: 4000, bytes: 0.1 * GiB }),
      obs({ ck: 96, outcome: 'captured', ram: 2, dumpMs: 6000, bytes: 0.1 * GiB }),
      obs({ ck: 128, outcome: 'captured', ram: 4, dumpMs: 9000, bytes: 0.2 * GiB }),
      obs({ ck: 128, outcome: 'captured', ram: 2, level: 1, dumpMs: 22_000, bytes: 0.5 * GiB }),
    ]);
    expect(d.msPerGiBByLevel).toEqual({ '1': 11_000, '31': 2250 });
    expect(d.filterMsPerGiB).toBe(2250);
    expect(d.writeMsPerGiB).toBe(0);
    expect(d.percentOfRamByLevel['31']!.medianPercent).toBe(5);
    expect(d.percentOfRamByLevel['1']!.medianPercent).toBe(25);
  });
});

describe('fleetsim calibrate arguments', () => {
  it('takes files and --out', () => {
    expect(parseCliArgs(['calibrate', 'a.json', 'b.json', '--out', 'c.yaml'])).toEqual({
      ok: true,
      command: { kind: 'calibrate', files: ['a.json', 'b.json'], out: 'c.yaml' },
    });
    expect(parseCliArgs(['calibrate'])).toMatchObject({ ok: false, message: /missing FILE/ });
    expect(parseCliArgs(['calibrate', 'a.json', '--seed', '1'])).toMatchObject({ ok: false });
  });
});

describe('fleetsim calibrate', () => {
  const run = async (argv: string[]) => {
    let out = '';
    let err = '';
    const code = await main(argv, {
      out: (t) => (out += t),
      err: (t) => (err += t),
      progressStream: null,
    });
    return { code, out, err };
  };

  it('turns a fleet history file into odds and a catalogue block', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'calibrate-'));
    try {
      const file = join(dir, 'fleet.json');
      writeFileSync(
        file,
        JSON.stringify({
          crashes: [
            { profile: 'storage-2s', strategy: 'none', captured: true },
            { profile: 'storage-2s', strategy: 'none', captured: false, reason: 'dmar-fault' },
          ],
        }),
      );
      const r = await run(['calibrate', file]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/storage-2s \/ none: 2 crashes, captured 0\.5000/);
      expect(r.out).toMatch(/dmar-fault: 1 seen/);
      expect(r.out).toMatch(/storage-2s-fleet:/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses lab observations and a fleet history together', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'calibrate-'));
    try {
      const lab = join(dir, 'obs.json');
      const csv = join(dir, 'fleet.csv');
      writeFileSync(lab, JSON.stringify(obs({ ck: 96, outcome: 'captured' }).observation));
      writeFileSync(csv, 'profile,strategy,captured\ncompute-2s,none,true\n');
      const r = await run(['calibrate', lab, csv]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/either lab observations or a fleet history/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the bad line of a history', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'calibrate-'));
    try {
      const csv = join(dir, 'fleet.csv');
      writeFileSync(csv, 'profile,strategy,captured,reason\ncompute-2s,none,false,gremlins\n');
      const r = await run(['calibrate', csv]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/fleet\.csv line 2: reason "gremlins" is not one of/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Predict and check, in CI without QEMU: the committed lab observations, the
 * committed calibrated profile, and the simulator run on that profile must
 * agree. Altering the profile (its crashkernel= need, probe costs or dump rate)
 * must make a check fail.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { calibrateFromLab, type SourcedObservation } from '../apps/cli/src/calibrate';
import { labCalibrationYaml } from '../apps/cli/src/calibrate-command';
import { LabObservationSchema, type LabObservation } from '../apps/cli/src/lab-observation';
import { main } from '../apps/cli/src/main';
import {
  caseSpec,
  predictionChecks,
  readCatalogueBlock,
  type CatalogueBlock,
} from './src/prediction';
import { parseSerialLog } from './src/serial-log';

const OBS_DIR = join(__dirname, 'observations');
const CALIBRATED = join(__dirname, 'calibrated', 'qemu-q35.yaml');

const sourced: SourcedObservation[] = readdirSync(OBS_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({
    file,
    observation: LabObservationSchema.parse(JSON.parse(readFileSync(join(OBS_DIR, file), 'utf8'))),
  }));
const observations: LabObservation[] = sourced.map((s) => s.observation);
const calibratedText = readFileSync(CALIBRATED, 'utf8');
const block = readCatalogueBlock(calibratedText);

type Profile = Record<string, unknown> & { kdump: Record<string, unknown> };
function altered(change: (profile: Profile, b: CatalogueBlock) => void): CatalogueBlock {
  const b = structuredClone(block);
  change(b.catalogue.profiles['qemu-q35'] as Profile, b);
  return b;
}
const failing = (b: CatalogueBlock, prefix: string) =>
  predictionChecks(b, observations).filter((c) => !c.ok && c.name.startsWith(prefix));

describe('the committed lab observations', () => {
  it('span a failing and a working crashkernel= size, two RAM sizes and two dump levels', () => {
    expect(observations.length).toBeGreaterThanOrEqual(8);
    expect(observations.some((o) => o.outcome === 'captured')).toBe(true);
    expect(
      observations.some(
        (o) => o.outcome === 'kexec-load-failed' || o.outcome === 'capture-kernel-oom',
      ),
    ).toBe(true);
    expect(new Set(observations.map((o) => o.config.ramGiB)).size).toBeGreaterThanOrEqual(2);
    expect(new Set(observations.map((o) => o.config.dumpLevel)).size).toBeGreaterThanOrEqual(2);
  });

  it('are what the parser makes of their committed serial log excerpts', () => {
    for (const o of observations) {
      const log = readFileSync(join(__dirname, '..', o.serialLog), 'utf8');
      const again = parseSerialLog(log, o.config as Parameters<typeof parseSerialLog>[1], {
        kernel: o.kernel,
        timedOut: o.outcome === 'timeout',
        dumpDiskBytes: o.dump?.bytes ?? null,
        serialLog: o.serialLog,
      });
      expect(again, o.id).toEqual(o);
    }
  });
});

describe('the calibrated qemu-q35 profile', () => {
  it('is what fleetsim calibrate makes of the committed observations', () => {
    expect(labCalibrationYaml(calibrateFromLab(sourced))).toBe(calibratedText);
  });

  it('cites observation files in every entry', () => {
    for (const kind of ['drivers', 'devices', 'profiles', 'crashCauses']) {
      for (const [name, entry] of Object.entries(block.catalogue[kind]!)) {
        expect(String(entry.source), `${kind}.${name}`).toMatch(/lab: .*\.json/);
      }
    }
  });

  it('validates in a spec with fleetsim validate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-spec-'));
    try {
      const file = join(dir, 'q35.yaml');
      writeFileSync(file, caseSpec(block, 'qemu-q35', {}, 'reset_devices'));
      let out = '';
      let err = '';
      const code = await main(['validate', file], {
        out: (t) => (out += t),
        err: (t) => (err += t),
        progressStream: null,
      });
      expect(err).toBe('');
      expect(code).toBe(0);
      expect(out).toMatch(/valid \(200 servers, 1 strategies/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('predictions of the simulator on qemu-q35 against the lab', () => {
  const checks = predictionChecks(block, observations);

  it('holds for every check', () => {
    const bad = checks.filter((c) => !c.ok);
    expect(bad, JSON.stringify(bad, null, 2)).toEqual([]);
  });

  it('checks the threshold on both sides, the probe order and the dump time', () => {
    const threshold = checks.filter((c) => c.name.startsWith('crashkernel='));
    expect(threshold.some((c) => c.expected.startsWith('too small'))).toBe(true);
    expect(threshold.some((c) => c.expected.startsWith('captures'))).toBe(true);
    expect(checks.filter((c) => c.name.startsWith('probe cost')).length).toBeGreaterThanOrEqual(3);
    expect(checks.some((c) => c.name === 'dump time 2 GiB makedumpfile -d 31')).toBe(true);
    expect(checks.some((c) => c.name === 'dump time 4 GiB makedumpfile -d 31')).toBe(true);
    expect(checks.some((c) => c.name === 'dump time 2 GiB makedumpfile -d 1')).toBe(true);
  });

  it('fails when the crashkernel= need is moved above the first working size', () => {
    const b = altered((p) => {
      p.kdump.captureKernelBaseMiB = Number(p.kdump.captureKernelBaseMiB) + 40;
    });
    expect(failing(b, 'crashkernel=').length).toBeGreaterThan(0);
  });

  it('fails when the crashkernel= need is moved below the last failing size', () => {
    const b = altered((p) => {
      p.kdump.captureKernelBaseMiB = Math.max(0, Number(p.kdump.captureKernelBaseMiB) - 40);
    });
    expect(failing(b, 'crashkernel=').length).toBeGreaterThan(0);
  });

  it('fails when two drivers swap probe costs', () => {
    const b = altered((_p, whole) => {
      const devices = whole.catalogue.devices;
      const e1000e = devices['qemu-e1000e']!.initMs;
      devices['qemu-e1000e']!.initMs = devices['qemu-virtio-net']!.initMs;
      devices['qemu-virtio-net']!.initMs = e1000e;
    });
    expect(failing(b, 'probe cost').length).toBeGreaterThan(0);
  });

  it('fails when the dump rate is 4 times what the lab saw', () => {
    const b = altered((p) => {
      p.filterMsPerTiB = Number(p.filterMsPerTiB) * 4;
    });
    expect(failing(b, 'dump time').length).toBeGreaterThan(0);
  });
});

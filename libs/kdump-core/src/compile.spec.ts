import { describe, expect, it } from 'vitest';
import { compileExperiment, Step, type CompiledProfile } from './compile';
import { parseSpecOrThrow } from './spec';
import { bus, cause, device, driver, exampleText, profile } from '../../../test/fixtures/core';

const model = compileExperiment(parseSpecOrThrow(exampleText('quickstart.yaml')));
const profileOf = (name: string): CompiledProfile => model.profiles.find((p) => p.name === name)!;
const strategyIndex = (name: string) => model.strategies.findIndex((s) => s.name === name);
const loadedRow = (p: CompiledProfile, strategy: string) => {
  const s = strategyIndex(strategy);
  return Array.from(p.loaded.subarray(s * p.deviceCount, (s + 1) * p.deviceCount));
};
/** The four cumulative state thresholds of device `d` under cause `c`. */
const cum = (p: CompiledProfile, c: number, d: number) =>
  Array.from(p.stateCum.subarray((c * p.deviceCount + d) * 4, (c * p.deviceCount + d + 1) * 4));

describe('compileExperiment on quickstart', () => {
  it('lists device classes sorted and unique', () => {
    expect(model.deviceClasses).toEqual([
      'gpu',
      'nic-100g',
      'nic-25g',
      'nvme-ssd',
      'sas-raid-hba',
      'xhci',
    ]);
    expect([...new Set(model.deviceClasses)].sort()).toEqual(model.deviceClasses);
    for (const p of model.profiles) {
      for (let d = 0; d < p.deviceCount; d++) {
        expect(p.devClass[d]).toBeGreaterThanOrEqual(0);
      }
    }
    const compute = profileOf('compute-2s');
    expect(Array.from(compute.devClass, (c) => model.deviceClasses[c])).toEqual([
      'xhci',
      'nic-100g',
      'nvme-ssd',
      'nvme-ssd',
    ]);
  });

  it('cuts the fleet into segments of profiles', () => {
    expect(model.servers).toBe(3000);
    expect(model.profiles.map((p) => p.name)).toEqual(['compute-2s', 'storage-2s', 'gpu-node']);
    expect(Array.from(model.segmentStart)).toEqual([0, 1500, 2500, 3000]);
    expect(Array.from(model.segmentProfile)).toEqual([0, 1, 2]);
    expect(model.crashes).toEqual({ fixed: 1, poissonMean: 1 });
    expect(model.reboots).toBeNull();
  });

  it('keeps device order and the dump target', () => {
    const storage = profileOf('storage-2s');
    expect(storage.deviceNames).toEqual(['usb0', 'eth0', 'eth1', 'raid0', 'nvme0']);
    expect(storage.dumpTarget).toBe(3);
    expect(Array.from(storage.devBus)).toEqual([0, 1, 1, 2, 3]);
    expect(Array.from(storage.busSecondaryReset)).toEqual([0, 1, 1, 1]);
  });

  it('loads every driver under none, no known-problem driver under blacklist', () => {
    const expected: Record<string, number[]> = {
      // usb0 (xhci_hcd) and the GPUs (nvidia) are on the built-in blacklist
      'compute-2s': [0, 1, 1, 1],
      'storage-2s': [0, 1, 1, 1, 1],
      'gpu-node': [0, 0, 0, 1, 0, 0, 1, 1],
    };
    for (const p of model.profiles) {
      expect(loadedRow(p, 'none')).toEqual(new Array(p.deviceCount).fill(1));
      expect(loadedRow(p, 'blacklist')).toEqual(expected[p.name]);
    }
  });

  it("loads only the dump target's driver under whitelist", () => {
    expect(loadedRow(profileOf('compute-2s'), 'whitelist')).toEqual([0, 0, 1, 1]); // nvme0, nvme1
    expect(loadedRow(profileOf('storage-2s'), 'whitelist')).toEqual([0, 0, 0, 1, 0]); // raid0
    expect(loadedRow(profileOf('gpu-node'), 'whitelist')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('normalises cause weights; crash detection per cause', () => {
    expect(model.causeNames).toEqual(['panic', 'oops', 'hard-lockup', 'machine-check']);
    const c = Array.from(model.causeCum);
    [0.5, 0.75, 0.9, 1].forEach((v, i) => expect(c[i]).toBeCloseTo(v, 12));
    expect(c[3]).toBe(1);
    expect(Array.from(model.causeUndetected)).toEqual([0, 0, 0.02, 0.01]);
  });

  it('gives non-decreasing state thresholds within [0, 1] for every cause and device', () => {
    for (const p of model.profiles) {
      for (let c = 0; c < model.causeNames.length; c++) {
        for (let d = 0; d < p.deviceCount; d++) {
          const t = cum(p, c, d);
          expect(t[0]).toBeGreaterThanOrEqual(0);
          for (let k = 1; k < 4; k++) {
            expect(t[k]).toBeGreaterThanOrEqual(t[k - 1]!);
          }
          expect(t[3]).toBeLessThanOrEqual(1 + 1e-12);
        }
      }
    }
  });

  it("adds a cause's extraWedged to the wedged share only", () => {
    const p = profileOf('compute-2s');
    const panic = model.causeNames.indexOf('panic');
    const wedgedShare = (c: number, d: number) => cum(p, c, d)[3]! - cum(p, c, d)[2]!;
    for (const [name, extra] of [
      ['hard-lockup', 0.02],
      ['machine-check', 0.05],
    ] as const) {
      const c = model.causeNames.indexOf(name);
      for (let d = 0; d < p.deviceCount; d++) {
        expect(wedgedShare(c, d) - wedgedShare(panic, d)).toBeCloseTo(extra, 12);
        // The dirty states before it are unchanged.
        expect(cum(p, c, d).slice(0, 3)).toEqual(cum(p, panic, d).slice(0, 3));
      }
    }
    // xhci: wedged 0.01 after a panic, 0.06 after a machine check.
    expect(wedgedShare(model.causeNames.indexOf('machine-check'), 0)).toBeCloseTo(0.06, 12);
    // Without a cause (a kexec reboot's idle odds), no extra wedging.
    expect(Array.from(p.idleCum.subarray(0, 4))).toEqual(cum(p, panic, 0));
  });

  it('compiles reaction tables, reset availability and IOMMU exposure', () => {
    const compute = profileOf('compute-2s');
    const nvme0 = 2;
    const t = Array.from(compute.reactCum.subarray(nvme0 * 3, nvme0 * 3 + 3));
    [0.8, 0.95, 0.98].forEach((v, i) => expect(t[i]).toBeCloseTo(v, 12));
    expect(Array.from(compute.canConfigRestore)).toEqual([1, 0, 1, 1]); // mlx5 has no save_state
    // Per device, the FLR's odds of clearing a wedged device (state code 4); xhci's FLR is broken.
    expect([0, 1, 2, 3].map((d) => compute.flrClears[d * 5 + 4])).toEqual([0, 0.85, 0.9, 0.9]);
    // ... and of stopping in-flight DMA (state code 1).
    expect([0, 1, 2, 3].map((d) => compute.flrClears[d * 5 + 1])).toEqual([0, 0.99, 0.99, 0.99]);
    expect(Array.from(compute.hasFlr)).toEqual([1, 1, 1, 1]);
    expect(compute.dmarFatal[0]).toBe(0); // xhci is not behind the IOMMU
    const storage = profileOf('storage-2s');
    expect(storage.hasFlr[3]).toBe(0); // the RAID HBA has no FLR
    const gpu = profileOf('gpu-node');
    expect(gpu.hasPm[1]).toBe(0); // GPUs have no PM reset
    expect(Array.from(storage.honoursResetDevices)).toEqual([0, 0, 0, 1, 0]);
  });

  it('compiles strategies to reset steps, device-reset expanded', () => {
    const steps = (name: string) => Array.from(model.strategies[strategyIndex(name)]!.steps);
    expect(steps('none')).toEqual([]);
    expect(steps('device-reset')).toEqual([Step.DeviceSpecific, Step.Flr, Step.Pm]);
    expect(steps('fallback')).toEqual([Step.ConfigRestore, Step.Flr, Step.BusReset]);
    expect(steps('bus-reset')).toEqual([Step.BusReset]);
    const rd = model.strategies[strategyIndex('reset_devices')]!;
    expect([rd.resetDevices, rd.hardening]).toEqual([true, false]);
    expect(model.strategies[strategyIndex('driver-hardening')]!.hardening).toBe(true);
  });

  it('derives the kdump stage constants', () => {
    const p = profileOf('compute-2s');
    expect(p.purgatoryDigestUs).toBe(300_000); // 81 MiB at 270 MiB/s
    expect(p.nmiShootdownLimitUs).toBe(1_000_000);
    expect(p.panicRebootUs).toBe(10_000_000);
    expect(p.rebootViaKexec).toBe(false);
    expect(profileOf('gpu-node').rebootViaKexec).toBe(true);
  });

  it('is deterministic', () => {
    const again = compileExperiment(parseSpecOrThrow(exampleText('quickstart.yaml')));
    expect(again.profiles).toEqual(model.profiles);
    expect(again.strategies).toEqual(model.strategies);
    expect(Array.from(again.causeCum)).toEqual(Array.from(model.causeCum));
  });
});

describe('compileExperiment on edge cases', () => {
  const edge = compileExperiment(
    parseSpecOrThrow(`
name: edge
seed: 1
fleet: [{profile: lab, count: 1}]
events: {crash: {perServer: 1, causes: {wedges: 1, never: 0}}}
strategies: [none]
catalogue:
  crashCauses:
    wedges: ${cause({ extraWedged: 0.5 })}
    never: ${cause()}
  drivers: {calm: ${driver()}}
  devices:
    busy: ${device({ postCrashState: { inFlightDma: 0.4, pendingInterrupt: 0.3, staleRing: 0.2, wedged: 0.09 } })}
    idle: ${device()}
    exposed: ${device({ behindIommu: false, dmarFaultFatal: 1 })}
  profiles:
    lab: ${profile({ dumpTarget: 'b', buses: [bus('port', { b: 'busy', i: 'idle', x: 'exposed' })] })}
`),
  );
  const p = edge.profiles[0]!;

  it('drops causes of weight 0', () => {
    expect(edge.causeNames).toEqual(['wedges']);
    expect(Array.from(edge.causeCum)).toEqual([1]);
  });

  it('caps extra wedging at the quiescent share: thresholds never pass 1', () => {
    const b = cum(p, 0, 0);
    expect(b[3]).toBeCloseTo(1, 12);
    expect(b[3]! - b[2]!).toBeCloseTo(0.09 + 0.01, 12);
    // A device the crash leaves quiescent gets the whole extra share as wedged.
    const i = cum(p, 0, 1);
    expect(i.slice(0, 3)).toEqual([0, 0, 0]);
    expect(i[3]).toBeCloseTo(0.5, 12);
  });

  it('normalises the dirty-state odds of a failed kexec shutdown, all 0 without dirty odds', () => {
    const d = Array.from(p.dirtyCum.subarray(0, 4));
    [0.4 / 0.99, 0.7 / 0.99, 0.9 / 0.99, 1].forEach((v, k) => expect(d[k]).toBeCloseTo(v, 12));
    expect(Array.from(p.dirtyCum.subarray(4, 8))).toEqual([0, 0, 0, 0]);
  });

  it('gives DMA no fatal odds on a device that is not behind an IOMMU', () => {
    expect(p.dmarFatal[2]).toBe(0);
  });
});

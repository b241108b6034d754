import { describe, expect, it } from 'vitest';
import {
  captureKernelMemory,
  checkCrashkernelOptions,
  crashkernelParameter,
  jobsNeededFor,
  sizeCrashkernel,
} from './crashkernel-sizing';
import { runExperiment } from './experiment';
import { parseSpecOrThrow } from './spec';
import { wilson } from './statistics';

const SPEC = `
name: ck-test
seed: 11
fleet:
  - profile: gpu-node
    count: 200
  - profile: compute-2s
    count: 200
events:
  crash:
    perServer: 1
    causes: { panic: 1 }
strategies: [none, whitelist, reset_devices]
`;

describe('jobsNeededFor', () => {
  it('is the least n whose Wilson upper bound for 0 of n is below the target', () => {
    for (const t of [0.1, 0.01, 0.001]) {
      const n = jobsNeededFor(t);
      expect(wilson(0, n).upper!).toBeLessThan(t);
      expect(wilson(0, n - 1).upper!).toBeGreaterThanOrEqual(t);
    }
  });
});

describe('crashkernelParameter', () => {
  it('gives one size when all profiles agree, else ranges by RAM', () => {
    expect(crashkernelParameter([{ ramGiB: 256, mib: 300 }])).toBe('crashkernel=300M');
    expect(
      crashkernelParameter([
        { ramGiB: 32, mib: 256 },
        { ramGiB: 96, mib: 512 },
        { ramGiB: 128, mib: 512 },
        { ramGiB: 1024, mib: 1024 },
      ]),
    ).toBe('crashkernel=1G-64G:256M,64G-576G:512M,576G-:1G');
    expect(crashkernelParameter([{ ramGiB: 32, mib: null }])).toBeNull();
  });
});

describe('checkCrashkernelOptions', () => {
  const resolved = parseSpecOrThrow(SPEC);

  it('gives the defaults, and refuses options out of range and specs without crashes', () => {
    expect(checkCrashkernelOptions(resolved)).toEqual({
      ok: true,
      value: { targetOom: 0.001, stepMiB: 1 },
    });
    expect(checkCrashkernelOptions(resolved, { targetOom: 1 })).toEqual({
      ok: false,
      refusal: {
        code: 'invalid-option',
        message: 'target OOM rate must be between 0 and 1 (exclusive), got 1',
        path: 'targetOom',
      },
    });
    expect(checkCrashkernelOptions(resolved, { stepMiB: 0.5 })).toMatchObject({
      ok: false,
      refusal: { code: 'invalid-option', path: 'stepMiB' },
    });
    const reboots = parseSpecOrThrow(
      SPEC.replace(
        'crash:\n    perServer: 1\n    causes: { panic: 1 }',
        'reboot: { perServer: 1, path: firmware }',
      ),
    );
    expect(checkCrashkernelOptions(reboots)).toMatchObject({
      ok: false,
      refusal: { code: 'no-crash-events' },
    });
    expect(() => sizeCrashkernel(reboots)).toThrow(
      'the spec has no crash events: nothing runs the capture kernel',
    );
  });
});

describe('sizeCrashkernel', () => {
  const resolved = parseSpecOrThrow(SPEC);
  const answer = sizeCrashkernel(resolved, { targetOom: 0.01 });

  it('raises each profile to enough servers for the target', () => {
    expect(answer.jobsNeeded).toBe(jobsNeededFor(0.01));
    for (const p of answer.profiles) {
      expect(p.servers).toBeGreaterThanOrEqual(answer.jobsNeeded);
    }
  });

  it('finds the boundary of the memory arithmetic, and a direct sweep agrees', () => {
    for (const p of answer.profiles) {
      for (const s of p.strategies) {
        const memory = captureKernelMemory(resolved, p.profile, s.strategy);
        expect(s.modelMemoryMiB).toBe(memory.totalMiB);
        expect(s.crashkernelMiB).toBe(Math.ceil(memory.totalMiB));
        expect(s.oom).toBe(0);
        expect(s.oomBelow).toBeGreaterThan(0);
      }
      // Direct sweep of candidates around each answer, every strategy at once.
      const fleet = parseSpecOrThrow(
        SPEC.replace(
          /fleet:[\s\S]*?events:/,
          `fleet:\n  - profile: ${p.profile}\n    count: ${p.servers}\nevents:`,
        ),
      );
      const candidates = [
        ...new Set(p.strategies.flatMap((s) => [s.crashkernelMiB! - 1, s.crashkernelMiB!])),
      ];
      for (const mib of candidates) {
        const spec =
          SPEC.replace(
            /fleet:[\s\S]*?events:/,
            `fleet:\n  - profile: ${p.profile}\n    count: ${p.servers}\nevents:`,
          ) + `catalogue:\n  profiles:\n    ${p.profile}:\n      crashkernelMiB: ${mib}\n`;
        const report = runExperiment(parseSpecOrThrow(spec)).report;
        for (const s of p.strategies) {
          const row = report.crash!.strategies.find((r) => r.strategy === s.strategy)!;
          const oom = row.failureReasons['capture-kernel-oom'] ?? 0;
          const ok = wilson(oom, row.jobs).upper! < 0.01;
          expect(ok).toBe(mib >= s.crashkernelMiB!);
        }
      }
      expect(fleet.servers).toBe(p.servers);
    }
  });

  it('names the kdumpctl-style sum and the drivers it leaves out', () => {
    const gpu = answer.profiles.find((p) => p.profile === 'gpu-node')!;
    expect(gpu.kdumpctlMiB).toBe(resolved.profiles['gpu-node']!.kdump.captureKernelBaseMiB);
    const none = gpu.strategies.find((s) => s.strategy === 'none')!;
    expect(none.driversMiB.nvidia).toBeGreaterThan(0);
    const sum = Object.values(none.driversMiB).reduce((a, b) => a + b, 0);
    expect(none.modelMemoryMiB).toBeCloseTo(gpu.kdumpctlMiB + none.perCpuMiB + sum, 9);
  });

  it('writes one crashkernel= value per strategy', () => {
    for (const line of answer.commandLines) {
      expect(line.crashkernel).toMatch(/^crashkernel=/);
    }
  });
});

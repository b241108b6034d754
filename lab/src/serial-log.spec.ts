import { describe, expect, it } from 'vitest';
import { DEFAULT_CYCLE } from './cycle-config';
import { parseSerialLog, serialLogExcerpt } from './serial-log';

const host = { kernel: '6.1.0-test', timedOut: false, dumpDiskBytes: 1000, serialLog: 'x.log' };
const stamp = (hostMs: number, kernelS: number, text: string) =>
  `h+${hostMs.toFixed(1)} | [${kernelS.toFixed(6).padStart(12)}] ${text}`;

const firstKernel = [
  stamp(1000, 2.1, 'LAB: first-kernel-up'),
  stamp(2000, 3.0, 'LAB: kexec-load-start'),
  stamp(2500, 3.5, 'LAB: kexec-load-end rc=0 crash_size=134217728'),
  stamp(5000, 8.0, 'LAB: crash'),
  stamp(5010, 8.01, 'Kernel panic - not syncing: sysrq triggered crash'),
];

describe('parseSerialLog', () => {
  it('reads a captured cycle: stages, probes, memory, dump', () => {
    const log = [
      ...firstKernel,
      stamp(9000, 0, 'Linux version 6.1.0-test'),
      stamp(12000, 3.0, 'LAB: capture-kernel-up mem_total_kb=78000'),
      stamp(12010, 3.01, 'LAB: probe-start nvme memfree_kb=50000'),
      stamp(12100, 3.1, 'probe of 0000:00:04.0 returned 0 after 14000 usecs'),
      stamp(12400, 3.41, 'LAB: probe-end nvme rc=0 memfree_kb=48976'),
      stamp(12500, 3.5, 'LAB: dump-start level=31'),
      stamp(16500, 7.5, 'LAB: dump-end rc=0'),
      stamp(16510, 7.51, 'LAB: dd: 123 bytes (123B) copied, 1 seconds, 123B/s'),
      '',
    ].join('\n');
    const o = parseSerialLog(log, { ...DEFAULT_CYCLE, devices: ['nvme'] }, host);
    expect(o.outcome).toBe('captured');
    expect(o.failure).toBeNull();
    expect(o.stages).toEqual({
      crashAtHostMs: 5000,
      crashToCaptureKernelMs: 4000,
      captureKernelBootMs: 3000,
      deviceInitMs: 200,
      dumpMs: 4000,
      crashToEndMs: 11500,
    });
    expect(o.drivers).toEqual([
      { driver: 'nvme', outcome: 'probed', probeMs: 14, loadMs: 200, memoryKiB: 1024 },
    ]);
    expect(o.dump).toEqual({ level: 31, bytes: 123 });
    expect(o.captureMemTotalKiB).toBe(78000);
    expect(
      parseSerialLog(serialLogExcerpt(log), { ...DEFAULT_CYCLE, devices: ['nvme'] }, host),
    ).toEqual(o);
  });

  it('blames the driver that was loading when the capture kernel ran out of memory', () => {
    const log = [
      ...firstKernel,
      stamp(9000, 0, 'Linux version 6.1.0-test'),
      stamp(12000, 3.0, 'LAB: capture-kernel-up mem_total_kb=30000'),
      stamp(12010, 3.01, 'LAB: probe-start nvme memfree_kb=5000'),
      stamp(12400, 3.41, 'LAB: probe-end nvme rc=0 memfree_kb=4000'),
      stamp(12410, 3.42, 'LAB: probe-start megaraid_sas memfree_kb=4000'),
      stamp(12500, 3.5, 'Kernel panic - not syncing: System is deadlocked on memory'),
      '',
    ].join('\n');
    const o = parseSerialLog(log, { ...DEFAULT_CYCLE, devices: ['nvme', 'megasas'] }, host);
    expect(o.outcome).toBe('capture-kernel-oom');
    expect(o.failure).toEqual({
      reason: 'capture-kernel-oom',
      line: 'Kernel panic - not syncing: System is deadlocked on memory',
      driver: 'megaraid_sas',
    });
    expect(o.drivers.map((d) => d.outcome)).toEqual(['failed', 'not-reached']);
    expect(o.dump).toBeNull();
  });

  it('tells a capture kernel that could not be loaded', () => {
    const log = [
      stamp(1000, 2.1, 'LAB: first-kernel-up'),
      stamp(2500, 3.5, 'LAB: kexec-load-end rc=1 crash_size=67108864'),
      stamp(2501, 3.5, 'LAB: kexec: Could not find a free area of memory of 0x3f98000 bytes...'),
      stamp(2502, 3.5, 'LAB: FAIL kexec-load'),
      '',
    ].join('\n');
    const o = parseSerialLog(log, { ...DEFAULT_CYCLE, crashkernelMiB: 64 }, host);
    expect(o.outcome).toBe('kexec-load-failed');
    expect(o.failure?.line).toMatch(/Could not find a free area of memory of 0x3f98000/);
    expect(o.stages.crashAtHostMs).toBeNull();
  });

  it('reports a timeout when the runner had to kill QEMU in the capture kernel', () => {
    const log = [...firstKernel, stamp(9000, 0, 'Linux version 6.1.0-test'), ''].join('\n');
    const o = parseSerialLog(log, DEFAULT_CYCLE, { ...host, timedOut: true });
    expect(o.outcome).toBe('timeout');
  });

  it('tells a hang between the panic and the capture kernel', () => {
    const o = parseSerialLog([...firstKernel, ''].join('\n'), DEFAULT_CYCLE, {
      ...host,
      timedOut: true,
    });
    expect(o.outcome).toBe('capture-kernel-never-started');
    expect(o.failure?.line).toMatch(/purgatory/);
  });
});

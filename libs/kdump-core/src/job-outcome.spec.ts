import { describe, expect, it } from 'vitest';
import { JobOutcome } from './job-outcome';
import { Reason } from './outcome';

describe('JobOutcome', () => {
  it('failAll gives every strategy the same failure, nothing booted or dumped', () => {
    const out = new JobOutcome(3);
    out.begin(4, 1, 'crash', 2);
    out.failAll(Reason.PurgatoryDigestMismatch, 7_000);
    expect(out.common).toBe(Reason.PurgatoryDigestMismatch);
    for (let s = 0; s < 3; s++) {
      expect(out.reasonOf(s)).toBe(Reason.PurgatoryDigestMismatch);
      expect(out.backInServiceUs(s)).toBe(7_000);
      expect(out.kernelUp[s]).toBe(0);
      expect(out.probedUntil[s]).toBe(0);
      expect(out.dumped(s)).toBe(false);
      expect(out.crashToDumpStartUs(s)).toBe(-1);
      expect(out.dumpSizeMiB(s)).toBe(-1);
    }
  });

  it('begin forgets the previous job: stages not reached, no common failure', () => {
    const out = new JobOutcome(1);
    out.begin(0, 0, 'crash', 0);
    out.cause = 2;
    out.crashKexecUs = 5;
    out.staleCpu = true;
    out.hasInitialStates = true;
    out.failAll(Reason.StaleCpu, 1);
    out.begin(1, 0, 'reboot', 0);
    expect(out).toMatchObject({
      server: 1,
      kind: 'reboot',
      bootPath: 'kexec',
      cause: -1,
      crashKexecUs: -1,
      staleCpu: false,
      hasInitialStates: false,
      common: -1,
      dumpMiB: -1,
    });
  });

  it('a dump starts after the crash path and the capture kernel boot, and has the job size', () => {
    const out = new JobOutcome(2);
    out.begin(0, 0, 'crash', 0);
    out.beforeCaptureUs = 312_000;
    out.dumpMiB = 3276.8;
    out.bootUs[0] = 6_250_000;
    out.dumpUs[0] = 320_000;
    out.downtimeUs[0] = 97_000_000;
    out.bootUs[1] = 7_100_000;
    out.dumpUs[1] = -1;
    expect(out.crashToDumpStartUs(0)).toBe(6_562_000);
    expect(out.dumpMicros(0)).toBe(320_000);
    expect(out.dumpSizeMiB(0)).toBe(3276.8);
    expect(out.backInServiceUs(0)).toBe(97_000_000);
    expect(out.crashToDumpStartUs(1)).toBe(-1);
    expect(out.dumpSizeMiB(1)).toBe(-1);
  });

  it('sizes the per-device detail only when asked to keep it', () => {
    expect(new JobOutcome(4).deviceState.length).toBe(0);
    expect(new JobOutcome(4, true).deviceState.length).toBeGreaterThanOrEqual(4 * 64);
  });
});

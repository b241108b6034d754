import { describe, expect, it } from 'vitest';
import { CrashSlot, uniformsPerJob } from './crash-layout';
import { followCrashPath } from './crash-path';
import { JobOutcome } from './job-outcome';
import { Reason } from './outcome';
import { Sampler } from './sampler';
import { bus, cause, constant, device, driver, lab, profile } from '../../../test/fixtures/core';

/*
 * The crash path alone, fed hand-set uniforms: each stage fails exactly when its
 * own uniform falls below its odds. Fixture times: detection 1 ms, crash_kexec
 * 1 ms, CPU stop 10 ms, NMI shootdown limit 1000 ms, purgatory 300 ms, POST 50 s,
 * kernel boot 40 s, one device of 100 ms init, panic=10 s, hang watchdog 600 s.
 */
const l = lab(`
name: crash-path
seed: 3
fleet: [{profile: lab, count: 1}]
events: {crash: {perServer: 1, causes: {odd: 1}}}
strategies: [none, fallback]
catalogue:
  crashCauses: {odd: ${cause({ undetectedHang: 0.5, staleCpu: 0.5 })}}
  drivers: {calm: ${driver()}}
  devices: {disk: ${device()}}
  profiles:
    lab: ${profile({
      dumpTarget: 'd0',
      buses: [bus('port', { d0: 'disk' })],
      kdump: {
        captureKernelLoaded: 0.5,
        staleCpuBreaksCapture: 0.5,
        purgatoryDigestMismatch: 0.5,
        crashKexecMs: constant(1),
      },
    })}
`);
const m = l.model;
const p = m.profiles[0]!;
const CLEAN_US = 100_000;
const FIRMWARE_US = 50_000_000 + 40_000_000 + CLEAN_US;

/** Uniforms where every stage goes well; `set` overrides slots. */
function uniforms(set: Partial<Record<CrashSlot, number>> = {}): Float64Array {
  const u = new Float64Array(uniformsPerJob(p.deviceCount, p.busCount)).fill(0.9);
  u[CrashSlot.CaptureKernelLoaded] = 0.1; // below 0.5: loaded
  for (const [slot, v] of Object.entries(set)) {
    u[Number(slot)] = v;
  }
  return u;
}

function follow(u: Float64Array): { started: boolean; out: JobOutcome } {
  const out = new JobOutcome(m.strategies.length);
  out.begin(0, 0, 'crash', 0);
  const started = followCrashPath(m, p, u, new Sampler(), CLEAN_US, out);
  return { started, out };
}

describe('followCrashPath', () => {
  it('gets to the capture kernel with every stage timed, the strategies untouched', () => {
    const { started, out } = follow(uniforms());
    expect(started).toBe(true);
    expect(out).toMatchObject({
      cause: 0,
      detectionUs: 1000,
      crashKexecUs: 1000,
      staleCpu: false,
      machineShutdownUs: 10_000,
      purgatoryUs: 300_000,
      beforeCaptureUs: 312_000,
      firmwarePostUs: 50_000_000,
      kernelBootUs: 40_000_000,
      firmwareReturnUs: FIRMWARE_US,
      common: -1,
    });
  });

  it('an undetected hang stops before crash_kexec: every strategy waits for the watchdog', () => {
    const { started, out } = follow(uniforms({ [CrashSlot.UndetectedHang]: 0.4 }));
    expect(started).toBe(false);
    expect(out.common).toBe(Reason.HangUndetected);
    expect(out.crashKexecUs).toBe(-1);
    for (let s = 0; s < m.strategies.length; s++) {
      expect(out.reasonOf(s)).toBe(Reason.HangUndetected);
      expect(out.backInServiceUs(s)).toBe(600_000_000 + FIRMWARE_US);
      expect(out.crashToDumpStartUs(s)).toBe(-1);
    }
  });

  it('no capture kernel loaded: crash_kexec returns, panic=N reboots through firmware', () => {
    const { started, out } = follow(uniforms({ [CrashSlot.CaptureKernelLoaded]: 0.6 }));
    expect(started).toBe(false);
    expect(out.common).toBe(Reason.CaptureKernelNotLoaded);
    expect(out.machineShutdownUs).toBe(-1);
    expect(out.purgatoryUs).toBe(-1);
    expect(out.backInServiceUs(1)).toBe(1000 + 1000 + 10_000_000 + FIRMWARE_US);
  });

  it('a stale CPU waits out the NMI shootdown, and breaks the capture below its odds', () => {
    const waits = follow(uniforms({ [CrashSlot.StaleCpu]: 0.4 }));
    expect(waits.started).toBe(true);
    expect(waits.out.staleCpu).toBe(true);
    expect(waits.out.machineShutdownUs).toBe(1_000_000);
    const breaks = follow(
      uniforms({ [CrashSlot.StaleCpu]: 0.4, [CrashSlot.StaleCpuBreaksCapture]: 0.4 }),
    );
    expect(breaks.started).toBe(false);
    expect(breaks.out.common).toBe(Reason.StaleCpu);
    expect(breaks.out.backInServiceUs(0)).toBe(
      1000 + 1000 + 1_000_000 + 300_000 + 600_000_000 + FIRMWARE_US,
    );
  });

  it('a purgatory digest mismatch loops until the watchdog', () => {
    const { started, out } = follow(uniforms({ [CrashSlot.PurgatoryMismatch]: 0.4 }));
    expect(started).toBe(false);
    expect(out.common).toBe(Reason.PurgatoryDigestMismatch);
    expect(out.purgatoryUs).toBe(300_000);
    expect(out.backInServiceUs(0)).toBe(312_000 + 600_000_000 + FIRMWARE_US);
  });
});

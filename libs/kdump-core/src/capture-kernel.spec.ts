import { describe, expect, it } from 'vitest';
import { CaptureKernel } from './capture-kernel';
import { CrashSlot, uniformsPerJob } from './crash-layout';
import { followCrashPath } from './crash-path';
import { DeviceBringUp, MAX_DEVICES } from './device-bring-up';
import { JobOutcome, ReturnToService } from './job-outcome';
import { Reason, State } from './outcome';
import { Sampler } from './sampler';
import { bus, cause, device, driver, lab, profile } from '../../../test/fixtures/core';

/*
 * The capture kernel alone, after a clean crash path (312 ms before it): base
 * boot 6000 ms, device init 100 ms, FLR 50 ms, probe timeout 1000 ms, dump 5 %
 * of 64 GiB at 100 ms/GiB = 320 ms, back through firmware in 50 + 40 s + the
 * devices' 200 ms. The dump target `w0` is always wedged by the crash; `q0` is quiet.
 */
const WEDGED = { inFlightDma: 0, pendingInterrupt: 0, staleRing: 0, wedged: 1 };
const l = lab(`
name: capture-kernel
seed: 5
fleet: [{profile: lab, count: 1}]
events: {crash: {perServer: 1, causes: {clean: 1}}}
strategies:
  - none
  - {name: flr-only, resets: [flr]}
  - {name: flr-again, resets: [flr]}
catalogue:
  crashCauses: {clean: ${cause()}}
  drivers: {calm: ${driver()}}
  devices:
    stuck: ${device({ postCrashState: WEDGED })}
    quiet: ${device()}
  profiles:
    lab: ${profile({ dumpTarget: 'w0', buses: [bus('port', { w0: 'stuck', q0: 'quiet' })] })}
`);
const m = l.model;
const p = m.profiles[0]!;
const [NONE, FLR, FLR_AGAIN] = [0, 1, 2];

function captureKernel(keepDevices = false): JobOutcome {
  const sampler = new Sampler();
  const bringUp = new DeviceBringUp(sampler);
  const room = new CaptureKernel(m, sampler, bringUp);
  const u = new Float64Array(uniformsPerJob(p.deviceCount, p.busCount)).fill(0.5);
  u[CrashSlot.UndetectedHang] = 0.9;
  const out = new JobOutcome(m.strategies.length, keepDevices);
  out.begin(0, 0, 'crash', 0);
  bringUp.beginJob(p, u);
  expect(followCrashPath(m, p, u, sampler, bringUp.cleanDevicesMicros(), out)).toBe(true);
  room.boot(0, p, u, out);
  return out;
}

describe('CaptureKernel', () => {
  const out = captureKernel();

  it('meets the devices as the crash left them', () => {
    expect(out.hasInitialStates).toBe(true);
    expect(Array.from(out.initialStates.slice(0, 2))).toEqual([State.Wedged, State.Quiescent]);
  });

  it('without a reset the wedged dump target times out: nowhere to write, back through firmware', () => {
    expect(out.reasonOf(NONE)).toBe(Reason.DumpTargetMissing);
    expect(out.culprit[NONE]).toBe(p.dumpTarget);
    expect(out.bootUs[NONE]).toBe(6_000_000 + 1_000_000 + 100_000);
    expect(out.kernelUp[NONE]).toBe(1);
    expect(out.dumpMicros(NONE)).toBe(-1);
    expect(out.dumpSizeMiB(NONE)).toBe(-1);
    expect(out.returnToService[NONE]).toBe(ReturnToService.Firmware);
    expect(out.backInServiceUs(NONE)).toBe(312_000 + 7_100_000 + 90_200_000);
  });

  it('an FLR revives it: the dump is written and the times add up', () => {
    // The strategy resets both devices: FLR 50 + init 100 each.
    const bootUs = 6_000_000 + 150_000 + 150_000;
    expect(out.reasonOf(FLR)).toBe(-1);
    expect(out.bootUs[FLR]).toBe(bootUs);
    expect(out.dumpMicros(FLR)).toBe(320_000);
    expect(out.dumpSizeMiB(FLR)).toBeCloseTo(64 * 1024 * 0.05, 6);
    expect(out.crashToDumpStartUs(FLR)).toBe(312_000 + bootUs);
    expect(out.backInServiceUs(FLR)).toBe(312_000 + bootUs + 320_000 + 90_200_000);
  });

  it('brings identical strategies up once and writes the outcome for each', () => {
    expect(out.reinitFrom[FLR_AGAIN]).toBe(out.reinitFrom[FLR]);
    expect(out.reinitAt[FLR_AGAIN]).toBe(out.reinitAt[FLR]);
    for (const field of [out.reason, out.bootUs, out.dumpUs, out.downtimeUs, out.probedUntil]) {
      expect(field[FLR_AGAIN]).toBe(field[FLR]);
    }
    // Device times of the class leader's bring-up: FLR 50 + init 100 on each; none's: the
    // probe timeout on w0, init on q0.
    expect(out.reinitMicros(FLR, 0)).toBe(150_000);
    expect(out.reinitMicros(FLR, 1)).toBe(150_000);
    expect(out.reinitMicros(FLR_AGAIN, 1)).toBe(150_000);
    expect(out.reinitMicros(NONE, 0)).toBe(1_000_000);
    expect(out.reinitMicros(NONE, 1)).toBe(100_000);
  });

  it('fills the per-device detail only when the outcome keeps it', () => {
    expect(out.deviceReinitUs.length).toBe(0);
    const detailed = captureKernel(true);
    const at = FLR_AGAIN * MAX_DEVICES;
    expect(detailed.deviceState[at]).toBe(State.Quiescent);
    expect(detailed.deviceProbed[at]).toBe(1);
    expect(detailed.devicePresent[at]).toBe(1);
    expect(detailed.deviceReinitUs[at]).toBe(150_000);
    expect(detailed.deviceState[NONE * MAX_DEVICES]).toBe(State.Wedged);
    expect(detailed.devicePresent[NONE * MAX_DEVICES]).toBe(0);
  });
});

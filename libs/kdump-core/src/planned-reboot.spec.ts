import { describe, expect, it } from 'vitest';
import { uniformsPerJob } from './crash-layout';
import { DeviceBringUp } from './device-bring-up';
import { JobOutcome, ReturnToService } from './job-outcome';
import { PlannedReboot } from './planned-reboot';
import { Reason, State } from './outcome';
import { Sampler } from './sampler';
import { bus, device, driver, lab, PANICS, profile } from '../../../test/fixtures/core';

/*
 * The planned reboot alone: POST 50 s, kernel boot 40 s, device init 100 ms,
 * FLR 50 ms, panic=10 s. `s0`'s driver never quiesces it on shutdown and panics
 * on the stale ring it leaves; `q0` shuts down clean.
 */
const STALE = { inFlightDma: 0, pendingInterrupt: 0, staleRing: 1, wedged: 0 };
const spec = (path: string) => `
name: planned-reboot
seed: 7
fleet: [{profile: lab, count: 1}]
events: {reboot: {perServer: 1, path: ${path}}}
strategies: [none, {name: flr, resets: [flr]}]
catalogue:
  drivers:
    calm: ${driver()}
    stubborn: ${driver({ shutdownFailsToQuiesce: 1, onUnexpectedState: PANICS })}
  devices:
    stubborn-dev: ${device({ driver: 'stubborn', postCrashState: STALE })}
    quiet: ${device()}
  profiles:
    lab: ${profile({ dumpTarget: 'q0', buses: [bus('port', { s0: 'stubborn-dev', q0: 'quiet' })] })}
`;
const [NONE, FLR] = [0, 1];

function reboot(path: 'firmware' | 'kexec'): JobOutcome {
  const m = lab(spec(path)).model;
  const p = m.profiles[0]!;
  const sampler = new Sampler();
  const bringUp = new DeviceBringUp(sampler);
  const u = new Float64Array(uniformsPerJob(p.deviceCount, p.busCount)).fill(0.5);
  const out = new JobOutcome(m.strategies.length);
  out.begin(0, 0, 'reboot', 0);
  bringUp.beginJob(p, u);
  new PlannedReboot(m, sampler, bringUp).reboot(0, p, u, path === 'kexec', out);
  return out;
}

describe('PlannedReboot', () => {
  it('through firmware: POST resets every device, every strategy is back in service alike', () => {
    const out = reboot('firmware');
    expect(out.bootPath).toBe('firmware');
    expect(out.firmwarePostUs).toBe(50_000_000);
    expect(Array.from(out.initialStates.slice(0, 2))).toEqual([State.Quiescent, State.Quiescent]);
    for (const s of [NONE, FLR]) {
      expect(out.reasonOf(s)).toBe(-1);
      expect(out.bootUs[s]).toBe(40_200_000);
      expect(out.backInServiceUs(s)).toBe(90_200_000);
      expect(out.dumpMicros(s)).toBe(-1);
      expect(out.returnToService[s]).toBe(ReturnToService.None);
      // One bring-up, shared.
      expect(out.reinitFrom[s]).toBe(out.reinitFrom[NONE]);
      expect(out.reinitAt[s]).toBe(out.reinitAt[NONE]);
      expect(out.reinitMicros(s, 0)).toBe(100_000);
    }
  });

  it('by kexec: no POST, and a device its shutdown method left dirty panics the next kernel', () => {
    const out = reboot('kexec');
    expect(out.bootPath).toBe('kexec');
    expect(out.firmwarePostUs).toBe(-1);
    expect(out.initialStates[0]).toBe(State.StaleRing);
    expect(out.reasonOf(NONE)).toBe(Reason.KexecBootPanic);
    expect(out.culprit[NONE]).toBe(0);
    expect(out.kernelUp[NONE]).toBe(0);
    // The kernel died probing s0 (100 ms), then panic=N and a firmware reboot.
    expect(out.backInServiceUs(NONE)).toBe(
      40_000_000 + 100_000 + 10_000_000 + 50_000_000 + 40_000_000 + 200_000,
    );
  });

  it('by kexec: an FLR before probe cleans the device up, the kernel comes up', () => {
    const out = reboot('kexec');
    expect(out.reasonOf(FLR)).toBe(-1);
    expect(out.kernelUp[FLR]).toBe(1);
    expect(out.bootUs[FLR]).toBe(40_000_000 + 2 * 150_000);
    expect(out.backInServiceUs(FLR)).toBe(out.bootUs[FLR]);
    expect(out.reinitMicros(FLR, 0)).toBe(150_000);
  });
});

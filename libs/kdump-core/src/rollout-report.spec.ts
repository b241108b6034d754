import { describe, expect, it } from 'vitest';
import { rolloutReport } from './rollout-report';
import { runExperiment } from './experiment';
import { emptyTally, rolloutPlan, strategySlot, WaveSlot, waveStride } from './rollout-waves';
import { bus, device, driver, lab, PANICS, profile, QUIESCENT } from '../../../test/fixtures/core';

/** A tally of one strategy: per wave [servers, firmware longest s, not back, longest s]. */
function tallyOf(rows: [number, number, number, number][]) {
  const t = emptyTally(rows.length, 1);
  rows.forEach(([servers, fwS, notBack, longestS], w) => {
    t.slots[w * waveStride(1) + WaveSlot.Servers] = servers;
    t.slots[w * waveStride(1) + WaveSlot.FirmwareLongestUs] = fwS * 1e6;
    t.slots[strategySlot(t, w, 0)] = notBack;
    t.slots[strategySlot(t, w, 0) + 1] = longestS * 1e6;
  });
  return t;
}

describe('the roll-out clock', () => {
  it('waves start at the cadence, or after the soak when that ends later', () => {
    // 10 servers: canary 1, then waves of 3; interval 2 min, soak 1 min, no halt.
    const plan = rolloutPlan({ waveSize: 3, canary: 1, intervalMinutes: 2, soakMinutes: 1 }, 10, 1);
    const t = tallyOf([
      [1, 90, 0, 40],
      [3, 90, 0, 70],
      [3, 90, 0, 40],
      [3, 90, 0, 40],
    ]);
    const r = rolloutReport(plan, t, ['kexec-it'], 'kexec');
    const s = r.strategies[0]!;
    // wave 0: 0 → back 40 → soaked 100; next max(0 + 120, 100) = 120
    // wave 1: 120 → back 190 → soaked 250; next max(240, 250) = 250
    // wave 2: 250 → back 290 → soaked 350; next max(370, 350) = 370
    // wave 3: 370 → back 410 → soaked 470: done at 470
    expect(s.waves.map((w) => [w.startSeconds, w.backSeconds, w.soakEndSeconds])).toEqual([
      [0, 40, 100],
      [120, 190, 250],
      [250, 290, 350],
      [370, 410, 470],
    ]);
    expect(s.wallClockSeconds).toBe(470);
    // firmware, 90 s a wave: soaked at 150 each time, later than the cadence: 4 × 150
    expect(r.firmwareWallClockSeconds).toBe(600);
    expect(s.firmwareWallClockSeconds).toBe(600);
    expect(s.timeSavedSeconds).toBe(130);
    expect(s).toMatchObject({
      halted: false,
      haltedAtWave: null,
      haltReason: null,
      wavesRun: 4,
      serversRebooted: 10,
      notBack: 0,
      serversNotRebooted: 0,
    });
    expect(r.waveServers).toEqual([1, 3, 3, 3]);
  });

  it('halts at the first wave above the limit, when that wave is back; later waves never start', () => {
    const plan = rolloutPlan(
      { waveSize: 4, intervalMinutes: 10, soakMinutes: 5, haltWhenNotBackShareAbove: 0.25 },
      12,
      1,
    );
    // wave 0: 1 of 4 not back (25 %, not above); wave 1: 2 of 4 (50 %): halt; wave 2 never runs.
    const t = tallyOf([
      [4, 100, 1, 200],
      [4, 100, 2, 300],
      [4, 100, 4, 999],
    ]);
    const s = rolloutReport(plan, t, ['x'], 'kexec').strategies[0]!;
    // wave 0: 0 → 200 → soaked 500; next max(600, 500) = 600; wave 1: 600 → back 900: halt
    expect(s).toMatchObject({
      halted: true,
      haltedAtWave: 1,
      haltedAtSeconds: 900,
      haltReason: 'wave 1: 2 of 4 servers not back in service (50%), above the limit of 25%',
      wavesRun: 2,
      serversRebooted: 8,
      notBack: 3,
      serversNotRebooted: 4,
      wallClockSeconds: 900,
    });
    expect(s.waves.map((w) => [w.wave, w.notBack, w.notBackShare, w.soakEndSeconds])).toEqual([
      [0, 1, 0.25, 500],
      [1, 2, 0.5, null],
    ]);
    // firmware over the same two waves: 0 → 100 → 400; next max(600, 400) = 600 → back 700
    expect(s.firmwareWallClockSeconds).toBe(700);
    expect(s.timeSavedSeconds).toBe(-200);
  });

  it('refuses a tally that misses servers of a wave', () => {
    const plan = rolloutPlan({ waveSize: 4 }, 8, 1);
    expect(() =>
      rolloutReport(
        plan,
        tallyOf([
          [4, 1, 0, 1],
          [3, 1, 0, 1],
        ]),
        ['x'],
        'kexec',
      ),
    ).toThrow(/wave 1 tallied 3 servers, it has 4/);
  });
});

describe('a roll-out simulated', () => {
  const catalogue = `
catalogue:
  drivers:
    calm: ${driver()}
    flaky: ${driver({ shutdownFailsToQuiesce: 0.3, onUnexpectedState: PANICS })}
  devices:
    calm-dev: ${device()}
    flaky-dev: ${device({ driver: 'flaky', postCrashState: { ...QUIESCENT, staleRing: 1 } })}
  profiles:
    calm: ${profile({ dumpTarget: 'd0', buses: [bus('port-1', { d0: 'calm-dev', d1: 'calm-dev', d2: 'calm-dev', d3: 'calm-dev' })] })}
    flaky: ${profile({ dumpTarget: 'd0', buses: [bus('port-1', { d0: 'calm-dev', d1: 'calm-dev', d2: 'calm-dev', f0: 'flaky-dev' })] })}
`;

  it('with no failures, takes its arithmetic duration', () => {
    const { report } = runExperiment(
      lab(`
name: calm-rollout
seed: 3
fleet: [{profile: calm, count: 10}]
events: {reboot: {perServer: 1, path: kexec}}
strategies: [none, {name: flr, resets: [flr]}]
rollout: {canary: 1, waveSize: 3, intervalMinutes: 2, soakMinutes: 1, haltWhenNotBackShareAbove: 0}
${catalogue}`).resolved,
      { shardSize: 4 },
    );
    const r = report.rollout!;
    // kexec: kernel boot 40 s + four device inits of 0.1 s = 40.4 s a server under none;
    // flr adds an FLR of 0.05 s before each init: 40.6 s.
    // Waves of 1, 3, 3, 3 servers start every 120 s (the 60 s soak ends sooner):
    // 3 × 120 + longest + 60 s.
    // Firmware: POST 50 s more (and no resets), 90.4 s; its soak ends after the cadence:
    // 4 × (90.4 + 60) = 601.6 s.
    expect(r.waveServers).toEqual([1, 3, 3, 3]);
    expect(r.firmwareLongestSeconds).toEqual([90.4, 90.4, 90.4, 90.4]);
    expect(r.firmwareWallClockSeconds).toBeCloseTo(601.6, 9);
    const longest = { none: 40.4, flr: 40.6 };
    for (const s of r.strategies) {
      const back = longest[s.strategy as keyof typeof longest];
      expect(s.halted).toBe(false);
      expect(s.notBack).toBe(0);
      expect(s.serversRebooted).toBe(10);
      expect(s.waves.map((w) => w.longestBackSeconds)).toEqual([back, back, back, back]);
      expect(s.waves.map((w) => w.startSeconds)).toEqual([0, 120, 240, 360]);
      expect(s.wallClockSeconds).toBeCloseTo(3 * 120 + back + 60, 9);
      expect(s.firmwareWallClockSeconds).toBeCloseTo(4 * (90.4 + 60), 9);
      expect(s.timeSavedSeconds).toBeCloseTo(4 * (90.4 + 60) - (3 * 120 + back + 60), 9);
    }
  });

  const halting = `
name: halting-rollout
seed: 5
fleet: [{profile: calm, count: 40}, {profile: flaky, count: 20}]
events: {reboot: {perServer: 1, path: kexec}}
strategies: [none, {name: flr, resets: [flr]}]
rollout: {canary: 5, waveSize: 10, intervalMinutes: 5, soakMinutes: 10, haltWhenNotBackShareAbove: 0.1}
${catalogue}`;

  it('a halted roll-out, wave by wave: which ran, servers not back, when and why it halted', () => {
    const l = lab(halting);
    const { report } = runExperiment(l.resolved, { shardSize: 7 });
    const r = report.rollout!;
    const [none, flr] = r.strategies;
    expect(r.waveServers).toEqual([5, 10, 10, 10, 10, 10, 5]);
    // none: the calm waves come back whole; wave 4 (servers 35-44, five of them flaky) halts it.
    expect(none!.waves.map((w) => [w.wave, w.servers, w.notBack])).toEqual(HALTED_WAVES);
    expect(none).toMatchObject(HALTED);
    // flr resets the device its driver left dirty: nothing fails, every wave runs.
    expect(flr!.halted).toBe(false);
    expect(flr!.waves.map((w) => w.notBack)).toEqual([0, 0, 0, 0, 0, 0, 0]);

    // Independently, from one trace per server: the not-back counts and the halting wave's time.
    const traces = Array.from({ length: 60 }, (_, s) => l.engine.traceJob(s, 'reboot', 0));
    const waveOfServer = (s: number) => (s < 5 ? 0 : 1 + Math.floor((s - 5) / 10));
    const notBack = new Array<number>(7).fill(0);
    const longest = new Array<number>(7).fill(0);
    traces.forEach((t, s) => {
      const st = t.strategies[0]!;
      notBack[waveOfServer(s)]! += st.outcome === 'in-service' ? 0 : 1;
      longest[waveOfServer(s)] = Math.max(longest[waveOfServer(s)]!, st.downtimeMs / 1000);
    });
    const halt = notBack.findIndex((n, w) => n / r.waveServers[w]! > 0.1);
    expect(halt).toBe(none!.haltedAtWave);
    expect(none!.waves.map((w) => w.notBack)).toEqual(notBack.slice(0, halt + 1));
    // Waves 0-3 are calm (40.4 s, soaked 600 s later than the 300 s cadence): each starts
    // 640.4 s after the previous; the halting wave is back after its longest reboot.
    expect(longest.slice(0, 4)).toEqual([40.4, 40.4, 40.4, 40.4]);
    expect(none!.haltedAtSeconds).toBeCloseTo(4 * 640.4 + longest[halt]!, 6);
  });
});

const HALTED_WAVES = [
  [0, 5, 0],
  [1, 10, 0],
  [2, 10, 0],
  [3, 10, 0],
  [4, 10, 2],
];
const HALTED = {
  halted: true,
  haltedAtWave: 4,
  wavesRun: 5,
  serversRebooted: 45,
  notBack: 2,
  serversNotRebooted: 15,
  haltReason: 'wave 4: 2 of 10 servers not back in service (20%), above the limit of 10%',
};

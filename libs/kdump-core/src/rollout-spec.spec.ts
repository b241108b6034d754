import { describe, expect, it } from 'vitest';
import { MAX_ROLLOUT_WAVES, rolloutWaveCount } from './rollout-spec';
import { parseSpecText } from './spec';

const spec = (events: string, rollout: string, count = 1000) => `
name: waves
seed: 1
fleet: [{profile: compute-2s, count: ${count}}]
events: ${events}
strategies: [none]
rollout: ${rollout}
`;
const KEXEC = '{reboot: {perServer: 1, path: kexec}}';

function errorsOf(text: string) {
  const r = parseSpecText(text);
  return r.ok ? [] : r.errors.map((e) => `${e.path} (line ${e.line}): ${e.message}`);
}

describe('the rollout block', () => {
  it('accepts a roll-out of one planned reboot per server', () => {
    expect(
      errorsOf(spec(KEXEC, '{waveSize: 100, canary: 10, haltWhenNotBackShareAbove: 0.02}')),
    ).toEqual([]);
  });

  it('needs planned reboots, exactly one per server', () => {
    expect(
      errorsOf(spec('{crash: {perServer: 1, causes: {panic: 1}}}', '{waveSize: 100}')),
    ).toEqual([
      'rollout (line 7): a roll-out reboots every server once: give events.reboot with perServer: 1 and its path (kexec or firmware)',
    ]);
    expect(errorsOf(spec('{reboot: {perServer: 2, path: kexec}}', '{waveSize: 100}'))).toEqual([
      'events.reboot (line 5): a roll-out reboots every server exactly once: events.reboot needs perServer: 1 (got perServer: 2)',
    ]);
    expect(
      errorsOf(
        spec('{reboot: {ratePerServerYear: 1, horizonDays: 365, path: kexec}}', '{waveSize: 100}'),
      ),
    ).toEqual([
      'events.reboot (line 5): a roll-out reboots every server exactly once: events.reboot needs perServer: 1 (got ratePerServerYear: 1)',
    ]);
  });

  it('names a canary as large as the fleet, and too many waves, with the fix', () => {
    expect(errorsOf(spec(KEXEC, '{waveSize: 10, canary: 1000}'))).toEqual([
      'rollout.canary (line 7): the canary wave (1000 servers) must be smaller than the fleet (1000 servers)',
    ]);
    expect(errorsOf(spec(KEXEC, '{waveSize: 10}', 20_000))).toEqual([
      `rollout.waveSize (line 7): waveSize 10 cuts the fleet of 20000 servers into 2000 waves; at most ${MAX_ROLLOUT_WAVES}: raise waveSize to at least 20`,
    ]);
    expect(errorsOf(spec(KEXEC, '{waveSize: 20}', 20_000))).toEqual([]);
  });

  it('refuses bad values and unknown fields by their path', () => {
    expect(
      errorsOf(
        spec(KEXEC, '{waveSize: 0, haltWhenNotBackShareAbove: 2, soakMinutes: -1, interval: 3}'),
      ),
    ).toEqual([
      'rollout.waveSize (line 7): Too small: expected number to be >=1',
      'rollout.soakMinutes (line 7): Too small: expected number to be >=0',
      'rollout.haltWhenNotBackShareAbove (line 7): Too big: expected number to be <=1',
      'rollout.interval (line 7): unknown field "interval"',
    ]);
    expect(errorsOf(spec(KEXEC, '{canary: 5}'))).toEqual([
      'rollout.waveSize (line 7): missing required field `waveSize` (number)',
    ]);
  });

  it('counts the canary as a wave of its own', () => {
    expect(rolloutWaveCount({ waveSize: 10, canary: 5 }, 100)).toBe(11);
    expect(rolloutWaveCount({ waveSize: 10 }, 100)).toBe(10);
    expect(rolloutWaveCount({ waveSize: 30 }, 100)).toBe(4);
  });
});

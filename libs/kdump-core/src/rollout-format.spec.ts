import { describe, expect, it } from 'vitest';
import {
  formatClock,
  rolloutIntro,
  rolloutStrategyTable,
  rolloutVerdict,
  rolloutWaveTable,
  ROLLOUT_WAVE_ROWS,
} from './rollout-format';
import { rolloutReport } from './rollout-report';
import { emptyTally, rolloutPlan, strategySlot, WaveSlot, waveStride } from './rollout-waves';

/** Two strategies over waves of [servers, firmware s, notBack a, longest a s, notBack b, longest b s]. */
function reportOf(rows: number[][], rollout: Parameters<typeof rolloutPlan>[0], servers: number) {
  const t = emptyTally(rows.length, 2);
  rows.forEach(([n, fw, a, la, b, lb], w) => {
    t.slots[w * waveStride(2) + WaveSlot.Servers] = n!;
    t.slots[w * waveStride(2) + WaveSlot.FirmwareLongestUs] = fw! * 1e6;
    t.slots[strategySlot(t, w, 0)] = a!;
    t.slots[strategySlot(t, w, 0) + 1] = la! * 1e6;
    t.slots[strategySlot(t, w, 1)] = b!;
    t.slots[strategySlot(t, w, 1) + 1] = lb! * 1e6;
  });
  return rolloutReport(rolloutPlan(rollout, servers, 2), t, ['none', 'flr'], 'kexec');
}

describe('the roll-out in words', () => {
  it('writes clock durations', () => {
    expect([0, 42.4, 65, 3599.6, 3600, 22071.3, -68].map(formatClock)).toEqual([
      '0s',
      '42s',
      '1m 05s',
      '1h 00m',
      '1h 00m',
      '6h 07m',
      '-1m 08s',
    ]);
  });

  const r = reportOf(
    [
      [2, 100, 0, 40, 0, 41],
      [4, 100, 3, 200, 0, 41],
      [4, 100, 0, 40, 0, 41],
    ],
    { canary: 2, waveSize: 4, intervalMinutes: 10, soakMinutes: 5, haltWhenNotBackShareAbove: 0.5 },
    10,
  );

  it('says the plan, who completes and who halted where', () => {
    expect(rolloutIntro(r)).toBe(
      'Roll-out: 10 servers by kexec in 3 waves (a canary wave of 2, waves of 4), waves starting at least 10m 00s apart, each soaking 5m 00s once back; halts after a wave with more than 50% of its servers not back in service.',
    );
    // none: wave 1 has 3 of 4 not back (75 %): halts when it is back, at 600 + 200 s.
    // flr: 0 → 600 → 1200, back 41 s later, soaked 300 s after: 1541 s; firmware (100 s a
    // wave) starts at the same times and ends at 1200 + 100 + 300 = 1600 s.
    expect(rolloutVerdict(r)).toBe(
      'Roll-out (kexec): flr completes; fastest flr in 25m 41s (59s sooner than firmware reboots); halted: none at wave 1 after 13m 20s.',
    );
  });

  it('tabulates each strategy, and each wave with a dash after a halt', () => {
    expect(rolloutStrategyTable(r).rows).toEqual([
      [
        'none',
        '2/3',
        '6/10',
        '3',
        'wave 1: 3 of 4 servers not back in service (75%), above the limit of 50%',
        '13m 20s',
        '11m 40s',
        '-1m 40s',
      ],
      ['flr', '3/3', '10/10', '0', 'no', '25m 41s', '26m 40s', '59s'],
    ]);
    const waves = rolloutWaveTable(r);
    expect(waves.header).toEqual([
      'wave',
      'servers',
      'firmware longest',
      'none: not back, start → back',
      'flr: not back, start → back',
    ]);
    expect(waves.rows).toEqual([
      ['0 (canary)', '2', '1m 40s', '0 (0%), 0s → 40s', '0 (0%), 0s → 41s'],
      ['1', '4', '1m 40s', '3 (75%), 10m 00s → 13m 20s, HALT', '0 (0%), 10m 00s → 10m 41s'],
      ['2', '4', '1m 40s', '-', '0 (0%), 20m 00s → 20m 41s'],
    ]);
    expect(waves.more).toBe(0);
  });

  it('shows the first waves of a long roll-out and counts the rest', () => {
    const rows = Array.from({ length: ROLLOUT_WAVE_ROWS + 5 }, () => [1, 1, 0, 1, 0, 1]);
    const long = reportOf(rows, { waveSize: 1 }, ROLLOUT_WAVE_ROWS + 5);
    const waves = rolloutWaveTable(long);
    expect(waves.rows).toHaveLength(ROLLOUT_WAVE_ROWS);
    expect(waves.more).toBe(5);
  });
});

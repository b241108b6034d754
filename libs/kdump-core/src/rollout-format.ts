/**
 * The roll-out's part of the human-readable report: its intro and verdict lines
 * and two tables (per strategy, and wave by wave), cells as text. Text, Markdown
 * and HTML renderings show them like every other section.
 */
import type { RolloutReport } from './rollout-report';

/** Waves shown in the wave-by-wave table; the JSON report has them all. */
export const ROLLOUT_WAVE_ROWS = 60;

/** Simulated seconds as a clock duration: `42s`, `12m 05s`, `6h 01m`. */
export function formatClock(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  const s = Math.round(Math.abs(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (h > 0) {
    return `${sign}${h}h ${two(m)}m`;
  }
  if (m > 0) {
    return `${sign}${m}m ${two(rest)}s`;
  }
  return `${sign}${rest}s`;
}

function share(v: number): string {
  return `${Number((v * 100).toFixed(2))}%`;
}

/** The plan in one line: waves, cadence, soak, halt condition. */
export function rolloutIntro(r: RolloutReport): string {
  const last = r.waveServers[r.waveServers.length - 1]!;
  const shape = [
    r.canary !== null ? `a canary wave of ${r.canary}` : null,
    `waves of ${r.waveSize.toLocaleString('en-US')}`,
    last !== r.waveSize && r.waves > 1 ? `the last of ${last.toLocaleString('en-US')}` : null,
  ].filter((x): x is string => x !== null);
  return `Roll-out: ${r.servers.toLocaleString('en-US')} servers by ${r.path} in ${r.waves} waves (${shape.join(', ')}), waves starting at least ${formatClock(r.intervalSeconds)} apart, each soaking ${formatClock(r.soakSeconds)} once back; ${
    r.haltWhenNotBackShareAbove === null
      ? 'never halts'
      : `halts after a wave with more than ${share(r.haltWhenNotBackShareAbove)} of its servers not back in service`
  }.`;
}

/** The roll-out's verdict: which strategies finish, how fast, and who halted where. */
export function rolloutVerdict(r: RolloutReport): string {
  const done = r.strategies.filter((s) => !s.halted);
  const halted = r.strategies.filter((s) => s.halted);
  const parts: string[] = [];
  if (done.length > 0) {
    const fastest = done.reduce((a, b) => (b.wallClockSeconds < a.wallClockSeconds ? b : a));
    parts.push(
      `${done.map((s) => s.strategy).join(', ')} ${done.length === 1 ? 'completes' : 'complete'}; fastest ${fastest.strategy} in ${formatClock(fastest.wallClockSeconds)} (${savedWords(fastest.timeSavedSeconds)} firmware reboots)`,
    );
  } else {
    parts.push('no strategy completes');
  }
  if (halted.length > 0) {
    parts.push(
      `halted: ${halted.map((s) => `${s.strategy} at wave ${s.haltedAtWave} after ${formatClock(s.haltedAtSeconds!)}`).join(', ')}`,
    );
  }
  return `Roll-out (${r.path}): ${parts.join('; ')}.`;
}

function savedWords(seconds: number): string {
  return seconds >= 0
    ? `${formatClock(seconds)} sooner than`
    : `${formatClock(-seconds)} later than`;
}

/** Header and rows of the per-strategy table. */
export function rolloutStrategyTable(r: RolloutReport): { header: string[]; rows: string[][] } {
  return {
    header: [
      'strategy',
      'waves run',
      'servers rebooted',
      'not back in service',
      'halted',
      'wall clock',
      'firmware, same waves',
      'time saved',
    ],
    rows: r.strategies.map((s) => [
      s.strategy,
      `${s.wavesRun}/${r.waves}`,
      `${s.serversRebooted}/${r.servers}`,
      String(s.notBack),
      s.halted ? s.haltReason! : 'no',
      formatClock(s.wallClockSeconds),
      formatClock(s.firmwareWallClockSeconds),
      formatClock(s.timeSavedSeconds),
    ]),
  };
}

/**
 * Header and rows of the wave-by-wave table: per wave its servers, the longest
 * firmware reboot, and per strategy `not back · start → back` (or `-` when the
 * roll-out halted before it).
 */
export function rolloutWaveTable(r: RolloutReport): {
  header: string[];
  rows: string[][];
  more: number;
} {
  const shown = Math.min(r.waves, ROLLOUT_WAVE_ROWS);
  const rows: string[][] = [];
  for (let w = 0; w < shown; w++) {
    rows.push([
      r.canary !== null && w === 0 ? '0 (canary)' : String(w),
      String(r.waveServers[w]),
      formatClock(r.firmwareLongestSeconds[w]!),
      ...r.strategies.map((s) => {
        const run = s.waves[w];
        if (!run) {
          return '-';
        }
        return `${run.notBack} (${share(run.notBackShare)}), ${formatClock(run.startSeconds)} → ${formatClock(run.backSeconds)}${s.haltedAtWave === w ? ', HALT' : ''}`;
      }),
    ]);
  }
  return {
    header: [
      'wave',
      'servers',
      'firmware longest',
      ...r.strategies.map((s) => `${s.strategy}: not back, start → back`),
    ],
    rows,
    more: r.waves - shown,
  };
}

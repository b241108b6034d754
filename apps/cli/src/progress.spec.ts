import { describe, expect, it, vi } from 'vitest';
import { formatDuration, ProgressBar, REDRAW_MS, renderProgressLine } from './progress';

describe('renderProgressLine', () => {
  it('shows the bar, shards done, servers per second and the ETA', () => {
    const line = renderProgressLine(
      {
        shardsDone: 5,
        shardsTotal: 10,
        serversDone: 50_000,
        serversTotal: 100_000,
        elapsedMs: 2000,
      },
      80,
    );
    expect(line).toContain('5/10 shards');
    expect(line).toContain('25,000 servers/s');
    expect(line).toContain('ETA 0:02');
    expect(line).toMatch(/^\[#+-+\]/);
    expect(line.length).toBeLessThan(80);
  });

  it('has no ETA before the first shard', () => {
    const line = renderProgressLine(
      { shardsDone: 0, shardsTotal: 3, serversDone: 0, serversTotal: 30, elapsedMs: 0 },
      80,
    );
    expect(line).toContain('ETA --:--');
    expect(line).toContain('0 servers/s');
  });

  it('shows an ETA given from outside, and a label', () => {
    const line = renderProgressLine(
      {
        shardsDone: 1,
        shardsTotal: 4,
        serversDone: 10,
        serversTotal: 40,
        elapsedMs: 1000,
        etaSeconds: 125,
        label: 'queued',
      },
      100,
    );
    expect(line).toContain('ETA 2:05');
    expect(line).toMatch(/\] queued 1\/4 shards/);
  });

  it('never grows past a narrow terminal', () => {
    const line = renderProgressLine(
      { shardsDone: 1, shardsTotal: 3, serversDone: 10, serversTotal: 30, elapsedMs: 10 },
      20,
    );
    expect(line.length).toBeLessThanOrEqual(19);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0:00'],
    [0.2, '0:01'],
    [59, '0:59'],
    [61, '1:01'],
    [3725, '1:02:05'],
  ])('%s s → %s', (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });
});

describe('ProgressBar', () => {
  it('redraws on a timer, at most every REDRAW_MS, and erases its line at the end', () => {
    vi.useFakeTimers();
    try {
      const writes: string[] = [];
      let now = 0;
      const bar = new ProgressBar({ write: (t) => writes.push(t), columns: 0 }, 2, 20, () => now);
      bar.start();
      expect(writes).toHaveLength(1);
      bar.shardDone(10);
      bar.shardDone(10);
      expect(writes).toHaveLength(1);
      now = REDRAW_MS;
      vi.advanceTimersByTime(REDRAW_MS);
      expect(writes).toHaveLength(2);
      expect(writes[1]).toContain('2/2 shards');
      bar.stop();
      expect(writes[2]).toBe('\r\x1b[2K');
      vi.advanceTimersByTime(10 * REDRAW_MS);
      expect(writes).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('ProgressBar.update', () => {
  it('sets the counts (and the total) as a coordinator reports them', () => {
    vi.useFakeTimers();
    try {
      const writes: string[] = [];
      let now = 0;
      const bar = new ProgressBar({ write: (t) => writes.push(t), columns: 120 }, 0, 40, () => now);
      bar.start();
      bar.update({ shardsDone: 3, shardsTotal: 8, serversDone: 15, etaSeconds: 9 });
      now = REDRAW_MS;
      vi.advanceTimersByTime(REDRAW_MS);
      expect(writes.at(-1)).toContain('3/8 shards');
      expect(writes.at(-1)).toContain('ETA 0:09');
      bar.update({ shardsDone: 3, serversDone: 15 });
      vi.advanceTimersByTime(REDRAW_MS);
      // Without an ETA from outside, the rate so far: 15 servers in 0.1 s, 25 left.
      expect(writes.at(-1)).toContain('3/8 shards');
      expect(writes.at(-1)).toContain('ETA 0:01');
      bar.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});

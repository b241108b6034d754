/**
 * examples/crash-storm.yaml against independent arithmetic: the crashes its
 * report counts are the servers' own background events (counted here with the
 * engine's event counts) plus about 30 % of the two eastern racks (binomial);
 * every crash is captured, lost to contention or failed in the capture kernel;
 * and no dump server moved more dumps than its sessions could in the time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compileExperiment,
  FleetEngine,
  parseSpecOrThrow,
  runExperiment,
} from '../libs/kdump-core/src/index';

const ROOT = join(__dirname, '..');

describe('examples/crash-storm.yaml', () => {
  const resolved = parseSpecOrThrow(readFileSync(join(ROOT, 'examples/crash-storm.yaml'), 'utf8'));
  const { report } = runExperiment(resolved);
  const c = report.coupling!;

  it('counts the background crashes of every server plus a binomial share of the storm racks', () => {
    const engine = new FleetEngine(compileExperiment(resolved));
    let background = 0;
    for (let server = 0; server < 20_000; server++) {
      background += engine.eventCount(server, 'crash');
    }
    const storm = c.storms[0]!.strategies[0]!.crashes;
    // 10,000 servers of east, each in the storm with probability 0.3: within 4 σ.
    expect(Math.abs(storm - 3000)).toBeLessThan(4 * Math.sqrt(10_000 * 0.3 * 0.7));
    for (const s of c.strategies) {
      expect(s.crashes).toBe(background + storm);
      expect(report.crash!.jobs).toBe(background);
    }
    expect(c.serversInDomains).toBe(20_000);
  });

  it('accounts for every crash, and no dump server outran its sessions', () => {
    for (const s of c.strategies) {
      expect(s.captured + s.lostToContention).toBeLessThanOrEqual(s.dumps);
      expect(s.dumps).toBeLessThanOrEqual(s.crashes);
      expect(s.waitSeconds.count).toBe(s.dumps - s.lostToContention);
      // No wait above the 1,800 s limit (the histogram's top bucket reaches 1.6 % above).
      expect(s.waitSeconds.p99Seconds!).toBeLessThanOrEqual(1800 * 1.016);
      const storm = c.storms[0]!.strategies.find((x) => x.strategy === s.strategy)!;
      // Two racks × 8 sessions × 148.75 MiB/s: in the time until the last storm dump was
      // captured, at most that many MiB moved; the captured dumps average far above 0.5 %
      // of 256 GiB (their dump percent is lognormal, median 3 %), so they need at least that.
      const bytesMiB = 2 * 8 * 148.75 * storm.lastCaptureSeconds!;
      expect(storm.captured * 1024 * (256 * 0.005)).toBeLessThan(bytesMiB * 1.001);
      // The series end at the storm's captures (and the odd background one in its 90 minutes).
      const last = storm.capturedSeries[storm.capturedSeries.length - 1]!;
      expect(last).toBeGreaterThanOrEqual(storm.captured);
      expect(last - storm.captured).toBeLessThan(10);
    }
  });
});

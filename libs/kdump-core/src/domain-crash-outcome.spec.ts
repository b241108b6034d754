import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileExperiment } from './compile';
import { CrashOutcomeSource, emptyCrashOutcomes, STORM_EVENT_BASE } from './domain-crash-outcome';
import { FleetEngine } from './engine';
import { FAILURE_REASONS } from './outcome';
import { parseSpecOrThrow } from './spec';

const quickstart = parseSpecOrThrow(
  readFileSync(join(__dirname, '../../../examples/quickstart.yaml'), 'utf8'),
);

describe('CrashOutcomeSource (the adapter over FleetEngine.simulateJob)', () => {
  const model = compileExperiment(quickstart);
  const plain = new FleetEngine(model);
  const source = new CrashOutcomeSource(model);
  const o = emptyCrashOutcomes(model.strategies.length);

  it('gives, for servers of every profile, what the plain engine traces: reason, times', () => {
    // Servers of compute-2s, storage-2s and gpu-node.
    for (const server of [0, 1, 7, 1499, 1500, 1777, 2499, 2500, 2999]) {
      const trace = plain.traceJob(server, 'crash', 0);
      source.outcome(server, 0, o);
      expect(o.cause).toBe(trace.cause);
      trace.strategies.forEach((s, i) => {
        expect(o.reason[i] < 0 ? 'captured' : FAILURE_REASONS[o.reason[i]!]).toBe(s.outcome);
        expect(o.downtimeUs[i]).toBe(Math.round(s.downtimeMs * 1000));
        if (o.dumps[i]) {
          expect(o.localDumpUs[i]).toBe(Math.round(s.dumpMs! * 1000));
          expect(o.preDumpUs[i]! + o.localDumpUs[i]! + o.afterDumpUs[i]!).toBe(o.downtimeUs[i]);
          expect(o.afterDumpUs[i]).toBeGreaterThanOrEqual(0);
        }
      });
      // Dump size: RAM × a lognormal percent of median 3 %: a few % of the profile's RAM.
      expect(o.dumpGiB).toBeGreaterThan(0);
      expect(o.dumpGiB).toBeLessThan(model.profiles[source.profileOf(server)]!.ramGiB);
    }
  });

  it('a storm source uses the storm cause mix and event indices past every background event', () => {
    const storm = new CrashOutcomeSource(model, { 'machine-check': 1 });
    for (const server of [3, 1600, 2700]) {
      storm.outcome(server, STORM_EVENT_BASE, o);
      expect(o.cause).toBe('machine-check');
    }
  });
});

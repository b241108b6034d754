/**
 * The report section of failure domains, crash storms and shared dump
 * targets, from the coupling aggregate: a pure function of spec and seed like
 * the rest of the report.
 */
import type { CompiledExperiment } from './compile';
import {
  CouplingCounter,
  CouplingHist,
  SERIES_BINS,
  StormCounter,
  type CouplingAggregate,
} from './coupling-aggregate';
import type { CouplingReport, TimeSummaryJson } from './report-schema';
import { wilson } from './statistics';

/**
 * Builds the section.
 * @param summary the report's time summary of the histogram at `base` (report.ts)
 */
export function buildCouplingReport(
  model: CompiledExperiment,
  agg: CouplingAggregate,
  summary: (slots: Float64Array, base: number) => TimeSummaryJson,
): CouplingReport {
  const spec = model.resolved.spec;
  const { layout, slots } = agg;
  const at = (slot: number) => slots[slot]!;
  return {
    serversInDomains: at(layout.serversSlot),
    domains: (spec.domains ?? []).map((d) => ({
      name: d.name,
      servers: d.servers,
      count: d.count ?? 1,
      dumpTarget: d.dumpTarget,
    })),
    dumpTargets: Object.entries(spec.dumpTargets ?? {}).map(([name, t]) => ({
      name,
      protocol: t.protocol,
      sessions: t.sessions,
      sessionMiBps: Math.min(t.sessionMiBps, (t.linkMiBps ?? Infinity) / t.sessions),
      waitLimitSeconds: t.waitLimitS ?? null,
      failureAction: t.failureAction ?? 'reboot',
      transfer: t.transferMs ? 'measured' : 'size',
    })),
    strategies: layout.strategies.map((strategy, s) => {
      const crashes = at(layout.counter(s, CouplingCounter.Crashes));
      const captured = at(layout.counter(s, CouplingCounter.Captured));
      return {
        strategy,
        crashes,
        dumps: at(layout.counter(s, CouplingCounter.Dumps)),
        captured,
        captureRate: wilson(captured, crashes),
        lostToContention: at(layout.counter(s, CouplingCounter.Lost)),
        waited: at(layout.counter(s, CouplingCounter.Waited)),
        waitSeconds: summary(slots, layout.histogram(s, CouplingHist.Wait)),
        downtimeSeconds: summary(slots, layout.histogram(s, CouplingHist.Downtime)),
        peakWaiting: at(layout.peakWaiting(s)),
      };
    }),
    storms: (spec.storms ?? []).map((storm, t) => {
      const binSeconds = ((storm.observeMinutes ?? 60) * 60) / SERIES_BINS;
      return {
        name: storm.name,
        // A storm at a rate: how often, and how many times it struck a domain.
        ...(storm.ratePerYear === undefined
          ? { atHours: storm.atHours! }
          : { ratePerYear: storm.ratePerYear, occurrences: at(layout.occurrences(t)) }),
        windowMinutes: storm.windowMinutes,
        share: storm.share,
        domains: storm.domains ?? (spec.domains ?? []).map((d) => d.name),
        binSeconds,
        strategies: layout.strategies.map((strategy, s) => {
          const last = at(layout.lastCapture(t, s));
          const waiting = layout.waitingSeries(t, s);
          const captured = layout.capturedSeries(t, s);
          let sum = 0;
          return {
            strategy,
            crashes: at(layout.stormCounter(t, s, StormCounter.Crashes)),
            dumps: at(layout.stormCounter(t, s, StormCounter.Dumps)),
            captured: at(layout.stormCounter(t, s, StormCounter.Captured)),
            lostToContention: at(layout.stormCounter(t, s, StormCounter.Lost)),
            lastCaptureSeconds: last === 0 ? null : Math.round(last - 1) / 1e6,
            waitingSeries: Array.from(slots.subarray(waiting, waiting + SERIES_BINS)),
            capturedSeries: Array.from(
              slots.subarray(captured, captured + SERIES_BINS),
              (v) => (sum += v),
            ),
          };
        }),
      };
    }),
  };
}

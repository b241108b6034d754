import { describe, expect, it } from 'vitest';
import { encodeSparse } from './aggregate';
import { compileExperiment } from './compile';
import { StormCounter } from './coupling-aggregate';
import { STORM_EVENT_BASE } from './domain-crash-outcome';
import { FleetEngine } from './engine';
import { runExperiment } from './experiment';
import {
  compileCoupling,
  DomainSimulator,
  stormStarts,
  type DomainDumpRecord,
} from './failure-domains';
import { formatReportTable } from './report-format';
import { KeyedStream, StreamPurpose } from './prng';
import { parseSpecOrThrow, parseSpecText, type ResolvedSpec } from './spec';

/** A spec written as an object, checked as the CLI would (JSON is YAML). */
function resolve(spec: unknown): ResolvedSpec {
  return parseSpecOrThrow(JSON.stringify(spec));
}

const US_PER_YEAR = 365 * 86_400e6;

/** 400 racks of 5 servers; a storm at 10 per domain-year over 73 days: 2 per rack on average. */
const RATE_STORM = {
  name: 'rate-storm',
  seed: 7,
  fleet: [{ profile: 'compute-2s', count: 2000 }],
  events: { crash: { ratePerServerYear: 0, horizonDays: 73, causes: { panic: 1 } } },
  strategies: ['rhel-default', 'none'],
  dumpTargets: {
    nfs: {
      protocol: 'nfs',
      sessions: 1,
      sessionMiBps: 100,
      networkWaitMs: { kind: 'constant', ms: 5000 },
    },
  },
  domains: [{ name: 'rack', servers: 5, count: 400, dumpTarget: 'nfs' }],
  storms: [
    {
      name: 'flaky-psu',
      ratePerYear: 10,
      windowMinutes: 10,
      share: 0.6,
      causes: { 'machine-check': 1 },
    },
  ],
};

/** The same Poisson process, drawn independently: exponential gaps by inversion. */
function independentStarts(seed: number, firstServer: number, rate: number, days: number) {
  const s = new KeyedStream().rekey(seed, firstServer, STORM_EVENT_BASE, StreamPurpose.StormTime);
  const horizon = Math.round(days * 86_400e6);
  const out: number[] = [];
  for (let at = -Math.log(1 - s.nextUniform()) * (US_PER_YEAR / rate); at < horizon;) {
    out.push(Math.floor(at));
    at += -Math.log(1 - s.nextUniform()) * (US_PER_YEAR / rate);
  }
  return out;
}

describe('crash storms at a rate', () => {
  const resolved = resolve(RATE_STORM);
  const model = compileExperiment(resolved);
  const coupling = compileCoupling(model)!;
  const rows: (DomainDumpRecord & { s: number })[] = [];
  const agg = new DomainSimulator(coupling).runShard(
    new FleetEngine(model),
    { index: 0, serverStart: 0, serverEnd: model.servers },
    undefined,
    (s, r) => rows.push({ s, ...r }),
  );
  const slots = agg.slots;
  const layout = agg.layout;

  it('strikes 400 domains about 400 × 10 × 73 / 365 = 800 times (Poisson, 4 σ), each domain as drawn independently', () => {
    const occurrences = slots[layout.occurrences(0)]!;
    expect(Math.abs(occurrences - 800)).toBeLessThan(4 * Math.sqrt(800));
    let independent = 0;
    let empty = 0;
    const starts: number[] = [];
    for (let d = 0; d < 400; d++) {
      const mine = independentStarts(7, d * 5, 10, 73);
      stormStarts(new KeyedStream(), 7, coupling, 0, d * 5, starts);
      expect(starts).toEqual(mine);
      independent += mine.length;
      empty += mine.length === 0 ? 1 : 0;
    }
    expect(occurrences).toBe(independent);
    // P(no storm in a domain) = e^-2: 54.1 of 400, binomial 4 σ.
    const p0 = Math.exp(-2);
    expect(Math.abs(empty - 400 * p0)).toBeLessThan(4 * Math.sqrt(400 * p0 * (1 - p0)));
  });

  it('each occurrence crashes about its share of the domain within its own window', () => {
    const rhel = rows.filter((r) => r.s === 0 && r.storm === 0);
    const occurrences = slots[layout.occurrences(0)]!;
    const mean = occurrences * 5 * 0.6;
    expect(Math.abs(rhel.length - mean)).toBeLessThan(4 * Math.sqrt(occurrences * 5 * 0.6 * 0.4));
    expect(slots[layout.stormCounter(0, 0, StormCounter.Crashes)]).toBe(rhel.length);
    const starts: number[] = [];
    let worst = 0;
    for (const r of rhel) {
      const d = Math.floor(r.server / 5);
      stormStarts(new KeyedStream(), 7, coupling, 0, d * 5, starts);
      const k = r.event - STORM_EVENT_BASE; // one storm: occurrence k is event BASE + k
      const t0 = starts[k]!;
      expect(r.crashUs).toBeGreaterThanOrEqual(t0);
      expect(r.crashUs).toBeLessThan(t0 + 10 * 60e6);
      if (r.outcome === 'captured') {
        worst = Math.max(worst, r.endUs - t0 + 1);
      }
    }
    // The last dump captured: the worst occurrence, each from its own start.
    expect(slots[layout.lastCapture(0, 0)]).toBe(worst);
    expect(worst).toBeGreaterThan(0);
  });

  it('gives the same bytes at shard sizes 1, 7, 33 and the default', () => {
    const encoded = [1, 7, 33, undefined].map((shardSize) =>
      JSON.stringify(encodeSparse(runExperiment(resolved, { shardSize }).aggregate)),
    );
    expect(new Set(encoded).size).toBe(1);
  });

  it('reports its rate and occurrences, the worst occurrence as the last dump', () => {
    const report = runExperiment(resolved).report;
    const storm = report.coupling!.storms[0]!;
    expect(storm.atHours).toBeUndefined();
    expect(storm.ratePerYear).toBe(10);
    expect(storm.occurrences).toBe(slots[layout.occurrences(0)]);
    expect(storm.strategies[0]!.lastCaptureSeconds).toBe(
      Math.round(slots[layout.lastCapture(0, 0)]! - 1) / 1e6,
    );
    expect(formatReportTable(report)).toContain(
      `flaky-psu (10/domain-year: ${storm.occurrences} occurrences, 60% of rack in 10 min; last dump: worst occurrence)`,
    );
  });
});

describe('spec checks of a storm at a rate', () => {
  const base = `name: storms
seed: 1
fleet:
  - { profile: compute-2s, count: 100 }
events:
  crash:
    ratePerServerYear: 1
    horizonDays: 30
    causes: { panic: 1 }
strategies: [rhel-default]
dumpTargets:
  nfs: { protocol: nfs, sessions: 4, sessionMiBps: 100 }
domains:
  - { name: rack, servers: 50, count: 2, dumpTarget: nfs }
storms:
`;
  function errors(text: string) {
    const r = parseSpecText(text);
    if (r.ok) {
      throw new Error('expected errors');
    }
    return r.errors.map((e) => `${e.path} (line ${e.line}): ${e.message}`);
  }

  it('accepts ratePerYear instead of atHours', () => {
    expect(
      parseSpecText(
        base +
          '  - { name: s, ratePerYear: 2, windowMinutes: 5, share: 0.5, causes: { panic: 1 } }\n',
      ).ok,
    ).toBe(true);
  });

  it('wants exactly one of atHours and ratePerYear, and a sane rate, naming path and line', () => {
    expect(
      errors(
        base +
          '  - { name: both, atHours: 1, ratePerYear: 2, windowMinutes: 5, share: 0.5, causes: { panic: 1 } }\n' +
          '  - { name: neither, windowMinutes: 5, share: 0.5, causes: { panic: 1 } }\n' +
          '  - { name: many, ratePerYear: 1e6, windowMinutes: 5, share: 0.5, causes: { panic: 1 } }\n',
      ),
    ).toEqual([
      'storms[0] (line 16): give the storm atHours or ratePerYear, not both',
      'storms[1] (line 17): give the storm atHours (when it starts) or ratePerYear (storms per domain-year)',
      'storms[2].ratePerYear (line 18): 1000000 storms per domain-year over 30 days is 82190 storms per domain on average; at most 1000',
    ]);
  });
});

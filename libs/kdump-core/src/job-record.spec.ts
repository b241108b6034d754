import { describe, expect, it } from 'vitest';
import {
  Counter,
  encodeSparse,
  Hist,
  Paired,
  pairedSums,
  PairedSlot,
  addPairedDifference,
  addPairedSums,
  AggregateLayout,
  emptyAggregate,
} from './aggregate';
import { JobRecord } from './job-record';
import { keyedStream } from './prng';
import { FleetEngine } from './engine';
import { runExperiment } from './experiment';
import { histogramCount } from './histogram';
import { JOB_KINDS } from './outcome';
import { parseSpecOrThrow } from './spec';

const SPEC = `
name: paired
seed: 7
fleet:
  - profile: compute-2s
    count: 60
  - profile: gpu-node
    count: 40
  - profile: compute-2s
    count: 20
events:
  crash:
    perServer: 2
    causes: { panic: 0.6, oops: 0.2, hard-lockup: 0.1, machine-check: 0.1 }
  reboot:
    perServer: 1
    path: kexec
strategies: [rhel-default, none, whitelist, bus-reset, fallback]
baseline: whitelist
`;

/** Outcomes whose (capture) kernel came up, so its boot time was recorded. */
const BOOTED = new Set([
  'captured',
  'in-service',
  'stale-kexec-parameters',
  'backup-region-lost',
  'dump-target-missing',
  'device-missing',
]);
const booted = (outcome: string) => BOOTED.has(outcome);

describe('per-profile blocks and paired sums', () => {
  const spec = parseSpecOrThrow(SPEC);
  const { model, aggregate, report } = runExperiment(spec, { shardSize: 13 });
  const layout = aggregate.layout;
  const engine = new FleetEngine(model);

  it('pairs every strategy with the baseline exactly as traces of every job say', () => {
    expect(layout.baseline).toBe(2);
    for (const [k, kind] of JOB_KINDS.entries()) {
      const S = model.strategies.length;
      const down = Array.from({ length: S }, () => ({ n: 0, sum: 0n, sq: 0n }));
      const boot = Array.from({ length: S }, () => ({ n: 0, sum: 0n, sq: 0n }));
      for (let server = 0; server < model.servers; server++) {
        for (let e = 0; e < engine.eventCount(server, kind); e++) {
          const t = engine.traceJob(server, kind, e);
          const us = (ms: number) => BigInt(Math.round(ms * 1000));
          const base = t.strategies.find((x) => x.strategy === 'whitelist')!;
          model.strategies.forEach((strategy, s) => {
            const x = t.strategies.find((y) => y.strategy === strategy.name)!;
            const d = us(x.downtimeMs) - us(base.downtimeMs);
            down[s]!.n++;
            down[s]!.sum += d;
            down[s]!.sq += d * d;
            if (booted(x.outcome) && booted(base.outcome)) {
              const b = us(x.kernelBootMs!) - us(base.kernelBootMs!);
              boot[s]!.n++;
              boot[s]!.sum += b;
              boot[s]!.sq += b * b;
            }
          });
        }
      }
      model.strategies.forEach((_, s) => {
        const got = pairedSums(aggregate.slots, layout.paired(k, s, Paired.Downtime));
        expect(got).toEqual({ count: down[s]!.n, sum: down[s]!.sum, sumSquares: down[s]!.sq });
        const gotBoot = pairedSums(aggregate.slots, layout.paired(k, s, Paired.KernelBoot));
        expect(gotBoot).toEqual({ count: boot[s]!.n, sum: boot[s]!.sum, sumSquares: boot[s]!.sq });
        expect(down[s]!.n).toBe(aggregate.slots[layout.counter(s, k, Counter.Jobs)]);
      });
      // The report's mean differences are these sums' means.
      const section = k === 0 ? report.crash! : report.reboot!;
      for (const entry of section.verdict.ranking) {
        const s = model.strategies.findIndex((x) => x.name === entry.strategy);
        const mean = Number(down[s]!.sum) / down[s]!.n / 1e6;
        expect(entry.vsBaseline.downtimeSeconds.meanSeconds).toBeCloseTo(mean, 6);
        expect(entry.vsBaseline.downtimeSeconds.pairs).toBe(down[s]!.n);
      }
    }
  });

  it('keeps per-profile counts and histograms that sum to the fleet-wide ones', () => {
    expect(layout.profiles).toEqual(['compute-2s', 'gpu-node']);
    for (let k = 0; k < JOB_KINDS.length; k++) {
      model.strategies.forEach((_, s) => {
        for (let c = 0; c < layout.counterCount; c++) {
          let total = 0;
          layout.profiles.forEach((_p, p) => {
            total += aggregate.slots[layout.profileCounter(p, s, k, c)]!;
          });
          expect(total).toBe(aggregate.slots[layout.counter(s, k, c)]);
        }
        for (let h = 0; h < Hist.DeviceReinit; h++) {
          let total = 0;
          layout.profiles.forEach((_p, p) => {
            total += histogramCount(aggregate.slots, layout.profileHistogram(p, s, k, h));
          });
          expect(total).toBe(histogramCount(aggregate.slots, layout.histogram(s, k, h)));
        }
      });
    }
    // 80 compute-2s servers with two crashes each, 40 gpu nodes.
    expect(report.crash!.byProfile.map((p) => [p.profile, p.jobs])).toEqual([
      ['compute-2s', 160],
      ['gpu-node', 80],
    ]);
    const fleet = report.crash!.strategies.map((x) => x.captured);
    const perProfile = report.crash!.strategies.map((_, s) =>
      report.crash!.byProfile.reduce((a, p) => a + p.strategies[s]!.successes, 0),
    );
    expect(perProfile).toEqual(fleet);
  });

  it('gives the same bytes whatever the shard size', () => {
    const other = runExperiment(spec, { shardSize: 120 });
    expect(encodeSparse(other.aggregate).join(',')).toBe(encodeSparse(aggregate).join(','));
  });
});

describe('addPairedDifference', () => {
  it('sums signed differences and squares exactly beyond 2^53', () => {
    const slots = new Float64Array(7);
    const ds = [2 ** 39 + 12345, -(2 ** 38) - 7, 1, 0, -1, 999_999_999_999];
    for (const d of ds) {
      addPairedDifference(slots, 0, d);
    }
    const want = ds.reduce((a, d) => a + BigInt(d) * BigInt(d), 0n);
    expect(pairedSums(slots, 0)).toEqual({
      count: ds.length,
      sum: ds.reduce((a, d) => a + BigInt(d), 0n),
      sumSquares: want,
    });
    expect(slots[PairedSlot.SquareLo]).toBeLessThan(2 ** 32);
  });
});

describe('addPairedSums', () => {
  it('leaves the slots exactly as adding each difference would', () => {
    const u = keyedStream(3, 0, 0, 2);
    const one = new Float64Array(7);
    const many = new Float64Array(7);
    let [count, plus, minus, hh, hl, ll] = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 8192; i++) {
      const r = u.nextUniform();
      // Zeros, small and large magnitudes (days), both signs; Σd² stays below 2^85,
      // where the high limb is still an exact integer.
      const a = r < 0.1 ? 0 : Math.floor(u.nextUniform() * (r < 0.5 ? 5e6 : 2 ** 36));
      const d = u.nextUniform() < 0.5 ? -a : a;
      addPairedDifference(one, 0, d);
      count++;
      if (d > 0) {
        plus += a;
      }
      if (d < 0) {
        minus += a;
      }
      const h = Math.floor(a / 2 ** 20);
      const l = a - h * 2 ** 20;
      hh += h * h;
      hl += h * l;
      ll += l * l;
      if (i % 1000 === 999) {
        addPairedSums(many, 0, count, plus, minus, hh, hl, ll);
        [count, plus, minus, hh, hl, ll] = [0, 0, 0, 0, 0, 0];
      }
    }
    addPairedSums(many, 0, count, plus, minus, hh, hl, ll);
    expect(Array.from(many)).toEqual(Array.from(one));
    expect(one[PairedSlot.SquareHi]).toBeGreaterThan(2 ** 32);
    expect(one[PairedSlot.SquareHi]).toBeLessThan(2 ** 53);
  });
});

describe('JobRecord', () => {
  it('adds paired differences across its flushes exactly, job by job', () => {
    const layout = new AggregateLayout(['a', 'b', 'c'], ['nic'], [], ['p0', 'p1'], 1);
    const record = new JobRecord(layout);
    const got = emptyAggregate(layout).slots;
    const want = emptyAggregate(layout).slots;
    const u = keyedStream(4, 0, 0, 2);
    const t = () => Math.floor(u.nextUniform() * 2 ** 33);
    // 20,000 jobs: past two flushes inside finish(), then the last one by hand.
    for (let job = 0; job < 20_000; job++) {
      const k = job % 3 === 0 ? 1 : 0;
      record.begin(job % 2);
      const times = [0, 1, 2].map(() => ({ up: u.nextUniform() < 0.8, boot: t(), down: t() }));
      times.forEach((x, s) => record.strategy(got, s, k, x.up, x.boot, -1, x.down, -1));
      record.finish(got, k);
      const base = times[1]!;
      times.forEach((x, s) => {
        addPairedDifference(want, layout.paired(k, s, Paired.Downtime), x.down - base.down);
        if (x.up && base.up) {
          addPairedDifference(want, layout.paired(k, s, Paired.KernelBoot), x.boot - base.boot);
        }
      });
    }
    record.flush(got);
    const paired = (slots: Float64Array) => Array.from(slots.subarray(layout.pairedBase));
    expect(paired(got)).toEqual(paired(want));
    expect(want[layout.paired(0, 0, Paired.Downtime) + PairedSlot.Count]).toBe(13_333);
  });
});

import { describe, expect, it } from 'vitest';
import {
  AggregateLayout,
  bucketOf,
  Counter,
  emptyAggregate,
  Hist,
  recordMicros,
  runExperiment,
  validateSpec,
  wilson,
} from '../../../../libs/kdump-core/src';
import { experimentSamples, foldHistogram, LE_BUCKETS } from './simulation-metrics';

describe('foldHistogram', () => {
  it('counts a fine bucket under le only when its upper edge fits', () => {
    const slots = new Float64Array(2000);
    // 10 ms exactly is the lower edge of its fine bucket, so it lands under 0.05, not 0.01.
    for (const us of [5_000, 9_000, 10_000, 700_000, 3_000_000, 1_000_000_000]) {
      recordMicros(slots, 0, us);
    }
    const folded = foldHistogram(slots, 0);
    const at = (le: string) => folded.cumulative[LE_BUCKETS.findIndex((b) => b.le === le)];
    expect(at('0.01')).toBe(2);
    expect(at('0.05')).toBe(3);
    expect(at('1')).toBe(4);
    expect(at('5')).toBe(5);
    expect(at('600')).toBe(5);
    expect(at('1200')).toBe(6);
    expect(at('3600')).toBe(6);
    expect(folded.count).toBe(6);
    expect(folded.sumSeconds).toBe(1003.724);
  });

  it('never counts more under le than the values at or below it', () => {
    const slots = new Float64Array(2000);
    const values = Array.from({ length: 500 }, (_, i) => Math.round(1.37 ** (i % 60)));
    values.forEach((v) => recordMicros(slots, 0, v));
    const folded = foldHistogram(slots, 0);
    LE_BUCKETS.forEach((b, j) => {
      const atOrBelow = values.filter((v) => v <= b.micros).length;
      expect(folded.cumulative[j]).toBeLessThanOrEqual(atOrBelow);
      // ...and misses at most the values of the fine bucket that straddles le.
      const straddling = values.filter(
        (v) => v <= b.micros && bucketOf(v) === bucketOf(b.micros),
      ).length;
      expect(folded.cumulative[j]).toBeGreaterThanOrEqual(atOrBelow - straddling);
    });
  });
});

describe('experimentSamples', () => {
  it('labels by experiment, strategy, kind, profile, outcome and device class only', () => {
    const layout = new AggregateLayout(['none', 'config-restore'], ['nic', 'nvme']);
    const agg = emptyAggregate(layout);
    agg.slots[layout.counter(1, 0, Counter.Jobs)] = 10;
    agg.slots[layout.counter(1, 0, Counter.Successes)] = 7;
    agg.slots[layout.counter(1, 0, Counter.Reasons + 6)] = 3; // capture-kernel-panic
    recordMicros(agg.slots, layout.histogram(1, 0, Hist.DeviceReinit + 1), 40_000);
    const samples = experimentSamples('exp_x', agg, ['crash']);
    expect(samples.fleetsim_recoveries_total).toContainEqual({
      metricName: 'fleetsim_recoveries_total',
      labels: {
        experiment: 'exp_x',
        strategy: 'config-restore',
        kind: 'crash',
        profile: '*',
        outcome: 'captured',
      },
      value: 7,
    });
    expect(samples.fleetsim_recoveries_total).toContainEqual({
      metricName: 'fleetsim_recoveries_total',
      labels: {
        experiment: 'exp_x',
        strategy: 'config-restore',
        kind: 'crash',
        profile: '*',
        outcome: 'capture-kernel-panic',
      },
      value: 3,
    });
    expect(samples.fleetsim_capture_success_ratio).toEqual([
      {
        metricName: 'fleetsim_capture_success_ratio',
        labels: { experiment: 'exp_x', strategy: 'config-restore', profile: '*' },
        value: 0.7,
      },
    ]);
    // The report's 95 % Wilson interval of 7 out of 10, as two gauges beside the ratio.
    const interval = wilson(7, 10);
    expect(samples.fleetsim_capture_success_ratio_lower).toEqual([
      {
        metricName: 'fleetsim_capture_success_ratio_lower',
        labels: { experiment: 'exp_x', strategy: 'config-restore', profile: '*' },
        value: interval.lower,
      },
    ]);
    expect(samples.fleetsim_capture_success_ratio_upper).toEqual([
      {
        metricName: 'fleetsim_capture_success_ratio_upper',
        labels: { experiment: 'exp_x', strategy: 'config-restore', profile: '*' },
        value: interval.upper,
      },
    ]);
    expect(interval.lower).toBeCloseTo(0.3968, 4);
    expect(interval.upper).toBeCloseTo(0.8922, 4);
    const nvme = samples.fleetsim_device_reinit_seconds.filter(
      (s) => s.labels.strategy === 'config-restore' && s.labels.device_class === 'nvme',
    );
    expect(nvme.find((s) => s.labels.le === '0.05')?.value).toBe(1);
    expect(nvme.find((s) => s.labels.le === '0.01')?.value).toBe(0);
    expect(nvme.find((s) => s.metricName.endsWith('_sum'))?.value).toBe(0.04);
    expect(samples.fleetsim_downtime_seconds.every((s) => s.labels.kind === 'crash')).toBe(true);
    const labelNames = new Set(
      Object.values(samples).flatMap((list) => list.flatMap((s) => Object.keys(s.labels))),
    );
    expect([...labelNames].sort()).toEqual([
      'device_class',
      'experiment',
      'kind',
      'le',
      'outcome',
      'profile',
      'strategy',
    ]);
  });

  it('adds a series per server profile, from the profile blocks, beside the fleet-wide `*`', () => {
    const layout = new AggregateLayout(['none', 'fallback'], ['nic'], [], ['compute', 'gpu']);
    const agg = emptyAggregate(layout);
    agg.slots[layout.counter(1, 0, Counter.Jobs)] = 10;
    agg.slots[layout.counter(1, 0, Counter.Successes)] = 7;
    agg.slots[layout.profileCounter(0, 1, 0, Counter.Jobs)] = 6;
    agg.slots[layout.profileCounter(0, 1, 0, Counter.Successes)] = 6;
    agg.slots[layout.profileCounter(1, 1, 0, Counter.Jobs)] = 4;
    agg.slots[layout.profileCounter(1, 1, 0, Counter.Successes)] = 1;
    recordMicros(agg.slots, layout.profileHistogram(1, 1, 0, Hist.Downtime), 2_000_000);
    const samples = experimentSamples('exp_y', agg, ['crash']);
    const ratio = (profile: string) =>
      samples.fleetsim_capture_success_ratio.find(
        (x) => x.labels.strategy === 'fallback' && x.labels.profile === profile,
      )?.value;
    expect([ratio('*'), ratio('compute'), ratio('gpu')]).toEqual([0.7, 1, 0.25]);
    const gpuDowntime = samples.fleetsim_downtime_seconds.find(
      (x) =>
        x.metricName === 'fleetsim_downtime_seconds_sum' &&
        x.labels.strategy === 'fallback' &&
        x.labels.profile === 'gpu',
    );
    expect(gpuDowntime?.value).toBe(2);
    // Device reinitialisation is kept fleet-wide only.
    expect(new Set(samples.fleetsim_device_reinit_seconds.map((x) => x.labels.profile))).toEqual(
      new Set(['*']),
    );
  });

  it('labels a batch point: experiment is the batch, point its index, values unchanged', () => {
    const layout = new AggregateLayout(['none'], ['nic'], [], ['compute']);
    const agg = emptyAggregate(layout);
    agg.slots[layout.counter(0, 0, Counter.Jobs)] = 4;
    agg.slots[layout.counter(0, 0, Counter.Successes)] = 3;
    const plain = experimentSamples('bat_1', agg, ['crash']);
    const pointed = experimentSamples('bat_1', agg, ['crash'], [], 7);
    for (const family of Object.keys(plain) as (keyof typeof plain)[]) {
      expect(pointed[family].map((x) => x.value)).toEqual(plain[family].map((x) => x.value));
      for (const x of pointed[family]) {
        expect(Object.keys(x.labels).slice(0, 2)).toEqual(['experiment', 'point']);
        expect(x.labels).toMatchObject({ experiment: 'bat_1', point: '7' });
      }
    }
  });
});

describe('experimentSamples of a spec with failure domains', () => {
  it('exports the failure-domain figures and storm series of the report', () => {
    const spec = validateSpec({
      name: 'storm-metrics',
      seed: 3,
      fleet: [{ profile: 'compute-2s', count: 400 }],
      events: { crash: { ratePerServerYear: 2, horizonDays: 30, causes: { panic: 1 } } },
      strategies: ['rhel-default', 'none'],
      dumpTargets: { nfs: { protocol: 'nfs', sessions: 2, sessionMiBps: 100, waitLimitS: 300 } },
      domains: [{ name: 'rack', servers: 200, count: 2, dumpTarget: 'nfs' }],
      storms: [
        {
          name: 'bad-kernel',
          atHours: 5,
          windowMinutes: 5,
          share: 0.3,
          causes: { panic: 1 },
          observeMinutes: 120,
        },
      ],
    });
    if (!spec.ok) {
      throw new Error(JSON.stringify(spec.errors));
    }
    const { aggregate, report } = runExperiment(spec.resolved);
    const samples = experimentSamples('e1', aggregate, ['crash'], [60]);
    const value = (name: keyof typeof samples, labels: Record<string, string>) =>
      samples[name]
        .filter((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v))
        .reduce((a, x) => a + x.value, 0);
    for (const s of report.coupling!.strategies) {
      const at = { strategy: s.strategy };
      expect(value('fleetsim_domain_crashes_total', at)).toBe(s.crashes);
      expect(value('fleetsim_domain_crashes_total', { ...at, outcome: 'captured' })).toBe(
        s.captured,
      );
      expect(value('fleetsim_domain_crashes_total', { ...at, outcome: 'lost-to-contention' })).toBe(
        s.lostToContention,
      );
      expect(
        samples.fleetsim_shared_dump_wait_seconds.find(
          (x) =>
            x.metricName === 'fleetsim_shared_dump_wait_seconds_count' &&
            x.labels.strategy === s.strategy,
        )!.value,
      ).toBe(s.waitSeconds.count);
      expect(value('fleetsim_shared_dump_peak_waiting', at)).toBe(s.peakWaiting);
      const storm = report.coupling!.storms[0]!.strategies.find((x) => x.strategy === s.strategy)!;
      const waiting = samples.fleetsim_storm_dumps_waiting.filter(
        (x) => x.labels.strategy === s.strategy,
      );
      expect(waiting.map((x) => x.value)).toEqual(storm.waitingSeries);
      expect(waiting.map((x) => x.labels.since_start_seconds).slice(0, 3)).toEqual([
        '0',
        '60',
        '120',
      ]);
      const captured = samples.fleetsim_storm_dumps_captured.filter(
        (x) => x.labels.strategy === s.strategy,
      );
      expect(captured.map((x) => x.value)).toEqual(storm.capturedSeries);
      expect(captured[0]!.labels.since_start_seconds).toBe('60');
    }
  });

  it('exports no failure-domain samples for a spec without domains', () => {
    const spec = validateSpec({
      name: 'plain',
      seed: 3,
      fleet: [{ profile: 'compute-2s', count: 20 }],
      events: { crash: { perServer: 1, causes: { panic: 1 } } },
      strategies: ['rhel-default'],
    });
    if (!spec.ok) {
      throw new Error(JSON.stringify(spec.errors));
    }
    const samples = experimentSamples('e2', runExperiment(spec.resolved).aggregate, ['crash']);
    expect(samples.fleetsim_domain_crashes_total).toEqual([]);
    expect(samples.fleetsim_storm_dumps_waiting).toEqual([]);
  });
});

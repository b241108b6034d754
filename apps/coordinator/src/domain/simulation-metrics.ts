/**
 * The Prometheus samples of one finished experiment, computed from its merged
 * aggregate. Pure: the same aggregate gives the same samples, so a restarted
 * coordinator exports the very same numbers and counters never double.
 *
 * Histograms: the aggregate's fine log-scale buckets (32 per octave) are folded
 * onto fixed `le` buckets; a fine bucket counts into `le` when its upper edge is
 * ≤ le, so a cumulative count never claims a value above its `le`. `_sum` is the
 * exact microsecond sum / 1e6.
 */
import {
  BUCKETS,
  bucketLowerMicros,
  Counter,
  CouplingCounter,
  CouplingHist,
  SERIES_BINS,
  FAILURE_REASONS,
  Hist,
  histogramCount,
  JOB_KINDS,
  sumMicros,
  wilson,
  type Aggregate,
  type CouplingAggregate,
  type JobKind,
} from '../../../../libs/kdump-core/src';

/** Fixed `le` buckets of the simulated-seconds histograms: label text and µs. */
export const LE_BUCKETS: readonly { le: string; micros: number }[] = [
  ['0.01', 10_000],
  ['0.05', 50_000],
  ['0.1', 100_000],
  ['0.25', 250_000],
  ['0.5', 500_000],
  ['1', 1_000_000],
  ['2.5', 2_500_000],
  ['5', 5_000_000],
  ['10', 10_000_000],
  ['30', 30_000_000],
  ['60', 60_000_000],
  ['120', 120_000_000],
  ['300', 300_000_000],
  ['600', 600_000_000],
  // Downtime: a crash that waits for the hardware watchdog, or a slow dump, exceeds 10 minutes.
  ['1200', 1_200_000_000],
  ['1800', 1_800_000_000],
  ['3600', 3_600_000_000],
].map(([le, micros]) => ({ le: le as string, micros: micros as number }));

/** For each fine bucket, the first `le` bucket its upper edge fits under (LE_BUCKETS.length: only +Inf). */
const FINE_TO_LE: Int32Array = (() => {
  const out = new Int32Array(BUCKETS);
  for (let i = 0; i < BUCKETS; i++) {
    const upper = i + 1 < BUCKETS ? bucketLowerMicros(i + 1) : Infinity;
    let j = 0;
    while (j < LE_BUCKETS.length && upper > LE_BUCKETS[j]!.micros) {
      j++;
    }
    out[i] = j;
  }
  return out;
})();

/** A histogram folded onto {@link LE_BUCKETS}: cumulative counts per `le`, then the total. */
export interface FoldedHistogram {
  /** Cumulative counts, one per LE_BUCKETS entry. */
  cumulative: number[];
  count: number;
  sumSeconds: number;
}

/** Folds the fine histogram at `base` of `slots`. */
export function foldHistogram(slots: Float64Array, base: number): FoldedHistogram {
  const perLe = new Array<number>(LE_BUCKETS.length + 1).fill(0);
  for (let i = 0; i < BUCKETS; i++) {
    const n = slots[base + i]!;
    if (n !== 0) {
      perLe[FINE_TO_LE[i]!]! += n;
    }
  }
  const cumulative: number[] = [];
  let acc = 0;
  for (let j = 0; j < LE_BUCKETS.length; j++) {
    acc += perLe[j]!;
    cumulative.push(acc);
  }
  return {
    cumulative,
    count: histogramCount(slots, base),
    sumSeconds: sumMicros(slots, base) / 1e6,
  };
}

/** One sample line: the full metric name (with `_bucket`/`_sum`/`_count`), labels, value. */
export interface Sample {
  metricName: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * The `profile` label of the whole fleet's series. Every simulated-result family
 * has a `profile` label: `*` for the whole fleet, or a server profile of the spec
 * (device reinitialisation: `*` only). Filter on it; summing over it counts twice.
 */
export const FLEET_PROFILE = '*';

/** Simulated-result metric families, by base name. */
export const SIMULATION_METRICS = {
  recoveries: 'fleetsim_recoveries_total',
  captureRatio: 'fleetsim_capture_success_ratio',
  captureRatioLower: 'fleetsim_capture_success_ratio_lower',
  captureRatioUpper: 'fleetsim_capture_success_ratio_upper',
  deviceReinit: 'fleetsim_device_reinit_seconds',
  captureKernelBoot: 'fleetsim_capture_kernel_boot_seconds',
  dump: 'fleetsim_dump_seconds',
  downtime: 'fleetsim_downtime_seconds',
  domainCrashes: 'fleetsim_domain_crashes_total',
  sharedDumpWait: 'fleetsim_shared_dump_wait_seconds',
  sharedDumpPeakWaiting: 'fleetsim_shared_dump_peak_waiting',
  stormDumpsWaiting: 'fleetsim_storm_dumps_waiting',
  stormDumpsCaptured: 'fleetsim_storm_dumps_captured',
} as const;

export type SimulationMetric = (typeof SIMULATION_METRICS)[keyof typeof SIMULATION_METRICS];

/** Samples of one experiment, grouped by metric family. */
export type ExperimentSamples = Record<SimulationMetric, Sample[]>;

function histogramSamples(
  out: Sample[],
  name: string,
  labels: Record<string, string>,
  folded: FoldedHistogram,
): void {
  LE_BUCKETS.forEach((b, j) => {
    out.push({
      metricName: `${name}_bucket`,
      labels: { ...labels, le: b.le },
      value: folded.cumulative[j]!,
    });
  });
  out.push({
    metricName: `${name}_bucket`,
    labels: { ...labels, le: '+Inf' },
    value: folded.count,
  });
  out.push({ metricName: `${name}_sum`, labels, value: folded.sumSeconds });
  out.push({ metricName: `${name}_count`, labels, value: folded.count });
}

/**
 * Every simulated-result sample of a finished experiment.
 * @param kinds the job kinds the spec has (crash, reboot)
 * @param stormBinSeconds per crash storm of the spec, the width of a point of its series
 * @param point the point's index when the experiment is a point of a batch
 *   (`experiment` is then the batch's id): a `point` label after `experiment`
 */
export function experimentSamples(
  experiment: string,
  aggregate: Aggregate,
  kinds: readonly JobKind[],
  stormBinSeconds: readonly number[] = [],
  point?: number,
): ExperimentSamples {
  const out = samplesOf(experiment, aggregate, kinds, stormBinSeconds);
  if (point === undefined) {
    return out;
  }
  for (const family of Object.values(out)) {
    for (const sample of family) {
      const { experiment: e, ...rest } = sample.labels;
      sample.labels = { experiment: e!, point: String(point), ...rest };
    }
  }
  return out;
}

function samplesOf(
  experiment: string,
  aggregate: Aggregate,
  kinds: readonly JobKind[],
  stormBinSeconds: readonly number[],
): ExperimentSamples {
  const { layout, slots } = aggregate;
  const out: ExperimentSamples = {
    fleetsim_recoveries_total: [],
    fleetsim_capture_success_ratio: [],
    fleetsim_capture_success_ratio_lower: [],
    fleetsim_capture_success_ratio_upper: [],
    fleetsim_device_reinit_seconds: [],
    fleetsim_capture_kernel_boot_seconds: [],
    fleetsim_dump_seconds: [],
    fleetsim_downtime_seconds: [],
    fleetsim_domain_crashes_total: [],
    fleetsim_shared_dump_wait_seconds: [],
    fleetsim_shared_dump_peak_waiting: [],
    fleetsim_storm_dumps_waiting: [],
    fleetsim_storm_dumps_captured: [],
  };
  if (aggregate.coupling) {
    couplingSamples(out, experiment, aggregate.coupling, stormBinSeconds);
  }
  // `*` is the whole fleet; then one series per server profile of the spec (not for
  // device reinitialisation, which is kept fleet-wide only).
  const views = [
    {
      profile: FLEET_PROFILE,
      counter: (s: number, k: number, c: number) => layout.counter(s, k, c),
      histogram: (s: number, k: number, h: number) => layout.histogram(s, k, h),
    },
    ...layout.profiles.map((profile, p) => ({
      profile,
      counter: (s: number, k: number, c: number) => layout.profileCounter(p, s, k, c),
      histogram: (s: number, k: number, h: number) => layout.profileHistogram(p, s, k, h),
    })),
  ];
  for (const view of views) {
    const profile = view.profile;
    layout.strategies.forEach((strategy, s) => {
      for (const kind of kinds) {
        const k = JOB_KINDS.indexOf(kind);
        const counter = (c: number) => slots[view.counter(s, k, c)]!;
        const labels = { experiment, strategy, kind, profile };
        out.fleetsim_recoveries_total.push({
          metricName: SIMULATION_METRICS.recoveries,
          labels: { ...labels, outcome: kind === 'crash' ? 'captured' : 'in-service' },
          value: counter(Counter.Successes),
        });
        FAILURE_REASONS.forEach((reason, r) => {
          const n = counter(Counter.Reasons + r);
          if (n > 0) {
            out.fleetsim_recoveries_total.push({
              metricName: SIMULATION_METRICS.recoveries,
              labels: { ...labels, outcome: reason },
              value: n,
            });
          }
        });
        const hist = (h: number) => foldHistogram(slots, view.histogram(s, k, h));
        histogramSamples(
          out.fleetsim_downtime_seconds,
          SIMULATION_METRICS.downtime,
          labels,
          hist(Hist.Downtime),
        );
        if (profile === FLEET_PROFILE) {
          layout.deviceClasses.forEach((deviceClass, c) => {
            histogramSamples(
              out.fleetsim_device_reinit_seconds,
              SIMULATION_METRICS.deviceReinit,
              { ...labels, device_class: deviceClass },
              hist(Hist.DeviceReinit + c),
            );
          });
        }
        if (kind === 'crash') {
          const jobs = counter(Counter.Jobs);
          if (jobs > 0) {
            // The report's own interval, so dashboards and report never disagree.
            const rate = wilson(counter(Counter.Successes), jobs);
            const ratio = { experiment, strategy, profile };
            out.fleetsim_capture_success_ratio.push({
              metricName: SIMULATION_METRICS.captureRatio,
              labels: ratio,
              value: rate.value!,
            });
            out.fleetsim_capture_success_ratio_lower.push({
              metricName: SIMULATION_METRICS.captureRatioLower,
              labels: ratio,
              value: rate.lower!,
            });
            out.fleetsim_capture_success_ratio_upper.push({
              metricName: SIMULATION_METRICS.captureRatioUpper,
              labels: ratio,
              value: rate.upper!,
            });
          }
          histogramSamples(
            out.fleetsim_capture_kernel_boot_seconds,
            SIMULATION_METRICS.captureKernelBoot,
            { experiment, strategy, profile },
            hist(Hist.KernelBoot),
          );
          histogramSamples(
            out.fleetsim_dump_seconds,
            SIMULATION_METRICS.dump,
            { experiment, strategy, profile },
            hist(Hist.Dump),
          );
        }
      }
    });
  }
  return out;
}

/**
 * Failure domains and shared dump targets (a spec with domains): crashes in
 * domains by outcome, the wait for a session, the peak queue, and each storm's
 * course over simulated time as one gauge per point, labelled by the seconds
 * since the storm started (bounded: SERIES_BINS points per storm and strategy).
 */
function couplingSamples(
  out: ExperimentSamples,
  experiment: string,
  coupling: CouplingAggregate,
  stormBinSeconds: readonly number[],
): void {
  const { layout, slots } = coupling;
  layout.strategies.forEach((strategy, s) => {
    const labels = { experiment, strategy };
    const crashes = slots[layout.counter(s, CouplingCounter.Crashes)]!;
    const captured = slots[layout.counter(s, CouplingCounter.Captured)]!;
    const lost = slots[layout.counter(s, CouplingCounter.Lost)]!;
    for (const [outcome, value] of [
      ['captured', captured],
      ['lost-to-contention', lost],
      ['not-captured', crashes - captured - lost],
    ] as const) {
      out.fleetsim_domain_crashes_total.push({
        metricName: SIMULATION_METRICS.domainCrashes,
        labels: { ...labels, outcome },
        value,
      });
    }
    histogramSamples(
      out.fleetsim_shared_dump_wait_seconds,
      SIMULATION_METRICS.sharedDumpWait,
      labels,
      foldHistogram(slots, layout.histogram(s, CouplingHist.Wait)),
    );
    out.fleetsim_shared_dump_peak_waiting.push({
      metricName: SIMULATION_METRICS.sharedDumpPeakWaiting,
      labels,
      value: slots[layout.peakWaiting(s)]!,
    });
    layout.storms.forEach((storm, t) => {
      const bin = stormBinSeconds[t] ?? 0;
      const waiting = layout.waitingSeries(t, s);
      const capturedSeries = layout.capturedSeries(t, s);
      let sum = 0;
      for (let k = 0; k < SERIES_BINS; k++) {
        sum += slots[capturedSeries + k]!;
        out.fleetsim_storm_dumps_waiting.push({
          metricName: SIMULATION_METRICS.stormDumpsWaiting,
          labels: { ...labels, storm, since_start_seconds: String(k * bin) },
          value: slots[waiting + k]!,
        });
        out.fleetsim_storm_dumps_captured.push({
          metricName: SIMULATION_METRICS.stormDumpsCaptured,
          labels: { ...labels, storm, since_start_seconds: String((k + 1) * bin) },
          value: sum,
        });
      }
    });
  });
}

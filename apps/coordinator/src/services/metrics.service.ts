import { Inject, Injectable } from '@nestjs/common';
import { registerQueueDepthGauge } from '../../../../libs/fleet-platform/src/metrics';
import { SERIES_BINS, type JobKind } from '../../../../libs/kdump-core/src';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config/coordinator.config';
import type { ExperimentRecord } from '../domain/experiment';
import { EXPERIMENT_STATES, isActive } from '../../../../libs/fleet-contract/src/http-contract';
import { withRedisTimeout } from '../domain/redis-unavailable';
import {
  experimentSamples,
  SIMULATION_METRICS,
  type ExperimentSamples,
  type SimulationMetric,
} from '../domain/simulation-metrics';
import {
  ROLLOUT_HELP,
  ROLLOUT_METRICS,
  rolloutSamples,
  type RolloutSamples,
} from '../domain/rollout-metrics';
import { METRIC_POINTS } from '../../../../libs/fleet-contract/src/http-contract';
import { BatchRepository } from '../repositories/batch.repository';
import { ExperimentRepository } from '../repositories/experiment.repository';
import { MetricsRepository, type MetricSample } from '../repositories/metrics.repository';
import { QueueRepository } from '../repositories/queue.repository';
import { ExperimentModels } from './experiment-models.service';

/** What one scrape reads from Redis. */
interface Snapshot {
  states: Record<string, number>;
  /** Labels of the points of the batches whose results are published. */
  points: { batch: string; point: number; label: string }[];
  /** The most recent experiments (any state) with their progress, 0..1. */
  recent: { rec: ExperimentRecord; progress: number }[];
  /** Samples of the most recent done experiments. */
  samples: AllSamples[];
}

/** An experiment's simulated-result samples and its roll-out's (empty without one). */
type AllSamples = ExperimentSamples & RolloutSamples;

const EMPTY: Snapshot = { states: {}, points: [], recent: [], samples: [] };

const HELP: Record<SimulationMetric, string> = {
  fleetsim_recoveries_total:
    'Simulated crash and reboot jobs of finished experiments by outcome: captured / in-service, or the failure reason.',
  fleetsim_capture_success_ratio:
    'Share of simulated crashes whose dump was captured, per strategy, in finished experiments.',
  fleetsim_capture_success_ratio_lower:
    'Lower bound of the 95% Wilson score interval of fleetsim_capture_success_ratio (as in the report).',
  fleetsim_capture_success_ratio_upper:
    'Upper bound of the 95% Wilson score interval of fleetsim_capture_success_ratio (as in the report).',
  fleetsim_device_reinit_seconds:
    'Simulated device reinitialisation (resets plus probe) by device class, in finished experiments.',
  fleetsim_capture_kernel_boot_seconds:
    'Simulated capture kernel boot incl. resets and device initialisation, in finished experiments.',
  fleetsim_dump_seconds: 'Simulated dump filtering and writing, in finished experiments.',
  fleetsim_downtime_seconds:
    'Simulated downtime from the fault (or planned reboot) until back in service, in finished experiments.',
  fleetsim_domain_crashes_total:
    'Simulated crashes in failure domains by outcome with the shared dump targets: captured, lost-to-contention, not-captured.',
  fleetsim_shared_dump_wait_seconds:
    'Simulated wait of a dump for a session at its shared dump target (dumps that got one).',
  fleetsim_shared_dump_peak_waiting:
    'Most dumps waiting at one shared dump target at once in a finished experiment.',
  fleetsim_storm_dumps_waiting:
    "Dumps waiting for a session at a crash storm's dump servers, by seconds since the storm started (simulated time).",
  fleetsim_storm_dumps_captured:
    'Dumps captured since a crash storm started, by seconds since it started (simulated time).',
};

const TYPES: Record<SimulationMetric, 'counter' | 'gauge' | 'histogram'> = {
  fleetsim_recoveries_total: 'counter',
  fleetsim_capture_success_ratio: 'gauge',
  fleetsim_capture_success_ratio_lower: 'gauge',
  fleetsim_capture_success_ratio_upper: 'gauge',
  fleetsim_device_reinit_seconds: 'histogram',
  fleetsim_capture_kernel_boot_seconds: 'histogram',
  fleetsim_dump_seconds: 'histogram',
  fleetsim_downtime_seconds: 'histogram',
  fleetsim_domain_crashes_total: 'counter',
  fleetsim_shared_dump_wait_seconds: 'histogram',
  fleetsim_shared_dump_peak_waiting: 'gauge',
  fleetsim_storm_dumps_waiting: 'gauge',
  fleetsim_storm_dumps_captured: 'gauge',
};

/**
 * The coordinator's `/metrics`: simulated results of finished experiments
 * (computed at scrape time from the merged aggregates kept in Redis, cached in
 * memory, so they survive a restart and counters never double), experiment
 * progress and states, queue depth, and the process's default metrics.
 */
@Injectable()
export class MetricsService {
  private readonly samples = new Map<string, AllSamples>();
  private pending: { at: number; snapshot: Promise<Snapshot> } | undefined;

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly metrics: MetricsRepository,
    private readonly experiments: ExperimentRepository,
    private readonly queues: QueueRepository,
    private readonly models: ExperimentModels,
    private readonly batches: BatchRepository,
  ) {
    for (const name of Object.values(SIMULATION_METRICS)) {
      this.metrics.registerScraped({
        name,
        help: HELP[name],
        type: TYPES[name],
        collect: async () => (await this.snapshot()).samples.flatMap((s) => s[name]),
      });
    }
    for (const name of Object.values(ROLLOUT_METRICS)) {
      this.metrics.registerScraped({
        name,
        help: ROLLOUT_HELP[name],
        type: 'gauge',
        collect: async () => (await this.snapshot()).samples.flatMap((s) => s[name]),
      });
    }
    this.metrics.registerScraped({
      name: 'fleetsim_experiment_progress_ratio',
      help: 'Shards done over shards planned, for the most recent experiments.',
      type: 'gauge',
      collect: async () =>
        (await this.snapshot()).recent.map(({ rec, progress }) => ({
          labels: { experiment: rec.id },
          value: progress,
        })),
    });
    this.metrics.registerScraped({
      name: 'fleetsim_experiment_info',
      help: 'Name and state of the most recent experiments (always 1); a point of a batch also has its batch and point.',
      type: 'gauge',
      collect: async () =>
        (await this.snapshot()).recent.map(({ rec }) => ({
          labels: {
            experiment: rec.id,
            name: rec.name,
            state: rec.state,
            ...(rec.batch ? { batch: rec.batch, point: String(rec.point ?? 0) } : {}),
          },
          value: 1,
        })),
    });
    this.metrics.registerScraped({
      name: 'fleetsim_batch_point_info',
      help: `Label of each published point of a batch (sweep, sensitivity, crashkernel step; always 1). The simulated-result families carry experiment=<batch> and point=<index> for them; points 0..${METRIC_POINTS - 1} of a batch are published.`,
      type: 'gauge',
      collect: async () =>
        (await this.snapshot()).points.map((p) => ({
          labels: { experiment: p.batch, point: String(p.point), label: p.label },
          value: 1,
        })),
    });
    this.metrics.registerScraped({
      name: 'fleetsim_experiments',
      help: 'Experiments kept in Redis by state.',
      type: 'gauge',
      collect: async () => {
        const { states } = await this.snapshot();
        return Object.keys(states).length === 0
          ? []
          : EXPERIMENT_STATES.map((state): MetricSample => ({
              labels: { state },
              value: states[state] ?? 0,
            }));
      },
    });
    registerQueueDepthGauge(this.metrics.registry, [
      this.queues.shards,
      this.queues.traces,
      this.queues.experiments,
    ]);
  }

  /** The Prometheus text. */
  render(): Promise<string> {
    return this.metrics.metrics();
  }

  get contentType(): string {
    return this.metrics.contentType;
  }

  /** One read of Redis shared by every family of a scrape; empty when Redis does not answer. */
  private snapshot(): Promise<Snapshot> {
    const now = Date.now();
    if (!this.pending || now - this.pending.at > 1000) {
      this.pending = {
        at: now,
        snapshot: withRedisTimeout(this.load(), 2000, 'metrics').catch(() => EMPTY),
      };
    }
    return this.pending.snapshot;
  }

  private async load(): Promise<Snapshot> {
    const n = this.config.metricsExperiments;
    const [states, window] = await Promise.all([
      this.experiments.countByState(),
      this.experiments.list(0, n * 5 + METRIC_POINTS),
    ]);
    const recent = await Promise.all(
      window.slice(0, n).map(async (rec) => ({ rec, progress: await this.progressOf(rec) })),
    );
    // The done experiments of the n most recent units: a batch (its points
    // 0..METRIC_POINTS-1) counts as one, like an experiment.
    const units = new Set<string>();
    const done = window.filter((rec) => {
      if (rec.state !== 'done' || (rec.batch && (rec.point ?? 0) >= METRIC_POINTS)) {
        return false;
      }
      const unit = rec.batch ?? rec.id;
      if (!units.has(unit)) {
        if (units.size >= n) {
          return false;
        }
        units.add(unit);
      }
      return true;
    });
    const batchIds = [...new Set(done.flatMap((rec) => (rec.batch ? [rec.batch] : [])))];
    const batches = await Promise.all(batchIds.map((id) => this.batches.get(id)));
    const points = batches.flatMap((b) =>
      b
        ? b.labels.slice(0, METRIC_POINTS).map((label, point) => ({ batch: b.id, point, label }))
        : [],
    );
    const samples = (await Promise.all(done.map((rec) => this.samplesOf(rec)))).filter(
      (s): s is AllSamples => s !== null,
    );
    // Forget the samples of experiments that left the window.
    const keep = new Set(done.map((r) => r.id));
    for (const id of this.samples.keys()) {
      if (!keep.has(id)) {
        this.samples.delete(id);
      }
    }
    return { states, points, recent, samples };
  }

  private async progressOf(rec: ExperimentRecord): Promise<number> {
    if (rec.state === 'done') {
      return 1;
    }
    const done = isActive(rec.state)
      ? (await this.queues.progress(rec.id)).shardsDone
      : (rec.shardsDone ?? 0);
    return rec.shardsTotal > 0 ? Math.min(1, done / rec.shardsTotal) : 0;
  }

  private async samplesOf(rec: ExperimentRecord): Promise<AllSamples | null> {
    const hit = this.samples.get(rec.id);
    if (hit) {
      return hit;
    }
    const aggregate = await this.models.aggregateOf(
      rec,
      () => this.experiments.getAggregate(rec.id),
      () => this.experiments.getRollout(rec.id),
    );
    if (!aggregate) {
      return null;
    }
    const { model } = this.models.modelOf(rec);
    const kinds: JobKind[] = [];
    if (model.crashes) {
      kinds.push('crash');
    }
    if (model.reboots) {
      kinds.push('reboot');
    }
    const storms = (model.resolved.spec.storms ?? []).map(
      (t) => ((t.observeMinutes ?? 60) * 60) / SERIES_BINS,
    );
    const samples = {
      ...(rec.batch
        ? experimentSamples(rec.batch, aggregate, kinds, storms, rec.point ?? 0)
        : experimentSamples(rec.id, aggregate, kinds, storms)),
      ...rolloutSamples(rec.id, model, aggregate),
    };
    this.samples.set(rec.id, samples);
    return samples;
  }
}

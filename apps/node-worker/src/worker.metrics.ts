import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { collectProcessMetrics } from '../../../libs/fleet-platform/src/default-metrics';
import { registerQueueDepthGauge } from '../../../libs/fleet-platform/src/metrics';
import { SHARD_QUEUE_STREAMS } from '../../../libs/fleet-platform/src/shard-queue';
import { SHARD_QUEUE } from '../../../libs/kdump-core/src';
import { RedisErrorLog } from '../../../libs/fleet-platform/src/redis-error-log';
import { WORKER_CONFIG, type WorkerConfig } from './worker.config';

/** Why a job attempt failed: a deterministic bad payload, or anything else (retried). */
export type FailureReason = 'invalid' | 'error';

/** Wall seconds of one shard: tens of ms by design, up to minutes for huge shards. */
const SHARD_SECONDS_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
];

/**
 * The worker's Prometheus metrics, in a registry of its own (never prom-client's
 * global one). Labels are bounded: no experiment, server or job id.
 */
@Injectable()
export class WorkerMetrics implements OnApplicationShutdown {
  readonly registry = new Registry();

  private readonly shardsProcessed = new Counter({
    name: 'fleetsim_worker_shards_processed_total',
    help: 'Shard jobs this worker completed.',
    registers: [this.registry],
  });
  private readonly evaluations = new Counter({
    name: 'fleetsim_worker_evaluations_total',
    help: 'Job x strategy evaluations this worker simulated in completed shards.',
    registers: [this.registry],
  });
  private readonly serversSimulated = new Counter({
    name: 'fleetsim_worker_servers_simulated_total',
    help: 'Servers this worker simulated in completed shards.',
    registers: [this.registry],
  });
  private readonly tracesProcessed = new Counter({
    name: 'fleetsim_worker_traces_processed_total',
    help: 'Trace jobs (one crash or reboot of one server) this worker completed.',
    registers: [this.registry],
  });
  private readonly shardDuration = new Histogram({
    name: 'fleetsim_worker_shard_duration_seconds',
    help: 'Wall-clock seconds from picking a shard job up to its completion.',
    buckets: SHARD_SECONDS_BUCKETS,
    registers: [this.registry],
  });
  private readonly failures = new Counter<'reason'>({
    name: 'fleetsim_worker_job_failures_total',
    help: 'Failed job attempts: reason="invalid" is a bad payload (never retried), reason="error" anything else (retried while attempts remain).',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  private readonly concurrency = new Gauge({
    name: 'fleetsim_worker_concurrency',
    help: 'Jobs this worker runs at once at most (WORKER_CONCURRENCY), one worker thread each.',
    registers: [this.registry],
  });
  private readonly activeJobs = new Gauge({
    name: 'fleetsim_worker_active_jobs',
    help: 'Shard jobs this worker is running now; over fleetsim_worker_concurrency, its utilisation.',
    registers: [this.registry],
  });

  /** Reads queue depth at scrape time; fails fast while Redis is down. */
  private readonly queue: Queue;

  constructor(@Inject(WORKER_CONFIG) config: WorkerConfig, errorLog: RedisErrorLog) {
    collectProcessMetrics(this.registry);
    this.concurrency.set(config.concurrency);
    this.activeJobs.set(0);
    for (const reason of ['invalid', 'error'] as const) {
      this.failures.inc({ reason }, 0);
    }
    this.queue = new Queue(SHARD_QUEUE, {
      connection: {
        ...config.redis,
        enableOfflineQueue: false,
        connectionName: 'fleetsim-worker-metrics',
      },
      prefix: config.queuePrefix,
      // Every app that opens the shard queue must agree on its event stream length.
      streams: SHARD_QUEUE_STREAMS,
    });
    this.queue.on('error', (err) => errorLog.error('queue depth connection', err));
    registerQueueDepthGauge(this.registry, [this.queue]);
  }

  /** The number of jobs running now, whenever it changes. */
  activeJobsChanged(active: number): void {
    this.activeJobs.set(active);
  }

  shardCompleted(result: { servers?: unknown; evaluations?: unknown }, seconds: number): void {
    this.shardsProcessed.inc();
    if (typeof result.evaluations === 'number') {
      this.evaluations.inc(result.evaluations);
    }
    if (typeof result.servers === 'number') {
      this.serversSimulated.inc(result.servers);
    }
    this.shardDuration.observe(seconds);
  }

  traceCompleted(): void {
    this.tracesProcessed.inc();
  }

  jobFailed(reason: FailureReason): void {
    this.failures.inc({ reason });
  }

  async onApplicationShutdown(): Promise<void> {
    try {
      await this.queue.close();
    } catch {
      // Redis went away: QUIT cannot be sent on this fail-fast connection, and
      // there is nothing left to flush on it.
    }
  }
}

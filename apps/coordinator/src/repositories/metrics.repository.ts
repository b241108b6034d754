import { Injectable } from '@nestjs/common';
import { Registry, type Metric } from 'prom-client';
import { collectProcessMetrics } from '../../../../libs/fleet-platform/src/default-metrics';

/** One sample of a scrape-time metric. */
export interface MetricSample {
  /** Full name when it differs from the family's (`_bucket`, `_sum`, `_count`). */
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

/** A metric family whose samples are computed at scrape time. */
export interface ScrapedMetricSpec {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  collect: () => Promise<MetricSample[]>;
}

/**
 * A family computed at scrape time from state kept elsewhere (Redis), so the
 * numbers survive a restart and a counter is never counted twice. prom-client
 * renders whatever `get()` returns.
 */
class ScrapedMetric {
  readonly aggregator = 'sum';
  constructor(private readonly spec: ScrapedMetricSpec) {}
  get name(): string {
    return this.spec.name;
  }
  get help(): string {
    return this.spec.help;
  }
  get type(): string {
    return this.spec.type;
  }
  async get() {
    return {
      name: this.spec.name,
      help: this.spec.help,
      type: this.spec.type,
      aggregator: this.aggregator,
      values: await this.spec.collect(),
    };
  }
  reset(): void {}
}

/** The coordinator's own Prometheus registry (never prom-client's global one). */
@Injectable()
export class MetricsRepository {
  readonly registry = new Registry();

  constructor() {
    collectProcessMetrics(this.registry);
  }

  /** Registers a family computed at scrape time. */
  registerScraped(spec: ScrapedMetricSpec): void {
    this.registry.registerMetric(new ScrapedMetric(spec) as unknown as Metric);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

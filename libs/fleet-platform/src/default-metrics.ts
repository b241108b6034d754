/**
 * prom-client's default process metrics, minus the three that
 * `promtool check metrics` flags: gauges named like counters
 * (`nodejs_active_{handles,requests,resources}_total`, "non-counter metrics
 * should not have _total suffix"). Their per-type breakdowns
 * (`nodejs_active_handles{type}`, ...) stay.
 */
import { collectDefaultMetrics, type Registry } from 'prom-client';

/** Default metrics promtool's lint refuses. */
export const PROMTOOL_REFUSED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

/** Registers the default process metrics on `registry` (never the global one). */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of PROMTOOL_REFUSED_DEFAULT_METRICS) {
    registry.removeSingleMetric(name);
  }
}

/**
 * PromQL as the deployment tests read it (alert rules, Grafana dashboards): the
 * metric names an expression selects and the scrape jobs it matches on, and the
 * metric names the apps really export, so that renaming a metric in the apps
 * breaks a test instead of silently muting an alert or blanking a panel.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { collectProcessMetrics } from '../../libs/fleet-platform/src/default-metrics';
import { ROOT } from './apps';

/** Where the apps register their metrics (read, never imported). */
const METRIC_SOURCES = ['apps/coordinator/src', 'apps/node-worker/src', 'libs/fleet-platform/src'];

/** Series Prometheus itself adds to every scrape, not exported by the apps. */
export const PROMETHEUS_SERIES: ReadonlySet<string> = new Set([
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
]);

/** PromQL keywords that look like metric names once functions and groupings are gone. */
const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** Metric names a PromQL expression selects (no functions, keywords, labels or durations). */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // string literals
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // range and subquery durations
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // groupings
    .replace(/\b[a-zA-Z_][a-zA-Z0-9_]*\s*\(/g, '('); // function and aggregation names
  const names = bare.match(/(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return [...new Set(names.filter((name) => !PROMQL_KEYWORDS.has(name.toLowerCase())))];
}

/** `job="..."` values an expression matches on. */
export function jobMatchers(expr: string): string[] {
  return [...expr.matchAll(/\bjob\s*=\s*"([^"]*)"/g)].map((m) => m[1]!);
}

/** The TypeScript sources under `dir` (relative to the repository), without tests. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !/\.(?:e2e-)?spec\.ts$/.test(file))
    .map((file) => join(ROOT, dir, file));
}

/**
 * Metric names the apps export: the `'fleetsim_...'` string literals in their
 * sources, and the process metrics both apps register (prom-client's defaults
 * as `collectProcessMetrics` trims them).
 */
export function exportedMetricNames(): Set<string> {
  const names = new Set<string>();
  for (const file of METRIC_SOURCES.flatMap(sourceFiles)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/['"](fleetsim_[a-z0-9_]+)['"]/g)) {
      names.add(m[1]!);
    }
  }
  const registry = new Registry();
  collectProcessMetrics(registry);
  for (const metric of registry.getMetricsAsArray()) {
    names.add(metric.name);
  }
  return names;
}

/** A series name the apps expose: a family name, or a histogram's `_bucket`/`_sum`/`_count`. */
export function isExported(name: string, exported: ReadonlySet<string>): boolean {
  return exported.has(name) || exported.has(name.replace(/_(?:bucket|sum|count)$/, ''));
}

/** The names `expr` uses that neither the apps nor Prometheus itself export. */
export function unknownMetrics(expr: string, exported: ReadonlySet<string>): string[] {
  return metricNames(expr).filter(
    (name) => !PROMETHEUS_SERIES.has(name) && !isExported(name, exported),
  );
}

/**
 * The Grafana files under deploy/grafana as the tests read them: the provisioned
 * datasource and dashboard provider, the dashboards' JSON models with every
 * panel (rows' nested panels too) and query, and Grafana's substitution of
 * template variables into PromQL, so that a dashboard's queries can be run
 * against a real Prometheus without a Grafana.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './apps';

export const GRAFANA_DIR = join(ROOT, 'deploy/grafana');
export const DASHBOARD_DIR = join(GRAFANA_DIR, 'dashboards');
export const PROVISIONING_DIR = join(GRAFANA_DIR, 'provisioning');

export interface DatasourceRef {
  type?: string;
  uid?: string;
}

export interface Target {
  refId: string;
  expr: string;
  datasource?: DatasourceRef;
  instant?: boolean;
  range?: boolean;
  format?: string;
  legendFormat?: string;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: DatasourceRef;
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: Target[];
  /** A row's own panels (filled in when it is collapsed). */
  panels?: Panel[];
  collapsed?: boolean;
  /** Name of the variable this panel is repeated for, one copy per value. */
  repeat?: string;
}

export interface Variable {
  name: string;
  type: string;
  datasource?: DatasourceRef;
  /** A string, or the Prometheus query editor's `{ query, qryType, refId }`. */
  query?: string | { query: string };
  definition?: string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string | null;
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  tags?: string[];
  panels: Panel[];
  templating?: { list: Variable[] };
}

export interface DashboardFile {
  file: string;
  dashboard: Dashboard;
}

/** Every dashboard JSON under deploy/grafana/dashboards, by file name. */
export function loadDashboards(): DashboardFile[] {
  return readdirSync(DASHBOARD_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      dashboard: JSON.parse(readFileSync(join(DASHBOARD_DIR, file), 'utf8')) as Dashboard,
    }));
}

/** Every panel, rows and their nested panels included, in document order. */
export function allPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

/** The panels that draw something (not rows). */
export function queryPanels(dashboard: Dashboard): Panel[] {
  return allPanels(dashboard).filter((panel) => panel.type !== 'row');
}

export function variables(dashboard: Dashboard): Variable[] {
  return dashboard.templating?.list ?? [];
}

/** A query variable's PromQL-ish query text (`label_values(...)`). */
export function variableQuery(variable: Variable): string {
  const q = variable.query;
  return typeof q === 'string' ? q : (q?.query ?? variable.definition ?? '');
}

/** `label_values(selector, label)` → its parts; undefined for any other query. */
export function parseLabelValues(query: string): { match?: string; label: string } | undefined {
  const m = /^\s*label_values\(\s*(?:(.*\S)\s*,\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/s.exec(query);
  if (!m) {
    return undefined;
  }
  return { match: m[1], label: m[2]! };
}

interface DatasourceProvisioning {
  datasources: {
    name: string;
    uid: string;
    type: string;
    url: string;
    jsonData?: { timeInterval?: string };
  }[];
}

/** The provisioned datasources (deploy/grafana/provisioning/datasources/*.yml). */
export function provisionedDatasources(): DatasourceProvisioning['datasources'] {
  const dir = join(PROVISIONING_DIR, 'datasources');
  return readdirSync(dir)
    .filter((file) => /\.ya?ml$/.test(file))
    .flatMap(
      (file) =>
        (parse(readFileSync(join(dir, file), 'utf8')) as DatasourceProvisioning).datasources,
    );
}

interface DashboardProvisioning {
  providers: { name: string; type: string; options: { path: string } }[];
}

/** The provisioned dashboard providers (deploy/grafana/provisioning/dashboards/*.yml). */
export function dashboardProviders(): DashboardProvisioning['providers'] {
  const dir = join(PROVISIONING_DIR, 'dashboards');
  return readdirSync(dir)
    .filter((file) => /\.ya?ml$/.test(file))
    .flatMap(
      (file) => (parse(readFileSync(join(dir, file), 'utf8')) as DashboardProvisioning).providers,
    );
}

/** Grafana's global variables that the dashboards may use in PromQL. */
export const BUILTIN_VARIABLES = [
  '__interval',
  '__interval_ms',
  '__rate_interval',
  '__range',
  '__range_s',
  '__range_ms',
] as const;

/**
 * `$__rate_interval` as Grafana computes it: max($__interval + scrape interval,
 * 4 × scrape interval), the scrape interval being the datasource's `timeInterval`.
 */
export function rateIntervalSeconds(intervalSeconds: number, scrapeSeconds: number): number {
  return Math.max(intervalSeconds + scrapeSeconds, 4 * scrapeSeconds);
}

/** A value in a PromQL regex matcher inside a double-quoted string (as Grafana escapes it). */
function regexEscape(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}]/g, '\\\\$&');
}

/** Every variable an expression refers to: `$name`, `${name}`, `${name:format}`, `[[name]]`. */
export function referencedVariables(expr: string): string[] {
  const names = [...expr.matchAll(VARIABLE)].map((m) => m[1] ?? m[2] ?? m[3]!);
  return [...new Set(names)];
}

const VARIABLE = /\$\{(\w+)(?::\w+)?\}|\[\[(\w+)(?::\w+)?\]\]|\$(\w+)/g;

/**
 * Substitutes variables into `expr` the way Grafana's Prometheus datasource
 * does: one value as it is; several values as a regex alternation `(a|b)` of
 * regex-escaped values (for `=~` matchers). Throws on a variable without a value.
 */
export function interpolate(expr: string, values: ReadonlyMap<string, string | string[]>): string {
  return expr.replace(VARIABLE, (whole, braced?: string, bracketed?: string, bare?: string) => {
    const name = braced ?? bracketed ?? bare!;
    const value = values.get(name);
    if (value === undefined) {
      throw new Error(`no value for variable $${name} in ${expr}`);
    }
    if (typeof value === 'string') {
      return value;
    }
    return value.length === 1 ? regexEscape(value[0]!) : `(${value.map(regexEscape).join('|')})`;
  });
}

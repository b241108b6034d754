/**
 * The catalogue in spec syntax, for `fleetsim catalogue`: drivers, device
 * models, server profiles and crash causes as a spec's `catalogue:` holds them,
 * plus `strategies:` definitions, so a spec writer copies YAML rather than
 * reading TypeScript. Entries are printed as the resolved objects hold them,
 * every field, whatever fields the core adds: no field list lives here.
 */
import { Document, isScalar, visit } from 'yaml';
import {
  BUILTIN_CRASH_CAUSES,
  BUILTIN_DEVICES,
  BUILTIN_DRIVERS,
  BUILTIN_PROFILES,
  BUILTIN_STRATEGIES,
  type ResolvedSpec,
} from '../../../libs/kdump-core/src';
import type { CatalogueFormat } from './args';

/** The four kinds of catalogue entry, in the order a spec writer needs them. */
export const CATALOGUE_KINDS = ['drivers', 'devices', 'profiles', 'crashCauses'] as const;
export type CatalogueKind = (typeof CATALOGUE_KINDS)[number];

/** A strategy as a spec's `strategies:` list defines one. */
export type StrategyEntry = { name: string } & Record<string, unknown>;

/** What `fleetsim catalogue` prints: spec syntax, ready to copy. */
export interface CatalogueDocument {
  catalogue: Partial<Record<CatalogueKind, Record<string, unknown>>>;
  strategies: StrategyEntry[];
}

/** Which names a filter kept, or the ones it does not know. */
export type CatalogueSelection =
  { ok: true; document: CatalogueDocument } | { ok: false; unknown: string[]; known: string[] };

/**
 * The catalogue a spec runs with (built-ins with its overrides applied), or
 * the built-in one when `resolved` is null. Strategies: the spec's, in its
 * order, then the built-ins it does not list.
 */
export function catalogueDocument(resolved: ResolvedSpec | null): CatalogueDocument {
  const builtin: Record<CatalogueKind, Record<string, unknown>> = {
    drivers: BUILTIN_DRIVERS,
    devices: BUILTIN_DEVICES,
    profiles: BUILTIN_PROFILES,
    crashCauses: BUILTIN_CRASH_CAUSES,
  };
  const catalogue: CatalogueDocument['catalogue'] = {};
  for (const kind of CATALOGUE_KINDS) {
    catalogue[kind] = resolved ? resolved[kind] : builtin[kind];
  }
  // Built-ins as the catalogue defines them; the spec's own definitions as resolved (extends applied).
  const byName = new Set(resolved?.spec.strategies.filter((s) => typeof s === 'string'));
  const strategies: StrategyEntry[] = (resolved?.strategies ?? []).map((s) => {
    const builtin = byName.has(s.name) ? BUILTIN_STRATEGIES[s.name] : undefined;
    if (builtin) {
      return { name: s.name, ...builtin };
    }
    // A resolved strategy says "none" with null; a spec says it by leaving the field out.
    const entry: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(s)) {
      if (v !== null && v !== undefined) {
        entry[k] = v;
      }
    }
    return entry as StrategyEntry;
  });
  const defined = new Set(strategies.map((s) => s.name));
  for (const [name, def] of Object.entries(BUILTIN_STRATEGIES)) {
    if (!defined.has(name)) {
      strategies.push({ name, ...def });
    }
  }
  return { catalogue, strategies };
}

/** Every name in the document, each once, in document order. */
export function catalogueNames(doc: CatalogueDocument): string[] {
  const names = new Set<string>();
  for (const kind of CATALOGUE_KINDS) {
    for (const name of Object.keys(doc.catalogue[kind] ?? {})) {
      names.add(name);
    }
  }
  for (const s of doc.strategies) {
    names.add(s.name);
  }
  return [...names];
}

/**
 * Only the entries named in `names` (of any kind; a name may match a driver
 * and a device alike); kinds left empty are dropped. No names: everything.
 */
export function selectCatalogue(
  doc: CatalogueDocument,
  names: readonly string[],
): CatalogueSelection {
  if (names.length === 0) {
    return { ok: true, document: doc };
  }
  const known = catalogueNames(doc);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    return { ok: false, unknown, known };
  }
  const wanted = new Set(names);
  const catalogue: CatalogueDocument['catalogue'] = {};
  for (const kind of CATALOGUE_KINDS) {
    const kept = Object.entries(doc.catalogue[kind] ?? {}).filter(([n]) => wanted.has(n));
    if (kept.length > 0) {
      catalogue[kind] = Object.fromEntries(kept);
    }
  }
  return {
    ok: true,
    document: { catalogue, strategies: doc.strategies.filter((s) => wanted.has(s.name)) },
  };
}

/** What a spec writer needs to know to edit what follows. */
export const CATALOGUE_HEADER = `Copy entries under \`catalogue:\` in a spec: an existing name overrides that
entry, a new name adds one. Copy strategy definitions into the spec's
\`strategies:\` list.
- Overriding: each field you give replaces the one it overrides; nested objects
  (postCrashState, onUnexpectedState, kdump, buses, every time distribution)
  replace whole, so copy the whole object and change what you need.
- \`extends: NAME\` makes an entry a copy of NAME, then applies its own fields;
  a new entry without extends needs every field.
- postCrashState: odds of each state other than quiescent. The states exclude
  one another, add up to at most 1, and quiescent takes the rest.
- Driver reactions (onUnexpectedState, hardenedReaction): cope + failProbe +
  oops + panic must add up to 1.
- Units are in field names: ...Ms milliseconds, ...MiB and ...GiB sizes,
  ...Percent percent; other odds are probabilities from 0 to 1.
- Durations are distributions: {kind: constant, ms}, {kind: uniform, minMs,
  maxMs}, {kind: exponential, meanMs}, {kind: lognormal, medianMs, p95Ms} or
  {kind: empirical, valuesMs}.
- source: where a figure comes from, or "assumption: ..." where no public
  figure exists. Say where yours come from when you change them.
- A strategy's resets run in order; device-reset stands for device-specific,
  flr, pm.`;

/** The document as YAML (with {@link CATALOGUE_HEADER} as a comment) or JSON, ending in a newline. */
export function renderCatalogue(
  doc: CatalogueDocument,
  format: CatalogueFormat,
  origin: string,
): string {
  const body: Record<string, unknown> = {};
  if (Object.keys(doc.catalogue).length > 0) {
    body.catalogue = doc.catalogue;
  }
  if (doc.strategies.length > 0) {
    body.strategies = doc.strategies;
  }
  switch (format) {
    case 'json':
      return JSON.stringify(body, null, 2) + '\n';
    case 'yaml': {
      const header = [`${origin}, in spec syntax.`, ...CATALOGUE_HEADER.split('\n')]
        .map((l) => `# ${l}`.trimEnd())
        .join('\n');
      // No anchors: an entry copied on its own must not point at another's &anchor.
      const yaml = new Document(body, { aliasDuplicateObjects: false });
      visit(yaml, {
        Map: (_, node) => void (node.flow = isShortLeaf(node.items.map((p) => [p.key, p.value]))),
        Seq: (_, node) => void (node.flow = isShortLeaf(node.items.map((v) => [v]))),
      });
      return `${header}\n${yaml.toString({ lineWidth: 0 })}`;
    }
  }
}

/**
 * A map or list of a few short scalars (a distribution, reaction odds, a
 * method list) reads best on one line: `{ kind: lognormal, medianMs: 200, p95Ms: 600 }`.
 */
function isShortLeaf(items: unknown[][]): boolean {
  let length = 0;
  for (const item of items) {
    for (const node of item) {
      if (!isScalar(node)) {
        return false;
      }
      length += String(node.value).length + 2;
    }
  }
  return items.length > 0 && length <= 72;
}

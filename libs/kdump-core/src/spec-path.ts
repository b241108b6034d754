/**
 * Spec values by path: read and set any value of a spec — a field of the spec
 * itself (`events.crash.ratePerServerYear`, `fleet[0].count`) or a figure of the
 * resolved catalogue (`catalogue.profiles.gpu-node.crashkernelMiB`,
 * `catalogue.drivers.nvidia.onUnexpectedState.panic`) — so sweeps and
 * sensitivity runs can move one value and run the spec again.
 *
 * A catalogue path reads the figure the spec runs with (built-in, overridden or
 * extended) and sets it as a spec override of that entry's top-level field, so
 * the changed spec is an ordinary spec: a plain `fleetsim run` of it gives the
 * same numbers.
 */
import type { ResolvedSpec, SpecResult } from './spec';
import { validateSpec } from './spec';
import type { ExperimentSpec } from './spec-schema';

/** The catalogue kinds a path can name. */
export const CATALOGUE_KINDS = ['drivers', 'devices', 'profiles', 'crashCauses'] as const;
export type CatalogueKind = (typeof CATALOGUE_KINDS)[number];

/** A path into a spec, taken apart. */
export type SpecPath =
  | { kind: 'spec'; path: string; parts: (string | number)[] }
  | {
      kind: 'catalogue';
      path: string;
      catalogue: CatalogueKind;
      entry: string;
      /** Field path inside the entry; never empty. */
      parts: (string | number)[];
    };

/** A path that does not name a value of the spec: the message says what exists there. */
export class SpecPathError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'SpecPathError';
  }
}

/** `a.b[0].c` → ['a', 'b', 0, 'c']. */
function splitParts(text: string, path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const segment of text.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(segment);
    if (!m || (m[1] === '' && m[2] === '')) {
      throw new SpecPathError(path, `cannot read "${segment}" as a field name or [index]`);
    }
    if (m[1] !== '') {
      out.push(m[1]!);
    }
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) {
      out.push(Number(idx[1]));
    }
  }
  return out;
}

function describeHere(v: unknown): string {
  if (Array.isArray(v)) {
    return `a list of ${v.length} (indexes 0..${v.length - 1})`;
  }
  if (v !== null && typeof v === 'object') {
    return `fields: ${Object.keys(v).join(', ') || '(none)'}`;
  }
  return `a value (${JSON.stringify(v)}), not an object`;
}

/** Parses `path` against a resolved spec; throws {@link SpecPathError} naming what exists. */
export function parseSpecPath(resolved: ResolvedSpec, path: string): SpecPath {
  if (path.trim() === '') {
    throw new SpecPathError(path, 'empty path');
  }
  if (path.startsWith('catalogue.')) {
    const rest = path.slice('catalogue.'.length);
    const kind = CATALOGUE_KINDS.find((k) => rest === k || rest.startsWith(`${k}.`));
    if (!kind) {
      throw new SpecPathError(path, `the catalogue has ${CATALOGUE_KINDS.join(', ')}`);
    }
    const afterKind = rest.slice(kind.length + 1);
    // Entry names may hold dots: take the longest name the path starts with.
    const names = Object.keys(resolved[kind]);
    const entry = names
      .filter((n) => afterKind.startsWith(`${n}.`))
      .sort((a, b) => b.length - a.length)[0];
    if (entry === undefined) {
      throw new SpecPathError(
        path,
        `no ${kind} entry at the start of "${afterKind}" followed by a field (known: ${names.join(', ')})`,
      );
    }
    const parts = splitParts(afterKind.slice(entry.length + 1), path);
    readAt(resolved[kind][entry], parts, path, `catalogue.${kind}.${entry}`);
    return { kind: 'catalogue', path, catalogue: kind, entry, parts };
  }
  if (path === 'sweep' || path.startsWith('sweep.') || path.startsWith('catalogue')) {
    throw new SpecPathError(path, 'a sweep cannot move the sweep block or a whole catalogue');
  }
  const parts = splitParts(path, path);
  readAt(resolved.spec, parts, path, '(spec)');
  return { kind: 'spec', path, parts };
}

/**
 * The value at `parts`. A missing last field of an existing object reads as
 * undefined (an optional field left out); anything else missing throws.
 */
function readAt(
  root: unknown,
  parts: (string | number)[],
  path: string,
  rootName: string,
): unknown {
  let v: unknown = root;
  let where = rootName;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    const last = i === parts.length - 1;
    if (typeof p === 'number') {
      if (!Array.isArray(v) || p >= v.length) {
        throw new SpecPathError(path, `no [${p}] in ${where}: ${describeHere(v)}`);
      }
      v = v[p];
    } else {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        throw new SpecPathError(path, `no field "${p}" in ${where}: ${describeHere(v)}`);
      }
      if (!Object.prototype.hasOwnProperty.call(v, p)) {
        if (last) {
          return undefined;
        }
        throw new SpecPathError(path, `no field "${p}" in ${where}: ${describeHere(v)}`);
      }
      v = (v as Record<string, unknown>)[p];
    }
    where = `${where}${typeof p === 'number' ? `[${p}]` : `.${p}`}`;
  }
  return v;
}

/** The value a spec runs with at `path` (undefined: an optional field left at its default). */
export function specValueAt(resolved: ResolvedSpec, path: SpecPath): unknown {
  if (path.kind === 'catalogue') {
    return readAt(resolved[path.catalogue][path.entry], path.parts, path.path, path.entry);
  }
  return readAt(resolved.spec, path.parts, path.path, '(spec)');
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function setAt(root: unknown, parts: (string | number)[], value: unknown): void {
  let v = root as Record<string | number, unknown>;
  for (let i = 0; i < parts.length - 1; i++) {
    v = v[parts[i]!] as Record<string | number, unknown>;
  }
  v[parts[parts.length - 1]!] = value;
}

/**
 * The spec object (as parsed, before validation) with each path set to its value.
 * The `sweep` block is left out: the result is one plain experiment.
 */
export function specWithValues(
  resolved: ResolvedSpec,
  assignments: readonly { path: SpecPath; value: unknown }[],
): ExperimentSpec {
  const spec = clone(resolved.spec) as ExperimentSpec & { sweep?: unknown };
  delete spec.sweep;
  for (const { path, value } of assignments) {
    if (path.kind === 'spec') {
      setAt(spec, path.parts, clone(value));
      continue;
    }
    const [field, ...nested] = path.parts;
    const catalogue = (spec.catalogue ??= {}) as Record<string, Record<string, object>>;
    const entries = (catalogue[path.catalogue] ??= {});
    const override = (entries[path.entry] ??= {}) as Record<string | number, unknown>;
    // Nested objects replace whole: start from the figure the spec runs with now
    // (or from what earlier assignments of this sweep point already set).
    const current =
      field! in override
        ? override[field!]
        : (resolved[path.catalogue][path.entry] as Record<string | number, unknown>)[field!];
    if (nested.length === 0) {
      override[field!] = clone(value);
    } else {
      const top = clone(current);
      setAt(top, nested, clone(value));
      override[field!] = top;
    }
  }
  return spec;
}

/** Validates the spec with the values set; errors name the paths moved. */
export function resolveWithValues(
  resolved: ResolvedSpec,
  assignments: readonly { path: SpecPath; value: unknown }[],
): SpecResult {
  return validateSpec(specWithValues(resolved, assignments));
}

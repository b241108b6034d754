/**
 * Reading an experiment spec: YAML or JSON text → validated, resolved spec with
 * every built-in default merged in. Every error carries its field path and the
 * line of the spec it points at; when there is any error, nothing runs.
 */
import {
  Composer,
  isMap,
  isScalar,
  LineCounter,
  parseDocument,
  Parser,
  YAMLParseError,
  type Document,
} from 'yaml';
import type { z } from 'zod';
import {
  BUILTIN_CRASH_CAUSES,
  BUILTIN_DEVICES,
  BUILTIN_DRIVERS,
  BUILTIN_PROFILES,
  BUILTIN_STRATEGIES,
} from './catalogue';
import { checkCoupling } from './coupling-spec';
import { didYouMean } from './did-you-mean';
import { rolloutErrors } from './rollout-spec';
import { compileDistribution, type TimeDistribution } from './distribution';
import {
  checkSpecText,
  checkYamlTokens,
  hasOwn,
  labelLimitErrors,
  looksLikeJson,
  own,
  SPEC_LIMITS,
} from './spec-limits';
import {
  CrashCauseSchema,
  DeviceModelSchema,
  DriverSchema,
  ExperimentSpecSchema,
  ServerProfileSchema,
  type CrashCause,
  type DeviceModel,
  type Driver,
  type ExperimentSpec,
  type ResetStep,
  type ServerProfile,
  type StrategyDefinition,
} from './spec-schema';

/** One problem in a spec. */
export interface SpecError {
  /** Field path, e.g. `fleet[0].count`; empty for the document itself. */
  path: string;
  /** 1-based line in the spec text, when the text was given. */
  line?: number;
  message: string;
}

/** A strategy with every field decided. */
export interface ResolvedStrategy {
  name: string;
  description: string;
  /** Drivers not loaded in the capture kernel, or null. */
  blacklist: 'known-problems' | string[] | null;
  /** The only drivers loaded in the capture kernel, or null for all. */
  whitelist: 'dump-target' | string[] | null;
  resetDevices: boolean;
  hardening: boolean;
  irqpoll: boolean;
  nousb: boolean;
  /** nr_cpus of the capture kernel (1 unless the strategy says otherwise). */
  nrCpus: number;
  /** Reset steps in the order they are tried; `device-reset` expanded. */
  resets: Exclude<ResetStep, 'device-reset'>[];
  /** Where the strategy comes from, or null. */
  source: string | null;
}

/** A spec with the catalogue merged in, every reference checked. */
export interface ResolvedSpec {
  spec: ExperimentSpec;
  drivers: Record<string, Driver>;
  devices: Record<string, DeviceModel>;
  profiles: Record<string, ServerProfile>;
  crashCauses: Record<string, CrashCause>;
  strategies: ResolvedStrategy[];
  /** Total servers in the fleet. */
  servers: number;
}

export type SpecResult = { ok: true; resolved: ResolvedSpec } | { ok: false; errors: SpecError[] };

/** Thrown by {@link parseSpecOrThrow}; carries every error. */
export class SpecValidationError extends Error {
  constructor(readonly errors: SpecError[]) {
    super(
      `invalid spec:\n${errors
        .map((e) => `  ${e.path || '(spec)'}${e.line ? ` (line ${e.line})` : ''}: ${e.message}`)
        .join('\n')}`,
    );
    this.name = 'SpecValidationError';
  }
}

type PathPart = string | number;

/** `a.b[0].c` from ['a', 'b', 0, 'c']. */
export function formatPath(path: readonly PathPart[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') {
      out += `[${p}]`;
    } else {
      out += out ? `.${p}` : p;
    }
  }
  return out;
}

class LineFinder {
  private doc: Document | null = null;
  private lines: LineCounter | null = null;

  /** `source` gives the YAML document and its lines, asked only when a line is wanted. */
  constructor(private source: (() => { doc: Document; lines: LineCounter }) | null = null) {}

  /** Line of the deepest existing node on the path (a key, when asked for one). */
  lineOf(path: readonly PathPart[], key?: string): number | undefined {
    if (this.source) {
      ({ doc: this.doc, lines: this.lines } = this.source());
      this.source = null;
    }
    if (!this.doc || !this.lines) {
      return undefined;
    }
    for (let i = path.length; i >= 0; i--) {
      const node: unknown = i === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, i), true);
      if (key !== undefined && i === path.length && isMap(node)) {
        const pair = node.items.find((it) => isScalar(it.key) && it.key.value === key);
        if (pair && isScalar(pair.key) && pair.key.range) {
          return this.lines.linePos(pair.key.range[0]).line;
        }
      }
      const range = (node as { range?: [number, number, number] } | null)?.range;
      if (range) {
        return this.lines.linePos(range[0]).line;
      }
    }
    return undefined;
  }
}

/** Changes applied to a spec after parsing and before validation (CLI flags). */
export interface SpecOverrides {
  /** Replaces the spec's seed. */
  seed?: number;
}

/** 1-based line of a 0-based offset in the text. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
  }
  return line;
}

/** The one document of YAML tokens, as `parseDocument` composes it (a second document is an error). */
function composeYaml(tokens: Parameters<Composer['compose']>[0], length: number): Document {
  const composer = new Composer({ prettyErrors: false, uniqueKeys: true });
  let doc: Document | null = null;
  for (const next of composer.compose(tokens, true, length)) {
    if (!doc) {
      doc = next as Document;
    } else {
      doc.errors.push(
        new YAMLParseError(
          [next.range[0], next.range[1]],
          'MULTIPLE_DOCS',
          'Source contains multiple documents; please use YAML.parseAllDocuments()',
        ),
      );
      break;
    }
  }
  return doc!;
}

function parseYaml(text: string): { doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  return { doc, lines };
}

/**
 * Parses YAML or JSON text. Bounds come first ({@link SPEC_LIMITS}: size,
 * depth, keys per map, aliases), so hostile text is refused in linear time.
 * JSON is parsed as JSON; its error lines come from reading it as YAML, only
 * when there is an error to place.
 */
export function parseSpecText(text: string, overrides: SpecOverrides = {}): SpecResult {
  const refuse = (message: string, line?: number): SpecResult => ({
    ok: false,
    errors: [{ path: '', ...(line !== undefined ? { line } : {}), message }],
  });
  let bound = checkSpecText(text);
  let input: unknown;
  let finder: LineFinder;
  let json: { value: unknown } | undefined;
  if (!bound && looksLikeJson(text)) {
    try {
      json = { value: JSON.parse(text) as unknown };
    } catch {
      // Not JSON after all (a YAML flow mapping, or a syntax error): read it as YAML.
    }
  }
  if (bound) {
    return refuse(
      bound.message,
      bound.offset !== undefined ? lineAt(text, bound.offset) : undefined,
    );
  }
  if (json) {
    input = json.value;
    finder = new LineFinder(() => parseYaml(text));
  } else {
    // The text is tokenised once: the bounds are checked on the tokens, which are then composed.
    const lines = new LineCounter();
    const tokens = [...new Parser(lines.addNewLine).parse(text)];
    bound = checkYamlTokens(tokens);
    if (bound) {
      return refuse(
        bound.message,
        bound.offset !== undefined ? lineAt(text, bound.offset) : undefined,
      );
    }
    const doc = composeYaml(tokens, text.length);
    if (doc.errors.length > 0) {
      return {
        ok: false,
        errors: doc.errors.map((e) => ({
          path: '',
          line: lines.linePos(e.pos[0]).line,
          message: e.message.split('\n')[0]!,
        })),
      };
    }
    try {
      input = doc.toJS({ maxAliasCount: SPEC_LIMITS.maxAliases }) as unknown;
    } catch (e) {
      if (e instanceof ReferenceError || e instanceof RangeError) {
        return refuse(
          `${e.message.replace(/\.$/, '')}: the spec expands too many aliases (at most ${SPEC_LIMITS.maxAliases} per alias)`,
        );
      }
      throw e;
    }
    finder = new LineFinder(() => ({ doc, lines }));
  }
  if (overrides.seed !== undefined && input !== null && typeof input === 'object') {
    (input as Record<string, unknown>).seed = overrides.seed;
  }
  return validateSpec(input, finder);
}

/** Validates an already parsed spec object (from an HTTP JSON body, say). */
export function validateSpec(input: unknown, finder = new LineFinder()): SpecResult {
  const parsed = ExperimentSpecSchema.safeParse(input);
  if (!parsed.success) {
    // The shape is wrong somewhere; still name the unknown references we can see,
    // so one round of fixes is enough.
    const errors = zodErrors(parsed.error.issues, [], finder);
    const seen = new Set(errors.map((e) => e.path));
    const more = referenceErrors(input, finder);
    const catalogue = ExperimentSpecSchema.shape.catalogue.safeParse(
      (input as { catalogue?: unknown } | null)?.catalogue,
    );
    if (catalogue.success) {
      resolveCatalogue(catalogue.data ?? {}, more, finder);
    }
    for (const e of more) {
      if (!seen.has(e.path)) {
        errors.push(e);
        seen.add(e.path);
      }
    }
    return { ok: false, errors: byLine(errors) };
  }
  const errors: SpecError[] = [];
  const resolved = resolve(parsed.data, errors, finder);
  if (errors.length > 0 || !resolved) {
    return { ok: false, errors: byLine(errors) };
  }
  return { ok: true, resolved };
}

/** Parses and validates, throwing {@link SpecValidationError} with every error. */
export function parseSpecOrThrow(text: string, overrides: SpecOverrides = {}): ResolvedSpec {
  const r = parseSpecText(text, overrides);
  if (!r.ok) {
    throw new SpecValidationError(r.errors);
  }
  return r.resolved;
}

function zodErrors(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PathPart[],
  finder: LineFinder,
): SpecError[] {
  const out: SpecError[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as PathPart[])];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({
          path: formatPath([...path, key]),
          line: finder.lineOf(path, key),
          message: `unknown field "${key}"`,
        });
      }
      continue;
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the branch that got furthest rather than "invalid input".
      const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0]!;
      out.push(...zodErrors(best, path, finder));
      continue;
    }
    out.push({
      path: formatPath(path),
      line: finder.lineOf(path),
      message: zodMessage(issue, path),
    });
  }
  return out;
}

/** A zod issue in the words of a spec author. */
function zodMessage(issue: z.core.$ZodIssue, path: readonly PathPart[]): string {
  const last = path[path.length - 1];
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
    return typeof last === 'string'
      ? `missing required field \`${last}\` (${issue.expected})`
      : `missing ${issue.expected}`;
  }
  if (last === 'whitelist' || last === 'blacklist') {
    const word = last === 'whitelist' ? 'dump-target' : 'known-problems';
    return `${last} is "${word}" or a list of driver names, e.g. ${last}: [nvme, i40e]`;
  }
  return issue.message.replace(/^Invalid input: /, '');
}

/** Errors in the order of their lines (errors without a line last), else as found. */
function byLine(errors: SpecError[]): SpecError[] {
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (a.e.line ?? Infinity) - (b.e.line ?? Infinity) || a.i - b.i)
    .map((x) => x.e);
}

function depth(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length)) - issues.length * 0.01;
}

function keysOf(v: unknown): string[] {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : [];
}

/**
 * Unknown profile, strategy and crash-cause names in a spec that failed its
 * schema, read from the raw input wherever it has the expected shape.
 */
function referenceErrors(input: unknown, finder: LineFinder): SpecError[] {
  const out: SpecError[] = [];
  if (input === null || typeof input !== 'object') {
    return out;
  }
  const spec = input as Record<string, unknown>;
  const cat = (spec.catalogue ?? {}) as Record<string, unknown>;
  const known = (builtins: object, extra: unknown) =>
    new Set([...Object.keys(builtins), ...keysOf(extra)]);
  const push = (path: PathPart[], message: string) =>
    out.push({ path: formatPath(path), line: finder.lineOf(path), message });
  const profiles = known(BUILTIN_PROFILES, cat.profiles);
  if (Array.isArray(spec.fleet)) {
    spec.fleet.forEach((f: unknown, i) => {
      const profile = (f as { profile?: unknown } | null)?.profile;
      if (typeof profile === 'string' && !profiles.has(profile)) {
        push(
          ['fleet', i, 'profile'],
          `unknown profile "${profile}"${didYouMean(profile, [...profiles])} (known: ${[...profiles].join(', ')})`,
        );
      }
    });
  }
  if (Array.isArray(spec.strategies)) {
    const strategies = known(BUILTIN_STRATEGIES, {});
    spec.strategies.forEach((entry: unknown, i) => {
      if (typeof entry === 'string' && !strategies.has(entry)) {
        push(
          ['strategies', i],
          `unknown strategy "${entry}"${didYouMean(entry, [...strategies])} (known: ${[...strategies].join(', ')})`,
        );
      } else if (
        entry !== null &&
        typeof entry === 'object' &&
        typeof (entry as { name?: unknown }).name === 'string'
      ) {
        strategies.add((entry as { name: string }).name);
      }
    });
    const named = spec.strategies.map((e: unknown) =>
      typeof e === 'string' ? e : (e as { name?: unknown } | null)?.name,
    );
    if (typeof spec.baseline === 'string' && !named.includes(spec.baseline)) {
      push(
        ['baseline'],
        `baseline "${spec.baseline}" is not one of the spec's strategies (${named.join(', ')})`,
      );
    }
  }
  const crash = (spec.events as { crash?: { causes?: unknown } } | undefined)?.crash;
  const causes = known(BUILTIN_CRASH_CAUSES, cat.crashCauses);
  for (const cause of keysOf(crash?.causes)) {
    if (!causes.has(cause)) {
      push(
        ['events', 'crash', 'causes', cause],
        `unknown crash cause "${cause}"${didYouMean(cause, [...causes])} (known: ${[...causes].join(', ')})`,
      );
    }
  }
  return out;
}

type WithExtends<T> = Partial<T> & { extends?: string };

/** The source a figure set in the spec itself carries, unless the spec gives its own. */
export const SPEC_SOURCE = 'set in the experiment spec';

/**
 * An entry with the spec's fields over its base. Each field the spec sets takes
 * its source from the spec: the spec's `sources` entry for it, else the entry's
 * own `source` when the spec wrote one (a calibrated profile citing its
 * observations), else {@link SPEC_SOURCE}. So no built-in citation is left
 * standing for a figure the spec replaced.
 */
function withSpecSources(base: object, fields: Record<string, unknown>): object {
  const baseSources = (base as { sources?: Record<string, string> }).sources;
  const given = fields.sources as Record<string, string> | undefined;
  if (!baseSources && !given) {
    return { ...base, ...fields };
  }
  const sources: Record<string, string> = {};
  for (const [key, text] of Object.entries(baseSources ?? {})) {
    const field = key.split('.')[0]!;
    if (!Object.prototype.hasOwnProperty.call(fields, field)) {
      sources[key] = text;
    }
  }
  const givenKeys = Object.keys(given ?? {});
  for (const field of Object.keys(fields)) {
    const cited = givenKeys.some((k) => k === field || k.startsWith(`${field}.`));
    if (!cited && !['sources', 'source', 'description'].includes(field)) {
      sources[field] = typeof fields.source === 'string' ? fields.source : SPEC_SOURCE;
    }
  }
  Object.assign(sources, given ?? {});
  return { ...base, ...fields, sources };
}

function mergeEntries<T extends object>(
  kind: string,
  builtins: Record<string, T>,
  overrides: Record<string, WithExtends<T>> | undefined,
  schema: z.ZodType<T>,
  errors: SpecError[],
  finder: LineFinder,
): Record<string, T> {
  // No prototype: an entry named `constructor` or `__proto__` is an entry like any other.
  const out = Object.assign(Object.create(null) as Record<string, T>, builtins);
  const entries = overrides ?? {};
  const state = new Map<string, 'resolving' | 'done' | 'failed'>();
  const known = () => [...new Set([...Object.keys(builtins), ...Object.keys(entries)])].join(', ');
  // Chains are walked without recursion first, so the recursive resolution
  // below never goes deeper than SPEC_LIMITS.maxExtendsChain.
  for (const key of Object.keys(entries)) {
    const seen = new Set<string>();
    for (let k = key; ;) {
      const parent = own(entries, k)?.extends;
      if (parent === undefined || parent === k || seen.has(k)) {
        break;
      }
      seen.add(k);
      if (seen.size > SPEC_LIMITS.maxExtendsChain) {
        const path = ['catalogue', kind, key, 'extends'];
        errors.push({
          path: formatPath(path),
          line: finder.lineOf(path),
          message: `the "extends" chain from ${kind} "${key}" is longer than ${SPEC_LIMITS.maxExtendsChain} entries`,
        });
        state.set(key, 'failed');
        break;
      }
      k = parent;
    }
  }
  // Resolves an entry after the one it extends (built-in, overridden, or defined
  // anywhere in the spec), so `extends` sees the spec's version of its parent.
  const resolveEntry = (key: string): boolean => {
    const seen = state.get(key);
    if (seen === 'done') {
      return true;
    }
    if (seen === 'failed') {
      return false;
    }
    const override = own(entries, key);
    if (!override) {
      return hasOwn(builtins, key);
    }
    const path: PathPart[] = ['catalogue', kind, key];
    if (seen === 'resolving') {
      errors.push({
        path: formatPath([...path, 'extends']),
        line: finder.lineOf([...path, 'extends']),
        message: `"extends" goes round in a circle through ${kind} "${key}"`,
      });
      state.set(key, 'failed');
      return false;
    }
    state.set(key, 'resolving');
    const { extends: parentName, ...fields } = override;
    let base: object = own(builtins, key) ?? {};
    if (parentName !== undefined) {
      if (parentName === key ? !hasOwn(builtins, key) : !resolveEntry(parentName)) {
        if (state.get(key) !== 'failed') {
          errors.push({
            path: formatPath([...path, 'extends']),
            line: finder.lineOf([...path, 'extends']),
            message:
              hasOwn(builtins, parentName) || hasOwn(entries, parentName)
                ? `extends ${kind} "${parentName}", which has errors of its own`
                : `extends unknown ${kind} "${parentName}" (known: ${known()})`,
          });
        }
        state.set(key, 'failed');
        return false;
      }
      base = parentName === key ? own(builtins, key)! : own(out, parentName)!;
    }
    const merged = schema.safeParse(withSpecSources(base, fields));
    if (!merged.success) {
      const errs = zodErrors(merged.error.issues, path, finder);
      for (const e of errs) {
        if (
          !hasOwn(builtins, key) &&
          parentName === undefined &&
          /expected|required/i.test(e.message)
        ) {
          e.message += ` (a new ${kind} entry needs every field, or "extends" of an existing one)`;
        }
      }
      errors.push(...errs);
      state.set(key, 'failed');
      return false;
    }
    out[key] = merged.data;
    state.set(key, 'done');
    return true;
  };
  for (const key of Object.keys(entries)) {
    resolveEntry(key);
  }
  return out;
}

/** The catalogue a spec runs with: built-ins, overridden and extended by the spec. */
interface Catalogue {
  drivers: Record<string, Driver>;
  devices: Record<string, DeviceModel>;
  profiles: Record<string, ServerProfile>;
  crashCauses: Record<string, CrashCause>;
}

/** Merges the spec's catalogue into the built-ins and checks its entries and references. */
function resolveCatalogue(
  cat: NonNullable<ExperimentSpec['catalogue']>,
  errors: SpecError[],
  finder: LineFinder,
): Catalogue {
  const err = (path: PathPart[], message: string) =>
    errors.push({ path: formatPath(path), line: finder.lineOf(path), message });
  const drivers = mergeEntries(
    'drivers',
    BUILTIN_DRIVERS,
    cat.drivers,
    DriverSchema,
    errors,
    finder,
  );
  const devices = mergeEntries(
    'devices',
    BUILTIN_DEVICES,
    cat.devices,
    DeviceModelSchema,
    errors,
    finder,
  );
  const profiles = mergeEntries(
    'profiles',
    BUILTIN_PROFILES,
    cat.profiles,
    ServerProfileSchema,
    errors,
    finder,
  );
  const crashCauses = mergeEntries(
    'crashCauses',
    BUILTIN_CRASH_CAUSES,
    cat.crashCauses,
    CrashCauseSchema,
    errors,
    finder,
  );
  // Distributions: compile each to catch min > max, p95 < median and the like.
  const checkDistributions = (obj: unknown, path: PathPart[]) => {
    walkDistributions(obj, path, (d, p) => {
      try {
        compileDistribution(d, formatPath(p));
      } catch (e) {
        err(p, (e as Error).message);
      }
    });
  };
  for (const [k, v] of Object.entries(drivers)) {
    if (!hasOwn(BUILTIN_DRIVERS, k) || hasOwn(cat.drivers, k)) {
      checkDistributions(v, ['catalogue', 'drivers', k]);
    }
  }
  for (const [k, v] of Object.entries(devices)) {
    if (!hasOwn(BUILTIN_DEVICES, k) || hasOwn(cat.devices, k)) {
      checkDistributions(v, ['catalogue', 'devices', k]);
    }
    if (!hasOwn(drivers, v.driver)) {
      err(['catalogue', 'devices', k, 'driver'], `unknown driver "${v.driver}"`);
    }
  }
  for (const [k, p] of Object.entries(profiles)) {
    if (hasOwn(BUILTIN_PROFILES, k) && !hasOwn(cat.profiles, k)) {
      continue;
    }
    const path: PathPart[] = ['catalogue', 'profiles', k];
    checkDistributions(p, path);
    const names = new Set<string>();
    p.buses.forEach((bus, b) =>
      bus.devices.forEach((d, i) => {
        if (names.has(d.name)) {
          err([...path, 'buses', b, 'devices', i, 'name'], `device name "${d.name}" used twice`);
        }
        names.add(d.name);
        if (!hasOwn(devices, d.model)) {
          err(
            [...path, 'buses', b, 'devices', i, 'model'],
            `unknown device model "${d.model}" (known: ${Object.keys(devices).join(', ')})`,
          );
        }
      }),
    );
    if (!names.has(p.dumpTarget)) {
      err([...path, 'dumpTarget'], `dump target "${p.dumpTarget}" is not a device of this profile`);
    }
    if (p.dumpPercentOfRam.p95Percent < p.dumpPercentOfRam.medianPercent) {
      err([...path, 'dumpPercentOfRam'], 'p95Percent is below medianPercent');
    }
    const devCount = names.size;
    if (devCount > 64) {
      err([...path, 'buses'], `at most 64 devices per profile, got ${devCount}`);
    }
  }
  return { drivers, devices, profiles, crashCauses };
}

function resolve(
  spec: ExperimentSpec,
  errors: SpecError[],
  finder: LineFinder,
): ResolvedSpec | null {
  const err = (path: PathPart[], message: string) =>
    errors.push({ path: formatPath(path), line: finder.lineOf(path), message });
  const { drivers, devices, profiles, crashCauses } = resolveCatalogue(
    spec.catalogue ?? {},
    errors,
    finder,
  );
  for (const e of labelLimitErrors({
    devices: Object.keys(devices).length,
    drivers: Object.keys(drivers).length,
    profiles: Object.keys(profiles).length,
    crashCauses: Object.keys(crashCauses).length,
    strategies: spec.strategies.length,
    fleet: spec.fleet.length,
  })) {
    errors.push({ ...e, line: finder.lineOf(e.path.split('.')) });
  }

  let servers = 0;
  spec.fleet.forEach((f, i) => {
    servers += f.count;
    if (!hasOwn(profiles, f.profile)) {
      err(
        ['fleet', i, 'profile'],
        `unknown profile "${f.profile}" (known: ${Object.keys(profiles).join(', ')})`,
      );
    }
  });

  const checkCountOrRate = (
    ev: { perServer?: number; ratePerServerYear?: number; horizonDays?: number },
    path: PathPart[],
  ) => {
    const hasCount = ev.perServer !== undefined;
    const hasRate = ev.ratePerServerYear !== undefined;
    if (hasCount === hasRate) {
      err(path, 'give either perServer, or ratePerServerYear with horizonDays');
    } else if (hasRate && ev.horizonDays === undefined) {
      err([...path, 'horizonDays'], 'ratePerServerYear needs horizonDays');
    } else if (hasRate && (ev.ratePerServerYear! * ev.horizonDays!) / 365 > 500) {
      err(path, 'more than 500 expected events per server: shorten the horizon');
    }
  };
  if (!spec.events.crash && !spec.events.reboot) {
    err(['events'], 'give crash events, reboot events, or both');
  }
  if (spec.events.crash) {
    checkCountOrRate(spec.events.crash, ['events', 'crash']);
    if (
      spec.events.crash.assumedRatePerServerYear !== undefined &&
      spec.events.crash.perServer === undefined
    ) {
      err(
        ['events', 'crash', 'assumedRatePerServerYear'],
        'assumedRatePerServerYear goes with perServer; a rate spec (ratePerServerYear) already gives per-year figures',
      );
    }
    const causes = Object.entries(spec.events.crash.causes);
    if (causes.length === 0 || causes.every(([, w]) => w === 0)) {
      err(['events', 'crash', 'causes'], 'give at least one crash cause with a weight above 0');
    }
    for (const [cause] of causes) {
      if (!hasOwn(crashCauses, cause)) {
        err(
          ['events', 'crash', 'causes', cause],
          `unknown crash cause "${cause}" (known: ${Object.keys(crashCauses).join(', ')})`,
        );
      }
    }
  }
  if (spec.events.reboot) {
    checkCountOrRate(spec.events.reboot, ['events', 'reboot']);
  }
  for (const e of rolloutErrors(spec, servers)) {
    err(e.path, e.message);
  }

  const strategies = resolveStrategies(spec, drivers, err);
  checkCoupling(spec, crashCauses, err);
  if (errors.length > 0) {
    return null;
  }
  return { spec, drivers, devices, profiles, crashCauses, strategies, servers };
}

function walkDistributions(
  obj: unknown,
  path: PathPart[],
  visit: (d: TimeDistribution, path: PathPart[]) => void,
): void {
  if (obj === null || typeof obj !== 'object') {
    return;
  }
  if (
    'kind' in obj &&
    typeof (obj as { kind: unknown }).kind === 'string' &&
    ['constant', 'uniform', 'exponential', 'lognormal', 'empirical'].includes(
      (obj as { kind: string }).kind,
    )
  ) {
    visit(obj as TimeDistribution, path);
    return;
  }
  for (const [k, v] of Object.entries(obj)) {
    walkDistributions(v, [...path, Array.isArray(obj) ? Number(k) : k], visit);
  }
}

function resolveStrategies(
  spec: ExperimentSpec,
  drivers: Record<string, Driver>,
  err: (path: PathPart[], message: string) => void,
): ResolvedStrategy[] {
  const defined = Object.assign(
    Object.create(null) as Record<string, StrategyDefinition>,
    BUILTIN_STRATEGIES,
  );
  const out: ResolvedStrategy[] = [];
  const seen = new Set<string>();
  spec.strategies.forEach((entry, i) => {
    const path: PathPart[] = ['strategies', i];
    let strategyName: string;
    let def: StrategyDefinition;
    if (typeof entry === 'string') {
      strategyName = entry;
      const found = own(defined, entry);
      if (!found) {
        err(
          path,
          `unknown strategy "${entry}"${didYouMean(entry, Object.keys(defined))} (known: ${Object.keys(defined).join(', ')})`,
        );
        return;
      }
      def = found;
    } else {
      const { name: n, ...rest } = entry;
      strategyName = n;
      if (rest.extends !== undefined) {
        const parent = own(defined, rest.extends);
        if (!parent) {
          err([...path, 'extends'], `extends unknown strategy "${rest.extends}"`);
          return;
        }
        def = { ...parent, ...rest };
      } else {
        def = rest;
      }
      defined[n] = def;
    }
    if (seen.has(strategyName)) {
      err(path, `strategy "${strategyName}" listed twice`);
      return;
    }
    seen.add(strategyName);
    if (def.blacklist && def.whitelist) {
      err(path, 'a strategy has a blacklist or a whitelist, not both');
      return;
    }
    for (const list of ['blacklist', 'whitelist'] as const) {
      const v = def[list];
      if (Array.isArray(v)) {
        v.forEach((d, j) => {
          if (!hasOwn(drivers, d)) {
            err([...path, list, j], `unknown driver "${d}"`);
          }
        });
      }
    }
    const resets: ResolvedStrategy['resets'] = [];
    for (const step of def.resets ?? []) {
      if (step === 'device-reset') {
        resets.push('device-specific', 'flr', 'pm');
      } else {
        resets.push(step);
      }
    }
    out.push({
      name: strategyName,
      description: def.description ?? '',
      blacklist: def.blacklist ?? null,
      whitelist: def.whitelist ?? null,
      resetDevices: def.resetDevices ?? false,
      hardening: def.hardening ?? false,
      irqpoll: def.irqpoll ?? false,
      nousb: def.nousb ?? false,
      nrCpus: def.nrCpus ?? 1,
      resets,
      source: def.source ?? null,
    });
  });
  if (spec.baseline !== undefined && !seen.has(spec.baseline)) {
    err(
      ['baseline'],
      `baseline "${spec.baseline}" is not one of the spec's strategies (${spec.strategies.map((e) => (typeof e === 'string' ? e : e.name)).join(', ')})`,
    );
  }
  return out;
}

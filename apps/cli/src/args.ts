/**
 * The `fleetsim` command line: argv → a typed command, or a one-line message that
 * names the offending argument. Built on `node:util` parseArgs (tokens mode) so
 * every refusal is ours to word; nothing here touches the file system.
 */
import { parseArgs } from 'node:util';
import { didYouMean } from '../../../libs/kdump-core/src/did-you-mean';
import {
  DECISION_COMMANDS,
  DECISION_OPTIONS,
  DECISION_USAGE,
  parseDecisionCommand,
  type DecisionCommand,
} from './decision-args';
import { isReportFormat, REPORT_FORMATS, type ReportFormat } from './output-format';

/** `fleetsim run SPEC ...`: simulate a spec on worker threads, or on a coordinator. */
export interface RunCommand {
  kind: 'run';
  spec: string;
  /** Base URL of a coordinator: run there instead of embedded. */
  coordinator?: string;
  /** FLEETSIM_TOKEN, when set and running on a coordinator. */
  token?: string;
  seed?: number;
  threads?: number;
  shardSize?: number;
  out?: string;
  format?: ReportFormat;
  /** `--fail-if` conditions, as written (checked against the spec before the run). */
  failIf?: string[];
}

/** `fleetsim validate SPEC`: check a spec, print its size. */
export interface ValidateCommand {
  kind: 'validate';
  spec: string;
  seed?: number;
  shardSize?: number;
}

/** `fleetsim status [ID] --coordinator URL`: one experiment's state, or all of them. */
export interface StatusCommand {
  kind: 'status';
  /** Absent: list the coordinator's experiments. */
  id?: string;
  coordinator: string;
  /** FLEETSIM_TOKEN, when set. */
  token?: string;
  format: StatusFormat;
}

/** `fleetsim cancel ID --coordinator URL`. */
export interface CancelCommand {
  kind: 'cancel';
  id: string;
  coordinator: string;
  /** FLEETSIM_TOKEN, when set. */
  token?: string;
}

export const STATUS_FORMATS = ['table', 'json'] as const;
export type StatusFormat = (typeof STATUS_FORMATS)[number];

/** Environment variable that stands for `--coordinator`. */
export const COORDINATOR_ENV = 'FLEETSIM_COORDINATOR';
/** Environment variable holding the coordinator's API token (sent as `Authorization: Bearer`). */
export const TOKEN_ENV = 'FLEETSIM_TOKEN';

/** `fleetsim calibrate FILE... [--out FILE]`: lab observations or a fleet history → catalogue YAML. */
export interface CalibrateCommand {
  kind: 'calibrate';
  files: string[];
  out?: string;
}

/** `fleetsim schema [--report]`: print a JSON Schema. */
export interface SchemaCommand {
  kind: 'schema';
  report: boolean;
}

/** Which server `trace` follows: a fleet-wide index, or the index-th server of a profile. */
export type ServerSelector =
  { by: 'server'; server: number } | { by: 'profile'; profile: string; index: number };

export const TRACE_FORMATS = ['text', 'json'] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];

export const JOB_KINDS = ['crash', 'reboot'] as const;

/** `fleetsim trace SPEC --server N ...`: one job of one server, traced, embedded. */
export interface TraceCommand {
  kind: 'trace';
  spec: string;
  server: ServerSelector;
  /** Event index of that server; 0 for its first crash or reboot. */
  event: number;
  /** Absent: crash, or reboot when the spec has no crash events. */
  jobKind?: (typeof JOB_KINDS)[number];
  /** Only this strategy's outcome. */
  strategy?: string;
  format: TraceFormat;
  seed?: number;
}

export const CATALOGUE_FORMATS = ['yaml', 'json'] as const;
export type CatalogueFormat = (typeof CATALOGUE_FORMATS)[number];

/** `fleetsim catalogue [SPEC] [NAME...]`: the resolved catalogue in spec syntax. */
export interface CatalogueCommand {
  kind: 'catalogue';
  /** Absent: the built-in catalogue. */
  spec?: string;
  /** Only entries with these names (of any kind); empty for all. */
  names: string[];
  format: CatalogueFormat;
}

export type Command =
  | RunCommand
  | ValidateCommand
  | SchemaCommand
  | TraceCommand
  | CatalogueCommand
  | StatusCommand
  | CancelCommand
  | CalibrateCommand
  | DecisionCommand
  | { kind: 'help' }
  | { kind: 'version' };

export type ParsedArgs = { ok: true; command: Command } | { ok: false; message: string };

export const USAGE = `fleetsim: simulate a server fleet crashing down the kdump path and compare reset strategies

Usage:
  fleetsim run SPEC [--seed N] [--threads N] [--shard-size N] [--out FILE] [--format FORMAT]
                 [--fail-if COND]...
  fleetsim run SPEC --coordinator URL [--seed N] [--shard-size N] [--out FILE] [--format FORMAT]
                 [--fail-if COND]...
  fleetsim status [ID] --coordinator URL [--format table|json]
  fleetsim cancel ID --coordinator URL
  fleetsim validate SPEC [--seed N] [--shard-size N]
  fleetsim trace SPEC (--server N | --profile P --index I) [--event K] [--kind crash|reboot]
                 [--strategy S] [--format text|json] [--seed N]
  fleetsim catalogue [SPEC] [NAME...] [--format yaml|json]
  fleetsim schema [--report]
  fleetsim calibrate FILE... [--out FILE]
  fleetsim sweep SPEC [--seed N] [--out FILE] [--format FORMAT]
                 [--threads N | --coordinator URL]
  fleetsim crashkernel SPEC [--target-oom R] [--step MIB] [--seed N] [--out FILE] [--format FORMAT]
                 [--threads N | --coordinator URL]
  fleetsim sensitivity SPEC [--factor K] [--max-parameters N] [--only TEXT] [--seed N]
                       [--out FILE] [--format FORMAT] [--threads N | --coordinator URL]
  fleetsim help | --help | -h
  fleetsim --version

Commands:
  run         simulate SPEC (YAML or JSON) on worker threads, print the strategy comparison;
              with --coordinator, submit it to a coordinator, follow its progress, and
              print the same report
  status      state, progress and ETA of experiment ID on a coordinator (no ID: all of them)
  cancel      cancel experiment ID on a coordinator: its pending shards are dropped
  validate    check SPEC; print its size, or every error with its line
  trace       simulate one crash (or reboot) of one server of SPEC and print it stage by
              stage and strategy by strategy: the trace a coordinator's /servers route gives
  catalogue   print the catalogue (built-in, or as SPEC overrides it) as spec YAML to copy
              into a spec; NAME... keeps only the entries of those names. SPEC is told
              from a NAME by its extension (.yaml, .yml, .json) or a /
  schema      print the JSON Schema of a spec (--report: of a JSON report)
  calibrate   kdump lab observations (lab/observations/*.json) → the calibrated qemu-q35
              catalogue block, or a fleet's kdump history (CSV/JSON) → odds with beta
              posterior intervals and a <profile>-fleet block; YAML to stdout or --out

${DECISION_USAGE}Options:
  --coordinator URL
                  base URL of a coordinator (http://host:port) for run, status, cancel, sweep,
                  crashkernel and sensitivity;
                  default $FLEETSIM_COORDINATOR (unset or empty: run simulates here);
                  $FLEETSIM_TOKEN, when set, is sent as its API token (Authorization: Bearer)
  --seed N        replace the spec's seed (an integer >= 0)
  --threads N     worker threads (default: available CPUs; never more than shards; embedded only)
  --shard-size N  servers per shard (default: the spec's run.shardSize, else sized by the plan)
  --out FILE      also write the report to FILE, in --format if given, else by extension
                  (.json json, .md markdown, .html a self-contained page with charts,
                  .csv one row per strategy and profile, anything else table); the
                  table still goes to stdout
  --format F      ${REPORT_FORMATS.join(' | ')} (default table); for status: table | json;
                  for trace: text | json; for catalogue: yaml | json
  --fail-if COND  run: exit 3 when COND holds (repeatable; added to the spec's thresholds).
                  COND is METRIC(STRATEGY[, PROFILE]) OP VALUE with OP < <= > >=, e.g.
                  'capture(whitelist) < 0.95', 'downtime_p95(fallback) > 10m',
                  'capture_vs_baseline(fallback) < 2pp'. Metrics: capture, capture_lower,
                  capture_upper, capture_vs_baseline, in_service, downtime_mean,
                  downtime_p50, downtime_p95, downtime_p99, boot_p95, lost_per_1000_year
  --server N      trace: the server's index in the fleet (0-based, fleet order)
  --profile P --index I
                  trace: the I-th server (0-based) of profile P, as the coordinator counts
  --event K       trace: the server's K-th event of that kind (default 0)
  --kind K        trace: crash | reboot (default crash; reboot when SPEC has only reboots)
  --strategy S    trace: print only strategy S

Exit status: 0 done; 1 internal or worker error, coordinator unreachable, experiment failed
or cancelled; 2 bad arguments, invalid spec, bad threshold or unknown experiment ID; 3 the
report was written but a threshold (--fail-if, spec thresholds) failed; 130 interrupted while
following a coordinator run (the experiment goes on there).
`;

type OptionKind = 'string' | 'boolean';

const OPTIONS = {
  seed: { type: 'string' },
  threads: { type: 'string' },
  'shard-size': { type: 'string' },
  out: { type: 'string' },
  format: { type: 'string' },
  'fail-if': { type: 'string' },
  coordinator: { type: 'string' },
  report: { type: 'boolean' },
  server: { type: 'string' },
  profile: { type: 'string' },
  index: { type: 'string' },
  event: { type: 'string' },
  kind: { type: 'string' },
  strategy: { type: 'string' },
  'target-oom': { type: 'string' },
  step: { type: 'string' },
  factor: { type: 'string' },
  'max-parameters': { type: 'string' },
  only: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies Record<string, { type: OptionKind; short?: string }>;

type OptionName = keyof typeof OPTIONS;

/** Options each command accepts, besides --help. */
const ALLOWED: Record<(typeof COMMANDS)[number], readonly OptionName[]> = {
  run: ['seed', 'threads', 'shard-size', 'out', 'format', 'coordinator', 'fail-if'],
  validate: ['seed', 'shard-size'],
  schema: ['report'],
  status: ['coordinator', 'format'],
  cancel: ['coordinator'],
  trace: ['server', 'profile', 'index', 'event', 'kind', 'strategy', 'format', 'seed'],
  catalogue: ['format'],
  calibrate: ['out'],
  ...DECISION_OPTIONS,
};

const COMMANDS = [
  'run',
  'validate',
  'schema',
  'status',
  'cancel',
  'trace',
  'catalogue',
  'calibrate',
  ...DECISION_COMMANDS,
] as const;

class ArgError extends Error {}

/**
 * Parses `process.argv.slice(2)`; `env` supplies {@link COORDINATOR_ENV}. Never
 * throws; refusals come back as `{ ok: false }`.
 */
export function parseCliArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): ParsedArgs {
  try {
    return { ok: true, command: parseOrThrow(argv, env) };
  } catch (e) {
    if (e instanceof ArgError) {
      return { ok: false, message: e.message };
    }
    throw e;
  }
}

function parseOrThrow(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Command {
  const { tokens } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const positionals: string[] = [];
  const values = new Map<OptionName, { raw: string; value: string | true }>();
  const failIf: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
    } else if (token.kind === 'option') {
      if (!Object.hasOwn(OPTIONS, token.name)) {
        throw new ArgError(
          `unknown option ${token.rawName}${didYouMean(
            token.rawName,
            Object.keys(OPTIONS).map((o) => `--${o}`),
          )}`,
        );
      }
      const name = token.name as OptionName;
      const display = `--${name}`;
      if (OPTIONS[name].type === 'boolean') {
        if (token.value !== undefined) {
          throw new ArgError(`${display} takes no value, got "${token.value}"`);
        }
        values.set(name, { raw: token.rawName, value: true });
      } else {
        // Non-strict parseArgs takes the next word whatever it is: `--threads --seed 3`
        // would read "--seed" as the thread count. Only `--opt=-x` may start with a dash.
        const value = token.value;
        if (value === undefined || (!token.inlineValue && /^-(?!\d)/.test(value))) {
          throw new ArgError(`${display} needs a value`);
        }
        values.set(name, { raw: token.rawName, value });
        if (name === 'fail-if') {
          failIf.push(value);
        }
      }
    }
  }

  const [commandName, ...operands] = positionals;
  if (values.has('version') && commandName === undefined) {
    return { kind: 'version' };
  }
  if (values.has('help') || commandName === undefined || commandName === 'help') {
    return { kind: 'help' };
  }
  if (!(COMMANDS as readonly string[]).includes(commandName)) {
    throw new ArgError(`unknown command "${commandName}"${didYouMean(commandName, COMMANDS)}`);
  }
  const command = commandName as (typeof COMMANDS)[number];
  for (const [name, { raw }] of values) {
    if (!ALLOWED[command].includes(name)) {
      throw new ArgError(`option ${raw} does not apply to "${command}"`);
    }
  }
  const str = (name: OptionName): string | undefined => {
    const v = values.get(name)?.value;
    return typeof v === 'string' ? v : undefined;
  };

  if (command === 'schema') {
    if (operands.length > 0) {
      throw new ArgError(`unexpected argument "${operands[0]}" for "schema"`);
    }
    return { kind: 'schema', report: values.has('report') };
  }
  if (command === 'catalogue') {
    return catalogueCommand(operands, str('format'));
  }

  if ((DECISION_COMMANDS as readonly string[]).includes(command)) {
    try {
      const coordinator = coordinatorUrl(str('coordinator'), env);
      const tokenValue = env[TOKEN_ENV];
      return parseDecisionCommand(
        command as (typeof DECISION_COMMANDS)[number],
        operands,
        (n) => str(n as OptionName),
        {
          ...(coordinator !== undefined ? { coordinator } : {}),
          ...(tokenValue ? { token: tokenValue } : {}),
          from: values.has('coordinator') ? '--coordinator' : COORDINATOR_ENV,
        },
      );
    } catch (e) {
      throw new ArgError((e as Error).message);
    }
  }
  if (command === 'calibrate') {
    if (operands.length === 0) {
      throw new ArgError('missing FILE: "calibrate" needs observation or fleet history files');
    }
    const out = str('out');
    return { kind: 'calibrate', files: operands, ...(out !== undefined ? { out } : {}) };
  }

  // `validate` and `trace` never talk to a coordinator: a stray variable must not break them.
  const coordinator =
    command === 'validate' || command === 'trace'
      ? undefined
      : coordinatorUrl(str('coordinator'), env);
  const tokenValue = env[TOKEN_ENV];
  const token = coordinator !== undefined && tokenValue ? { token: tokenValue } : {};
  if (command === 'status' || command === 'cancel') {
    if (coordinator === undefined) {
      throw new ArgError(`"${command}" needs --coordinator URL (or ${COORDINATOR_ENV})`);
    }
    const id = operands[0];
    if (id === undefined && command === 'cancel') {
      throw new ArgError('missing ID: "cancel" needs the id of an experiment');
    }
    if (operands.length > 1) {
      throw new ArgError(`unexpected argument "${operands[1]}" after ID`);
    }
    if (id !== undefined && !/^[A-Za-z0-9_.-]+$/.test(id)) {
      throw new ArgError(`experiment ID must be letters, digits, _ . -, got "${id}"`);
    }
    if (command === 'cancel') {
      return { kind: 'cancel', id: id!, coordinator, ...token };
    }
    const format = str('format') ?? 'table';
    if (!(STATUS_FORMATS as readonly string[]).includes(format)) {
      throw new ArgError(
        `--format for "status" must be one of ${STATUS_FORMATS.join(', ')}, got "${format}"`,
      );
    }
    return { kind: 'status', id, coordinator, ...token, format: format as StatusFormat };
  }

  const spec = operands[0];
  if (spec === undefined) {
    throw new ArgError(`missing SPEC: "${command}" needs the path of a spec file`);
  }
  if (operands.length > 1) {
    throw new ArgError(`unexpected argument "${operands[1]}" after SPEC`);
  }
  const seed = optionalInteger('--seed', str('seed'), 0);
  if (command === 'trace') {
    return traceCommand(spec, seed, str);
  }
  const shardSize = optionalInteger('--shard-size', str('shard-size'), 1);
  if (command === 'validate') {
    return { kind: 'validate', spec, seed, shardSize };
  }
  const format = str('format');
  if (format !== undefined && !isReportFormat(format)) {
    throw new ArgError(`--format must be one of ${REPORT_FORMATS.join(', ')}, got "${format}"`);
  }
  const out = str('out');
  if (out === '') {
    throw new ArgError('--out needs a file name');
  }
  const threads = optionalInteger('--threads', str('threads'), 1);
  if (coordinator !== undefined && threads !== undefined) {
    throw new ArgError(
      `--threads does not apply to a run on a coordinator (${values.has('coordinator') ? '--coordinator' : COORDINATOR_ENV} is set): its workers decide`,
    );
  }
  return {
    kind: 'run',
    spec,
    ...(coordinator !== undefined ? { coordinator } : {}),
    ...token,
    seed,
    threads,
    shardSize,
    out,
    format,
    ...(failIf.length > 0 ? { failIf } : {}),
  };
}

function traceCommand(
  spec: string,
  seed: number | undefined,
  str: (name: OptionName) => string | undefined,
): TraceCommand {
  const serverIndex = optionalInteger('--server', str('server'), 0);
  const profile = str('profile');
  const index = optionalInteger('--index', str('index'), 0);
  let server: ServerSelector;
  if (serverIndex !== undefined) {
    if (profile !== undefined || index !== undefined) {
      throw new ArgError(
        `--server names a server by its fleet index; --${profile !== undefined ? 'profile' : 'index'} does not go with it`,
      );
    }
    server = { by: 'server', server: serverIndex };
  } else if (profile !== undefined && index !== undefined) {
    server = { by: 'profile', profile, index };
  } else if (profile !== undefined) {
    throw new ArgError(`--profile needs --index I: which of the profile's servers`);
  } else if (index !== undefined) {
    throw new ArgError('--index needs --profile P: the I-th server of which profile');
  } else {
    throw new ArgError('"trace" needs --server N, or --profile P --index I');
  }
  const jobKind = str('kind');
  if (jobKind !== undefined && !(JOB_KINDS as readonly string[]).includes(jobKind)) {
    throw new ArgError(`--kind must be one of ${JOB_KINDS.join(', ')}, got "${jobKind}"`);
  }
  const format = str('format') ?? 'text';
  if (!(TRACE_FORMATS as readonly string[]).includes(format)) {
    throw new ArgError(
      `--format for "trace" must be one of ${TRACE_FORMATS.join(', ')}, got "${format}"`,
    );
  }
  const strategy = str('strategy');
  if (strategy === '') {
    throw new ArgError('--strategy needs a strategy name');
  }
  return {
    kind: 'trace',
    spec,
    server,
    event: optionalInteger('--event', str('event'), 0) ?? 0,
    ...(jobKind !== undefined ? { jobKind: jobKind as TraceCommand['jobKind'] } : {}),
    ...(strategy !== undefined ? { strategy } : {}),
    format: format as TraceFormat,
    seed,
  };
}

/** A spec file, not a catalogue name: names have no `/` and no .yaml/.yml/.json ending. */
export function looksLikeSpecFile(operand: string): boolean {
  return operand.includes('/') || /\.(ya?ml|json)$/i.test(operand);
}

function catalogueCommand(operands: string[], rawFormat: string | undefined): CatalogueCommand {
  const format = rawFormat ?? 'yaml';
  if (!(CATALOGUE_FORMATS as readonly string[]).includes(format)) {
    throw new ArgError(
      `--format for "catalogue" must be one of ${CATALOGUE_FORMATS.join(', ')}, got "${format}"`,
    );
  }
  const [first, ...rest] = operands;
  const spec = first !== undefined && looksLikeSpecFile(first) ? first : undefined;
  const names = spec === undefined ? operands : rest;
  const misplaced = names.find(looksLikeSpecFile);
  if (misplaced !== undefined) {
    throw new ArgError(
      `"${misplaced}" looks like a spec file; give SPEC first, then catalogue names`,
    );
  }
  return {
    kind: 'catalogue',
    ...(spec !== undefined ? { spec } : {}),
    names,
    format: format as CatalogueFormat,
  };
}

/**
 * The coordinator's base URL from --coordinator, else the environment; a bare
 * `host:port` means http. Undefined when neither is given (or the variable is empty).
 */
function coordinatorUrl(
  option: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const fromEnv = env[COORDINATOR_ENV]?.trim();
  const raw = option ?? (fromEnv ? fromEnv : undefined);
  if (raw === undefined) {
    return undefined;
  }
  const source = option !== undefined ? '--coordinator' : COORDINATOR_ENV;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ArgError(`${source} must be a URL such as http://localhost:3000, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ArgError(`${source} must be an http:// or https:// URL, got "${raw}"`);
  }
  if (url.search || url.hash) {
    throw new ArgError(`${source} must be a base URL without ?query or #fragment, got "${raw}"`);
  }
  return url.href.replace(/\/+$/, '');
}

/** A decimal integer ≥ `min` (safe range), or undefined when the option is absent. */
function optionalInteger(option: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) {
    return undefined;
  }
  const what = min === 1 ? 'a positive integer' : `an integer >= ${min}`;
  if (!/^-?\d+$/.test(raw.trim())) {
    throw new ArgError(`${option} must be ${what}, got "${raw}"`);
  }
  const n = Number(raw.trim());
  if (!Number.isSafeInteger(n) || n < min) {
    throw new ArgError(`${option} must be ${what}, got "${raw}"`);
  }
  return n;
}

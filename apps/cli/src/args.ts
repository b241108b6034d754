/**
 * The `fleetsim` command line: argv → a typed command, or a one-line message that
 * names the offending argument. Built on `node:util` parseArgs (tokens mode) so
 * every refusal is ours to word; nothing here touches the file system.
 */
import { parseArgs } from 'node:util';
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

/** `fleetsim schema [--report]`: print a JSON Schema. */
export interface SchemaCommand {
  kind: 'schema';
  report: boolean;
}

export type Command =
  | RunCommand
  | ValidateCommand
  | SchemaCommand
  | StatusCommand
  | CancelCommand
  | { kind: 'help' }
  | { kind: 'version' };

export type ParsedArgs = { ok: true; command: Command } | { ok: false; message: string };

export const USAGE = `fleetsim: simulate a server fleet crashing down the kdump path and compare reset strategies

Usage:
  fleetsim run SPEC [--seed N] [--threads N] [--shard-size N] [--out FILE] [--format FORMAT]
  fleetsim run SPEC --coordinator URL [--seed N] [--shard-size N] [--out FILE] [--format FORMAT]
  fleetsim status [ID] --coordinator URL [--format table|json]
  fleetsim cancel ID --coordinator URL
  fleetsim validate SPEC [--seed N] [--shard-size N]
  fleetsim schema [--report]
  fleetsim help | --help | -h
  fleetsim --version

Commands:
  run         simulate SPEC (YAML or JSON) on worker threads, print the strategy comparison;
              with --coordinator, submit it to a coordinator, follow its progress, and
              print the same report
  status      state, progress and ETA of experiment ID on a coordinator (no ID: all of them)
  cancel      cancel experiment ID on a coordinator: its pending shards are dropped
  validate    check SPEC; print its size, or every error with its line
  schema      print the JSON Schema of a spec (--report: of a JSON report)

Options:
  --coordinator URL
                  base URL of a coordinator (http://host:port) for run, status and cancel;
                  default $FLEETSIM_COORDINATOR (unset or empty: run simulates here);
                  $FLEETSIM_TOKEN, when set, is sent as its API token (Authorization: Bearer)
  --seed N        replace the spec's seed (an integer >= 0)
  --threads N     worker threads (default: available CPUs; never more than shards; embedded only)
  --shard-size N  servers per shard (default: the spec's run.shardSize, else sized by the plan)
  --out FILE      also write the report to FILE, in --format if given, else by extension
                  (.json json, .md markdown, .html a self-contained page with charts,
                  anything else table); the table still goes to stdout
  --format F      ${REPORT_FORMATS.join(' | ')} (default table); for status: table | json

Exit status: 0 done; 1 internal or worker error, coordinator unreachable, experiment failed
or cancelled; 2 bad arguments, invalid spec or unknown experiment ID; 130 interrupted while
following a coordinator run (the experiment goes on there).
`;

type OptionKind = 'string' | 'boolean';

const OPTIONS = {
  seed: { type: 'string' },
  threads: { type: 'string' },
  'shard-size': { type: 'string' },
  out: { type: 'string' },
  format: { type: 'string' },
  coordinator: { type: 'string' },
  report: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies Record<string, { type: OptionKind; short?: string }>;

type OptionName = keyof typeof OPTIONS;

/** Options each command accepts, besides --help. */
const ALLOWED: Record<'run' | 'validate' | 'schema' | 'status' | 'cancel', readonly OptionName[]> =
  {
    run: ['seed', 'threads', 'shard-size', 'out', 'format', 'coordinator'],
    validate: ['seed', 'shard-size'],
    schema: ['report'],
    status: ['coordinator', 'format'],
    cancel: ['coordinator'],
  };

const COMMANDS = ['run', 'validate', 'schema', 'status', 'cancel', 'help'] as const;

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
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
    } else if (token.kind === 'option') {
      if (!Object.hasOwn(OPTIONS, token.name)) {
        throw new ArgError(`unknown option ${token.rawName}`);
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
    throw new ArgError(`unknown command "${commandName}"`);
  }
  const command = commandName as (typeof COMMANDS)[number] & keyof typeof ALLOWED;
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

  // `validate` never talks to a coordinator: a stray variable must not break it.
  const coordinator = command === 'validate' ? undefined : coordinatorUrl(str('coordinator'), env);
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

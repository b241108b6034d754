/**
 * The `fleetsim` command line: argv → a typed command, or a one-line message that
 * names the offending argument. Built on `node:util` parseArgs (tokens mode) so
 * every refusal is ours to word; nothing here touches the file system.
 */
import { parseArgs } from 'node:util';
import { isReportFormat, REPORT_FORMATS, type ReportFormat } from './output-format';

/** `fleetsim run SPEC ...`: simulate a spec on worker threads. */
export interface RunCommand {
  kind: 'run';
  spec: string;
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

/** `fleetsim schema [--report]`: print a JSON Schema. */
export interface SchemaCommand {
  kind: 'schema';
  report: boolean;
}

export type Command =
  RunCommand | ValidateCommand | SchemaCommand | { kind: 'help' } | { kind: 'version' };

export type ParsedArgs = { ok: true; command: Command } | { ok: false; message: string };

export const USAGE = `fleetsim: simulate a server fleet crashing down the kdump path and compare reset strategies

Usage:
  fleetsim run SPEC [--seed N] [--threads N] [--shard-size N] [--out FILE] [--format FORMAT]
  fleetsim validate SPEC [--seed N] [--shard-size N]
  fleetsim schema [--report]
  fleetsim help | --help | -h
  fleetsim --version

Commands:
  run         simulate SPEC (YAML or JSON) on worker threads, print the strategy comparison
  validate    check SPEC; print its size, or every error with its line
  schema      print the JSON Schema of a spec (--report: of a JSON report)

Options:
  --seed N        replace the spec's seed (an integer >= 0)
  --threads N     worker threads (default: available CPUs; never more than shards)
  --shard-size N  servers per shard (default: the spec's run.shardSize, else sized by the plan)
  --out FILE      also write the report to FILE, in --format if given, else by extension
                  (.json json, .md markdown, anything else table); the table still goes to stdout
  --format F      ${REPORT_FORMATS.join(' | ')} (default table)

Exit status: 0 done, 1 internal or worker error, 2 bad arguments or invalid spec.
`;

type OptionKind = 'string' | 'boolean';

const OPTIONS = {
  seed: { type: 'string' },
  threads: { type: 'string' },
  'shard-size': { type: 'string' },
  out: { type: 'string' },
  format: { type: 'string' },
  report: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies Record<string, { type: OptionKind; short?: string }>;

type OptionName = keyof typeof OPTIONS;

/** Options each command accepts, besides --help. */
const ALLOWED: Record<'run' | 'validate' | 'schema', readonly OptionName[]> = {
  run: ['seed', 'threads', 'shard-size', 'out', 'format'],
  validate: ['seed', 'shard-size'],
  schema: ['report'],
};

const COMMANDS = ['run', 'validate', 'schema', 'help'] as const;

class ArgError extends Error {}

/** Parses `process.argv.slice(2)`. Never throws; refusals come back as `{ ok: false }`. */
export function parseCliArgs(argv: readonly string[]): ParsedArgs {
  try {
    return { ok: true, command: parseOrThrow(argv) };
  } catch (e) {
    if (e instanceof ArgError) {
      return { ok: false, message: e.message };
    }
    throw e;
  }
}

function parseOrThrow(argv: readonly string[]): Command {
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
  return {
    kind: 'run',
    spec,
    seed,
    threads: optionalInteger('--threads', str('threads'), 1),
    shardSize,
    out,
    format,
  };
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

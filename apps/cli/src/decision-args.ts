/**
 * Arguments of the multi-run commands — `sweep`, `crashkernel`, `sensitivity` —
 * kept apart from args.ts, which only registers them and calls here.
 */
import { isReportFormat, REPORT_FORMATS, type ReportFormat } from './output-format';

/** `fleetsim sweep SPEC`: run the spec at every point of its `sweep:` block. */
export interface SweepCommand {
  kind: 'sweep';
  spec: string;
  seed?: number;
  out?: string;
  format?: ReportFormat;
}

/** `fleetsim crashkernel SPEC [--target-oom R] [--step MIB]`: smallest crashkernel= per profile. */
export interface CrashkernelCommand {
  kind: 'crashkernel';
  spec: string;
  seed?: number;
  out?: string;
  format?: ReportFormat;
  targetOom: number;
  stepMiB: number;
}

/** `fleetsim sensitivity SPEC [--factor K] [--max-parameters N] [--only TEXT]`. */
export interface SensitivityCommand {
  kind: 'sensitivity';
  spec: string;
  seed?: number;
  out?: string;
  format?: ReportFormat;
  factor: number;
  maxParameters: number;
  only?: string[];
}

/** Where a decision's runs go: worker threads here, or a coordinator's node-workers. */
export interface DecisionRunner {
  /** Worker threads of an embedded run (default: available CPUs, never more than points). */
  threads?: number;
  /** Base URL of a coordinator: its node-workers run the points. */
  coordinator?: string;
  /** The coordinator's API token (FLEETSIM_TOKEN). */
  token?: string;
}

export type DecisionCommand = (SweepCommand | CrashkernelCommand | SensitivityCommand) &
  DecisionRunner;

export const DECISION_COMMANDS = ['sweep', 'crashkernel', 'sensitivity'] as const;

/** Options of each decision command (besides --help). */
export const DECISION_OPTIONS = {
  sweep: ['seed', 'out', 'format', 'threads', 'coordinator'],
  crashkernel: ['seed', 'out', 'format', 'target-oom', 'step', 'threads', 'coordinator'],
  sensitivity: [
    'seed',
    'out',
    'format',
    'factor',
    'max-parameters',
    'only',
    'threads',
    'coordinator',
  ],
} as const;

export const DECISION_USAGE = `  sweep       run SPEC at every point of its sweep: block (cartesian or zip), each point on
              the same crashes; a row per point and strategy, the target, line charts in HTML
  crashkernel per profile and strategy, the smallest crashkernel= whose capture-kernel OOM
              rate is below --target-oom (default 0.001) at 95 % confidence, found by real
              runs, as a crashkernel= value (range syntax by RAM), beside the kdumpctl-style sum
  sensitivity move every assumption the fleet uses to ÷K and ×K (--factor, default 2), one at a
              time on the same crashes; swing in each strategy's rate, ranking changes, tornado
              chart in HTML; --max-parameters N (default 40), --only TEXT[,TEXT] (path filter)
              These three run their points on --threads N worker threads (default: available
              CPUs), or with --coordinator URL on a coordinator's node-workers: the same
              document either way
`;

function number(
  option: string,
  raw: string | undefined,
  fallback: number,
  ok: (v: number) => boolean,
  what: string,
): number {
  if (raw === undefined) {
    return fallback;
  }
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || !ok(v)) {
    throw new Error(`${option} must be ${what}, got "${raw}"`);
  }
  return v;
}

/**
 * Parses a decision command's operands and options.
 * @throws Error with a one-line message for a bad argument
 */
export function parseDecisionCommand(
  command: (typeof DECISION_COMMANDS)[number],
  operands: readonly string[],
  str: (name: string) => string | undefined,
  remote: { coordinator?: string; token?: string; from?: string } = {},
): DecisionCommand {
  const spec = operands[0];
  if (spec === undefined) {
    throw new Error(`missing SPEC: "${command}" needs the path of a spec file`);
  }
  if (operands.length > 1) {
    throw new Error(`unexpected argument "${operands[1]}" after SPEC`);
  }
  const seedRaw = str('seed');
  const seed =
    seedRaw === undefined
      ? undefined
      : number('--seed', seedRaw, 0, (v) => Number.isSafeInteger(v) && v >= 0, 'an integer >= 0');
  const format = str('format');
  if (format !== undefined && !isReportFormat(format)) {
    throw new Error(`--format must be one of ${REPORT_FORMATS.join(', ')}, got "${format}"`);
  }
  const out = str('out');
  if (out === '') {
    throw new Error('--out needs a file name');
  }
  const threadsRaw = str('threads');
  const threads =
    threadsRaw === undefined
      ? undefined
      : number(
          '--threads',
          threadsRaw,
          1,
          (v) => Number.isInteger(v) && v >= 1 && v <= 1024,
          'a whole number 1..1024',
        );
  if (remote.coordinator !== undefined && threads !== undefined) {
    throw new Error(
      `--threads does not apply to points run on a coordinator (${remote.from ?? '--coordinator'} is set): its workers decide`,
    );
  }
  const common = {
    spec,
    ...(threads !== undefined ? { threads } : {}),
    ...(remote.coordinator !== undefined ? { coordinator: remote.coordinator } : {}),
    ...(remote.coordinator !== undefined && remote.token ? { token: remote.token } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(out !== undefined ? { out } : {}),
    ...(format !== undefined ? { format } : {}),
  };
  switch (command) {
    case 'sweep':
      return { kind: 'sweep', ...common };
    case 'crashkernel':
      return {
        kind: 'crashkernel',
        ...common,
        targetOom: number(
          '--target-oom',
          str('target-oom'),
          0.001,
          (v) => v > 0 && v < 1,
          'a rate between 0 and 1',
        ),
        stepMiB: number(
          '--step',
          str('step'),
          1,
          (v) => Number.isInteger(v) && v >= 1 && v <= 4096,
          'a whole number of MiB, 1..4096',
        ),
      };
    case 'sensitivity': {
      const only = str('only');
      return {
        kind: 'sensitivity',
        ...common,
        factor: number(
          '--factor',
          str('factor'),
          2,
          (v) => v > 1 && v <= 100,
          'a number above 1 (at most 100)',
        ),
        maxParameters: number(
          '--max-parameters',
          str('max-parameters'),
          40,
          (v) => Number.isInteger(v) && v >= 1 && v <= 1000,
          'a whole number 1..1000',
        ),
        ...(only !== undefined ? { only: only.split(',').filter((s) => s !== '') } : {}),
      };
    }
  }
}

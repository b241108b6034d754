/**
 * The commands that talk to a coordinator: `run --coordinator` (submit, follow
 * the progress, write the report exactly as an embedded run does), `status`
 * and `cancel`.
 */
import { extname } from 'node:path';
import { isMap, parseDocument } from 'yaml';
import { isFinished } from '../../../libs/fleet-contract/src/http-contract';
import { parseSpecText, type Report } from '../../../libs/kdump-core/src';
import type { CancelCommand, RunCommand, StatusCommand } from './args';
import { UsageError, type CliIo } from './cli-io';
import {
  CoordinatorClient,
  CoordinatorError,
  type ExperimentStatus,
  type SpecSubmission,
} from './coordinator-client';
import { planOutput } from './output-format';
import { DEFAULT_POLL, pollUntil, type PollOptions } from './poll-until';
import { formatDuration, ProgressBar } from './progress';
import { checkWritableDestination, writeReport } from './run-command';
import { formatSpecErrors, readSpecFile } from './spec-file';
import { checkThresholds, collectThresholds } from './threshold-check';

/** Exit code of a failed call: 2 when the user's input was refused, else 1. */
export function exitCodeOf(e: CoordinatorError): number {
  switch (e.kind) {
    case 'invalid-spec':
    case 'not-found':
    case 'refused':
      return 2;
    case 'unreachable':
    case 'server':
      return 1;
  }
}

/** `fleetsim run SPEC --coordinator URL`. */
export async function remoteRunCommand(
  cmd: RunCommand & { coordinator: string },
  io: CliIo,
  poll: PollOptions = DEFAULT_POLL,
): Promise<number> {
  const output = planOutput(cmd);
  if (output.file) {
    checkWritableDestination(output.file.path);
  }
  const read = await readSpecFile(cmd.spec);
  if (!read.ok) {
    throw new UsageError(read.message);
  }
  // Grammar now; names against the report (the coordinator resolves the spec).
  const parsedSpec = parseSpecText(read.text);
  const setup = collectThresholds(
    parsedSpec.ok ? parsedSpec.resolved.spec.thresholds : undefined,
    cmd.failIf,
  );
  if (!setup.ok) {
    io.err(setup.lines.map((l) => l + '\n').join(''));
    return 2;
  }
  const submission = specSubmission(cmd.spec, read.text, {
    seed: cmd.seed,
    shardSize: cmd.shardSize,
  });
  const client = new CoordinatorClient(cmd.coordinator, undefined, cmd.token);

  let experiment: ExperimentStatus;
  try {
    experiment = await client.submit(submission);
  } catch (e) {
    if (e instanceof CoordinatorError) {
      if (e.kind === 'invalid-spec' && e.specErrors.length > 0) {
        io.err(
          formatSpecErrors(
            cmd.spec,
            e.specErrors.map((x) => ({ ...x, path: x.path ?? '' })),
          )
            .map((l) => l + '\n')
            .join(''),
        );
      } else {
        io.err(`fleetsim: ${e.message}\n`);
      }
      return exitCodeOf(e);
    }
    throw e;
  }
  const id = experiment.id;
  io.err(`fleetsim: experiment ${id} submitted to ${client.baseUrl}\n`);

  const progress = io.progressStream
    ? new ProgressBar(io.progressStream, experiment.shards?.total ?? 0, experiment.servers ?? 0)
    : null;
  let interrupted = false;
  const wake = new Wake();
  const removeInterrupt = io.onInterrupt?.(() => {
    interrupted = true;
    wake.now();
  });
  progress?.start();
  let final: ExperimentStatus;
  try {
    final = await followExperiment(
      client,
      experiment,
      poll,
      wake,
      () => interrupted,
      (s) => {
        const done = s.shards?.done ?? 0;
        const total = s.shards?.total ?? 0;
        progress?.update({
          shardsDone: done,
          shardsTotal: total,
          serversDone: total > 0 ? Math.round(((s.servers ?? 0) * done) / total) : 0,
          etaSeconds: s.state === 'running' ? (s.etaSeconds ?? null) : null,
          label: s.state === 'running' ? undefined : s.state,
        });
      },
    );
  } catch (e) {
    progress?.stop();
    if (e instanceof CoordinatorError) {
      io.err(`fleetsim: ${e.message} (experiment ${id})\n`);
      return 1;
    }
    throw e;
  } finally {
    removeInterrupt?.();
  }
  progress?.stop();

  if (interrupted) {
    io.err(
      `fleetsim: interrupted; experiment ${id} goes on at ${client.baseUrl}` +
        ` (fleetsim status ${id} / fleetsim cancel ${id} --coordinator ${client.baseUrl})\n`,
    );
    return 130;
  }
  if (final.state === 'failed') {
    io.err(
      `fleetsim: experiment ${id} failed on the coordinator at ${client.baseUrl}` +
        `${final.error ? `: ${final.error}` : ''}\n`,
    );
    return 1;
  }
  if (final.state === 'cancelled') {
    io.err(`fleetsim: experiment ${id} was cancelled on the coordinator at ${client.baseUrl}\n`);
    return 1;
  }

  let report: Report;
  try {
    report = await fetchReport(client, id, poll);
  } catch (e) {
    if (e instanceof CoordinatorError) {
      io.err(`fleetsim: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  // The report as sent (key order and all), so its JSON is byte for byte the embedded one.
  const written = writeReport(report, output, io);
  return written !== 0 ? written : checkThresholds(report, setup.thresholds, io);
}

/** Polls until the experiment reaches a final state (or the user interrupts). */
function followExperiment(
  client: CoordinatorClient,
  first: ExperimentStatus,
  poll: PollOptions,
  wake: Wake,
  interrupted: () => boolean,
  onStatus: (s: ExperimentStatus) => void,
): Promise<ExperimentStatus> {
  return pollUntil(poll, {
    first,
    fetch: () => client.status(first.id),
    isFinal: (s) => isFinished(s.state),
    onStatus,
    sleep: (ms) => wake.after(ms),
    stopped: interrupted,
  });
}

/** The report; a 409 right after `done` (a coordinator still writing it) is retried briefly. */
async function fetchReport(
  client: CoordinatorClient,
  id: string,
  poll: PollOptions,
): Promise<Report> {
  const deadline = performance.now() + Math.max(5000, poll.maxMs * 5);
  for (;;) {
    try {
      return await client.report(id);
    } catch (e) {
      if (!(e instanceof CoordinatorError) || e.status !== 409 || performance.now() > deadline) {
        throw e;
      }
      await new Promise((r) => setTimeout(r, poll.initialMs));
    }
  }
}

/**
 * Runs a one-request command: a refusal or an unreachable coordinator is
 * printed and turned into its exit code; anything else propagates.
 */
async function oneRequest(io: CliIo, body: () => Promise<void>): Promise<number> {
  try {
    await body();
    return 0;
  } catch (e) {
    if (e instanceof CoordinatorError) {
      io.err(`fleetsim: ${e.message}\n`);
      return exitCodeOf(e);
    }
    throw e;
  }
}

/** `fleetsim status [ID]`. */
export function statusCommand(cmd: StatusCommand, io: CliIo): Promise<number> {
  const client = new CoordinatorClient(cmd.coordinator, undefined, cmd.token);
  return oneRequest(io, async () => {
    if (cmd.id === undefined) {
      const list = await client.list();
      io.out(
        cmd.format === 'json'
          ? JSON.stringify(list, null, 2) + '\n'
          : formatExperimentList(list, client.baseUrl),
      );
      return;
    }
    const status = await client.status(cmd.id);
    io.out(cmd.format === 'json' ? JSON.stringify(status, null, 2) + '\n' : formatStatus(status));
  });
}

/** `fleetsim cancel ID`. */
export function cancelCommand(cmd: CancelCommand, io: CliIo): Promise<number> {
  const client = new CoordinatorClient(cmd.coordinator, undefined, cmd.token);
  return oneRequest(io, async () => {
    const after = await client.cancel(cmd.id);
    const shards = ` (${after.shards.done}/${after.shards.total} shards had been merged)`;
    io.out(`experiment ${cmd.id}: ${after.state}${shards}\n`);
  });
}

/** What the status formatters need of an experiment (the rest shows when given). */
export type StatusLines = Pick<ExperimentStatus, 'id' | 'name' | 'state' | 'servers' | 'shards'> &
  Partial<ExperimentStatus>;

/** One experiment, one `key  value` line each. */
export function formatStatus(s: StatusLines): string {
  const rows: Array<[string, string]> = [
    ['experiment', s.name ? `${s.id} (${s.name})` : s.id],
    ['state', s.state],
    ['shards', shardText(s)],
    ['servers', formatCount(s.servers)],
  ];
  if (typeof s.jobsPerSecond === 'number' && s.state === 'running') {
    rows.push(['rate', `${formatCount(Math.round(s.jobsPerSecond))} jobs/s`]);
  }
  if (typeof s.etaSeconds === 'number' && s.state === 'running') {
    rows.push(['ETA', formatDuration(s.etaSeconds)]);
  }
  if (s.error) {
    rows.push(['error', s.error]);
  }
  for (const [key, value] of [
    ['created', s.createdAt],
    ['started', s.startedAt],
    ['finished', s.finishedAt],
  ] as const) {
    if (value) {
      rows.push([key, value]);
    }
  }
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => k.padEnd(width) + v + '\n').join('');
}

/** Every experiment, one row each, newest first as the coordinator sends them. */
export function formatExperimentList(list: readonly StatusLines[], baseUrl: string): string {
  if (list.length === 0) {
    return `no experiments on ${baseUrl}\n`;
  }
  const header = ['ID', 'NAME', 'STATE', 'SHARDS', 'SERVERS', 'CREATED'];
  const rows = list.map((s) => [
    s.id,
    s.name ?? '',
    s.state,
    shardText(s),
    formatCount(s.servers),
    s.createdAt ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map(
      (r) =>
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd() + '\n',
    )
    .join('');
}

function shardText(s: StatusLines): string {
  const done = s.shards?.done ?? 0;
  const total = s.shards?.total ?? 0;
  const pct = total > 0 ? ` (${((100 * done) / total).toFixed(1)} %)` : '';
  return `${done}/${total}${pct}`;
}

function formatCount(n: number | undefined | null): string {
  return typeof n === 'number' ? n.toLocaleString('en-US') : '-';
}

/**
 * The spec as the coordinator gets it: the file's own text and type, with
 * `--seed` and `--shard-size` written into it (YAML keeps its comments and
 * lines; JSON is re-serialised).
 */
export function specSubmission(
  file: string,
  text: string,
  overrides: { seed?: number; shardSize?: number },
): SpecSubmission {
  const json = extname(file).toLowerCase() === '.json' || parsesAsJson(text);
  const wanted = overrides.seed !== undefined || overrides.shardSize !== undefined;
  if (json) {
    if (!wanted) {
      return { text, contentType: 'application/json' };
    }
    let spec: unknown;
    try {
      spec = JSON.parse(text);
    } catch {
      // Let the coordinator say what is wrong with it.
      return { text, contentType: 'application/json' };
    }
    if (spec !== null && typeof spec === 'object' && !Array.isArray(spec)) {
      const obj = spec as Record<string, unknown>;
      if (overrides.seed !== undefined) {
        obj.seed = overrides.seed;
      }
      if (overrides.shardSize !== undefined) {
        const run = obj.run;
        obj.run = {
          ...(run !== null && typeof run === 'object' ? run : {}),
          shardSize: overrides.shardSize,
        };
      }
    }
    return { text: JSON.stringify(spec, null, 2) + '\n', contentType: 'application/json' };
  }
  if (!wanted) {
    return { text, contentType: 'application/yaml' };
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isMap(doc.contents)) {
    return { text, contentType: 'application/yaml' };
  }
  if (overrides.seed !== undefined) {
    doc.set('seed', overrides.seed);
  }
  if (overrides.shardSize !== undefined) {
    const run = doc.get('run');
    if (run !== undefined && !isMap(run)) {
      // Not a mapping: leave it, the coordinator will name the error.
      return { text: String(doc), contentType: 'application/yaml' };
    }
    doc.setIn(['run', 'shardSize'], overrides.shardSize);
  }
  return { text: String(doc), contentType: 'application/yaml' };
}

function parsesAsJson(text: string): boolean {
  if (!/^\s*[{[]/.test(text)) {
    return false;
  }
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A sleep that an interrupt can cut short. */
class Wake {
  private pending: (() => void) | null = null;

  after(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending = null;
        resolve();
      }, ms);
      this.pending = () => {
        clearTimeout(timer);
        this.pending = null;
        resolve();
      };
    });
  }

  now(): void {
    this.pending?.();
  }
}

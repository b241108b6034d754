/**
 * `fleetsim sweep`, `fleetsim crashkernel`, `fleetsim sensitivity`: the
 * multi-run questions. Each loads the spec and drives its decision's batches
 * of points (decision-runs.ts) on worker threads here, or on a coordinator
 * (`--coordinator`): one batch experiment per batch, its points run by the
 * node-workers. The document is built here from the points' reports either
 * way, so it is the same bytes. A progress line per point goes to stderr when
 * it is a terminal.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  checkCrashkernelOptions,
  checkSensitivityOptions,
  checkSweep,
  compileExperiment,
  crashkernelSteps,
  PointError,
  renderCrashkernel,
  renderSensitivity,
  renderSweep,
  resolvePoint,
  runExperiment,
  runSteps,
  sensitivitySteps,
  shardPlan,
  SpecPathError,
  sweepSteps,
  type DecisionSteps,
  type PointRequest,
  type Refusable,
  type Refusal,
  type Report,
  type ResolvedSpec,
} from '../../../libs/kdump-core/src';
import type { DecisionCommand } from './decision-args';
import type { CliIo } from './cli-io';
import { UsageError } from './cli-io';
import { CoordinatorError } from './coordinator-client';
import { planOutput, type ReportFormat } from './output-format';
import { PointPool, spawnPointWorker } from './point-pool';
import { remotePointRunner } from './remote-decisions';
import { checkWritableDestination } from './run-command';
import { loadSpecForCommand } from './spec-file';

/** The formats a multi-run document renders in (CSV is for `fleetsim run`'s report). */
type DecisionFormat = Exclude<ReportFormat, 'csv'>;

/** Threads when --threads is not given: the CPUs, when the compiled worker is there to start. */
function defaultThreads(): number {
  return existsSync(join(__dirname, 'point-worker.js')) ? availableParallelism() : 1;
}

export async function decisionCommand(cmd: DecisionCommand, io: CliIo): Promise<number> {
  const output = planOutput(cmd);
  if (output.stdout === 'csv' || output.file?.format === 'csv') {
    throw new UsageError(
      `--format csv (or an --out .csv file) is for fleetsim run; fleetsim ${cmd.kind} writes table, json, markdown or html`,
    );
  }
  const stdoutFormat = output.stdout;
  if (output.file) {
    checkWritableDestination(output.file.path);
  }
  const loaded = await loadSpecForCommand(cmd.spec, cmd.seed, io);
  if (typeof loaded === 'number') {
    return loaded;
  }
  const { resolved } = loaded;
  const progress = (text: string) => io.progressStream?.write(`\r\x1b[2K${text}`);
  // Every argument and the sweep block are checked before the first run.
  const refuse = (refusal: Refusal): number => {
    io.err(
      refusal.code === 'invalid-sweep'
        ? (refusal.problems ?? [refusal.message]).map((p) => `${cmd.spec}: ${p}\n`).join('')
        : `fleetsim ${cmd.kind}: ${refusal.message}\n`,
    );
    return 2;
  };
  // Then the spec's run.shardSize, which cuts every run's fleet (as `fleetsim run` refuses it).
  const firstRefusal = (checked: Refusable<unknown>): Refusal | null => {
    if (!checked.ok) {
      return checked.refusal;
    }
    const plan = shardPlan(compileExperiment(resolved));
    return plan.ok ? null : plan.refusal;
  };
  let done = 0;
  const onPoint = (request: PointRequest) =>
    progress(`${cmd.kind}: run ${++done} (${request.label})`);

  let render: (format: DecisionFormat) => string;
  let pool: PointPool | null = null;
  const threads = cmd.threads ?? defaultThreads();
  const drive = async <T>(steps: DecisionSteps<T>): Promise<T> => {
    if (cmd.coordinator !== undefined) {
      const remote = remotePointRunner(cmd.spec, loaded.text, cmd, io, onPoint);
      return runSteps(steps, (requests) => remote.run(requests));
    }
    return runSteps(steps, async (requests) => {
      if (threads === 1 || requests.length === 1) {
        return runHere(resolved, requests, onPoint);
      }
      pool ??= new PointPool(threads, () =>
        spawnPointWorker({ specText: loaded.text, seed: cmd.seed }),
      );
      return pool.run(requests, onPoint);
    });
  };
  try {
    switch (cmd.kind) {
      case 'sweep': {
        const def = resolved.spec.sweep;
        if (!def) {
          io.err(
            `${cmd.spec}: no sweep: block (see README "Sweeps"); fleetsim run runs the spec as written\n`,
          );
          return 2;
        }
        const refusal = firstRefusal(checkSweep(resolved, def));
        if (refusal) {
          return refuse(refusal);
        }
        const doc = await drive(sweepSteps(resolved, def));
        render = (f) => renderSweep(doc, f);
        break;
      }
      case 'crashkernel': {
        const options = { targetOom: cmd.targetOom, stepMiB: cmd.stepMiB };
        const refusal = firstRefusal(checkCrashkernelOptions(resolved, options));
        if (refusal) {
          return refuse(refusal);
        }
        const doc = await drive(crashkernelSteps(resolved, options));
        render = (f) => renderCrashkernel(doc, f);
        break;
      }
      case 'sensitivity': {
        const options = {
          factor: cmd.factor,
          maxParameters: cmd.maxParameters,
          ...(cmd.only ? { only: cmd.only } : {}),
        };
        const refusal = firstRefusal(checkSensitivityOptions(options));
        if (refusal) {
          return refuse(refusal);
        }
        const doc = await drive(sensitivitySteps(resolved, options));
        render = (f) => renderSensitivity(doc, f);
        break;
      }
    }
  } catch (e) {
    // Refusals were checked above; what is left comes from a point's run.
    if (e instanceof PointError || e instanceof SpecPathError) {
      io.err(`fleetsim ${cmd.kind}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof CoordinatorError) {
      io.err(`fleetsim ${cmd.kind}: ${e.message}\n`);
      return e.kind === 'invalid-spec' || e.kind === 'refused' ? 2 : 1;
    }
    throw e;
  } finally {
    progress('');
    await (pool as PointPool | null)?.close();
  }
  if (output.file) {
    try {
      writeFileSync(output.file.path, render(output.file.format as DecisionFormat));
    } catch (e) {
      io.err(`fleetsim: cannot write --out "${output.file.path}": ${(e as Error).message}\n`);
      return 1;
    }
  }
  io.out(render(stdoutFormat as DecisionFormat));
  return 0;
}

/** A batch in this thread, point after point. */
function runHere(
  resolved: ResolvedSpec,
  requests: readonly PointRequest[],
  onPoint: (request: PointRequest) => void,
): Report[] {
  return requests.map((request) => {
    const report = runExperiment(resolvePoint(resolved, request)).report;
    onPoint(request);
    return report;
  });
}

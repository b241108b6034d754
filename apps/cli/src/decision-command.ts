/**
 * `fleetsim sweep`, `fleetsim crashkernel`, `fleetsim sensitivity`: the
 * multi-run questions. Each loads the spec, runs its experiments embedded (one
 * after another in this thread, on the same crashes), and writes its own
 * document in the format asked for. A progress line per run goes to stderr
 * when it is a terminal.
 */
import { writeFileSync } from 'node:fs';
import {
  checkCrashkernelOptions,
  checkSensitivityOptions,
  checkSweep,
  compileExperiment,
  renderCrashkernel,
  renderSensitivity,
  renderSweep,
  runSensitivity,
  runSweep,
  shardPlan,
  sizeCrashkernel,
  type Refusable,
  type Refusal,
} from '../../../libs/kdump-core/src';
import type { DecisionCommand } from './decision-args';
import type { CliIo } from './cli-io';
import { UsageError } from './cli-io';
import { planOutput, type ReportFormat } from './output-format';
import { checkWritableDestination } from './run-command';
import { loadSpecForCommand } from './spec-file';

/** The formats a multi-run document renders in (CSV is for `fleetsim run`'s report). */
type DecisionFormat = Exclude<ReportFormat, 'csv'>;

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
  let render: (format: DecisionFormat) => string;
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
        const checked = checkSweep(resolved, def);
        const refusal = firstRefusal(checked);
        if (refusal) {
          return refuse(refusal);
        }
        const doc = runSweep(resolved, def, {
          onPoint: (done, total) => progress(`sweep: point ${done}/${total}`),
        });
        render = (f) => renderSweep(doc, f);
        break;
      }
      case 'crashkernel': {
        let runs = 0;
        const options = {
          targetOom: cmd.targetOom,
          stepMiB: cmd.stepMiB,
          onRun: (profile: string, mib: number) =>
            progress(`crashkernel: run ${++runs} (${profile} at ${mib} MiB)`),
        };
        const checked = checkCrashkernelOptions(resolved, options);
        const refusal = firstRefusal(checked);
        if (refusal) {
          return refuse(refusal);
        }
        const doc = sizeCrashkernel(resolved, options);
        render = (f) => renderCrashkernel(doc, f);
        break;
      }
      case 'sensitivity': {
        const options = {
          factor: cmd.factor,
          maxParameters: cmd.maxParameters,
          ...(cmd.only ? { only: cmd.only } : {}),
          onRun: (done: number, total: number, path: string | null) =>
            progress(`sensitivity: run ${done}/${total}${path ? ` (${path})` : ' (base)'}`),
        };
        const checked = checkSensitivityOptions(options);
        const refusal = firstRefusal(checked);
        if (refusal) {
          return refuse(refusal);
        }
        const doc = runSensitivity(resolved, options);
        render = (f) => renderSensitivity(doc, f);
        break;
      }
    }
  } finally {
    progress('');
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

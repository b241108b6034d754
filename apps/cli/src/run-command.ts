/**
 * `fleetsim run`: validate the spec, plan the shards, simulate them on worker
 * threads, and write the report where the options say.
 */
import { statSync, writeFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import {
  buildReport,
  couplingLayout,
  compileExperiment,
  defaultShardSize,
  FleetEngine,
  rolloutPlanOf,
  shardPlan,
  type Aggregate,
  type CompiledExperiment,
  type Report,
} from '../../../libs/kdump-core/src';
import type { RunCommand } from './args';
import { UsageError, type CliIo } from './cli-io';
import { planOutput, renderReport, type OutputPlan } from './output-format';
import { ProgressBar } from './progress';
import { loadSpecForCommand } from './spec-file';
import { runShardsOnThreads, spawnShardWorker } from './thread-pool';
import { checkThresholds, collectThresholds } from './threshold-check';
import { fleetsimVersion } from '../../../libs/fleet-platform/src/version';

export async function runCommand(cmd: RunCommand, io: CliIo): Promise<number> {
  const output = planOutput(cmd);
  if (output.file) {
    checkWritableDestination(output.file.path);
  }
  const loaded = await loadSpecForCommand(cmd.spec, cmd.seed, io);
  if (typeof loaded === 'number') {
    return loaded;
  }

  const started = performance.now();
  const model = compileExperiment(loaded.resolved);
  const setup = collectThresholds(loaded.resolved.spec.thresholds, cmd.failIf, {
    strategies: model.strategies.map((s) => s.name),
    profiles: model.profiles.map((p) => p.name),
  });
  if (!setup.ok) {
    io.err(setup.lines.map((l) => l + '\n').join(''));
    return 2;
  }
  const wantedThreads = cmd.threads ?? availableParallelism();
  const shardSize = embeddedShardSize(model, cmd.shardSize, wantedThreads);
  const plan = shardPlan(model, shardSize);
  if (!plan.ok) {
    throw new UsageError(
      `${cmd.shardSize !== undefined ? '--shard-size: ' : ''}${plan.refusal.message}`,
    );
  }
  const tasks = plan.value;
  const threads = Math.min(wantedThreads, tasks.length);
  const layout = new FleetEngine(model).layout;

  const progress = io.progressStream
    ? new ProgressBar(io.progressStream, tasks.length, model.servers)
    : null;
  progress?.start();
  let aggregate: Aggregate;
  try {
    aggregate = await runShardsOnThreads(tasks, {
      threads: Math.max(1, threads),
      layout,
      rollout: rolloutPlanOf(model),
      coupling: couplingLayout(model),
      spawn: () => spawnShardWorker({ specText: loaded.text, seed: cmd.seed }),
      onShardDone: (t) => progress?.shardDone(t.serverEnd - t.serverStart),
    });
  } finally {
    progress?.stop();
  }
  const wallSeconds = Math.round(performance.now() - started) / 1000;

  const report: Report = buildReport(model, aggregate, {
    wallSeconds,
    threads,
    shards: tasks.length,
    // Servers per shard as run: a plan of one short shard reports its real size, and a
    // plan that runs shards on to the end of a failure domain its longest shard.
    shardSize: tasks.reduce((most, t) => Math.max(most, t.serverEnd - t.serverStart), 1),
    host: hostname(),
    mode: 'embedded',
    fleetsimVersion: fleetsimVersion(),
  });
  const written = writeReport(report, output, io);
  return written !== 0 ? written : checkThresholds(report, setup.thresholds, io);
}

/**
 * Servers per shard of an embedded run: `--shard-size`, else the spec's
 * run.shardSize, else the plan's default cut finer so that about eight shards
 * per thread keep the threads busy to the end and move the progress bar
 * smoothly. Results do not depend on the cut.
 */
export function embeddedShardSize(
  model: CompiledExperiment,
  shardSize: number | undefined,
  threads: number,
): number {
  return (
    shardSize ??
    model.resolved.spec.run?.shardSize ??
    Math.min(defaultShardSize(model), Math.ceil(model.servers / (threads * 8)))
  );
}

/**
 * Writes a finished run's report where `output` says: the file first (if any),
 * then stdout. Embedded and coordinator runs share it, so both write the same.
 */
export function writeReport(report: Report, output: OutputPlan, io: CliIo): number {
  if (output.file) {
    try {
      writeFileSync(output.file.path, renderReport(report, output.file.format));
    } catch (e) {
      io.err(`fleetsim: cannot write --out "${output.file.path}": ${(e as Error).message}\n`);
      return 1;
    }
    if (io.progressStream) {
      io.err(`fleetsim: ${output.file.format} report written to ${output.file.path}\n`);
    }
  }
  io.out(renderReport(report, output.stdout));
  return 0;
}

/** Refuses an --out whose directory is missing, or that is a directory, before a long run. */
export function checkWritableDestination(file: string): void {
  const target = resolve(file);
  const stat = statSync(target, { throwIfNoEntry: false });
  if (stat?.isDirectory()) {
    throw new UsageError(`--out "${file}" is a directory`);
  }
  const dir = statSync(dirname(target), { throwIfNoEntry: false });
  if (!dir?.isDirectory()) {
    throw new UsageError(`--out "${file}": directory ${dirname(target)} does not exist`);
  }
}

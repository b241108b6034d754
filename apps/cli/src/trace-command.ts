/**
 * `fleetsim trace`: one crash or reboot of one server, simulated here (no
 * coordinator, no Redis) by the same engine call a node-worker makes for the
 * coordinator's `POST /servers/:profile/:index/crash|reboot`, so the JSON is
 * the trace the coordinator answers with.
 */
import {
  compileExperiment,
  FleetEngine,
  traceServerJob,
  type JobKind,
  type JobTrace,
  type ResolvedSpec,
} from '../../../libs/kdump-core/src';
import { fleetServer } from '../../../libs/fleet-platform/src/fleet-server';
import type { ServerSelector, TraceCommand } from './args';
import { UsageError, type CliIo } from './cli-io';
import { loadSpecForCommand } from './spec-file';
import { formatTrace } from './trace-format';

export async function traceCommand(cmd: TraceCommand, io: CliIo): Promise<number> {
  const loaded = await loadSpecForCommand(cmd.spec, cmd.seed, io);
  if (typeof loaded === 'number') {
    return loaded;
  }
  const { resolved } = loaded;
  const server = serverIndex(resolved, cmd.server);
  const names = resolved.strategies.map((s) => s.name);
  if (cmd.strategy !== undefined && !names.includes(cmd.strategy)) {
    throw new UsageError(
      `--strategy "${cmd.strategy}" is not a strategy of this spec (its strategies: ${names.join(', ')})`,
    );
  }
  const kind: JobKind = cmd.jobKind ?? (resolved.spec.events.crash ? 'crash' : 'reboot');
  const engine = new FleetEngine(compileExperiment(resolved));
  if (!resolved.spec.events[kind]) {
    throw new UsageError(`--kind ${kind}: the spec has no ${kind} events`);
  }
  const traced = traceServerJob(engine, server, kind, cmd.event);
  if (!traced.ok) {
    const { code, events, message } = traced.refusal;
    switch (code) {
      case 'no-events':
        // Counts drawn from a rate: this server drew none.
        throw new UsageError(`${selectorText(cmd.server)}: server ${server} has no ${kind} events`);
      case 'no-such-event':
        throw new UsageError(
          `--event ${cmd.event}: server ${server} has ${events} ${kind} event(s) (0..${events - 1})`,
        );
      case 'server-outside-fleet':
        throw new UsageError(`${selectorText(cmd.server)}: ${message}`);
    }
  }
  const trace = onlyStrategy(traced.value, cmd.strategy);
  io.out(
    cmd.format === 'json'
      ? JSON.stringify(trace, null, 2) + '\n'
      : formatTrace(trace, { experiment: resolved.spec.name, seed: resolved.spec.seed }),
  );
  return 0;
}

/** The fleet index of the selected server; a server the fleet does not have is a bad argument. */
export function serverIndex(resolved: ResolvedSpec, selector: ServerSelector): number {
  if (selector.by === 'server') {
    if (selector.server >= resolved.servers) {
      throw new UsageError(
        `--server ${selector.server} is outside the fleet of ${resolved.servers} servers (0..${resolved.servers - 1})`,
      );
    }
    return selector.server;
  }
  const found = fleetServer(resolved.spec.fleet, selector.profile, selector.index);
  if (!found.ok) {
    const option = found.reason === 'unknown-profile' ? '--profile' : '--index';
    throw new UsageError(`${option}: ${found.message}`);
  }
  return found.server;
}

/** The options that named the server, as the user gave them. */
function selectorText(selector: ServerSelector): string {
  return selector.by === 'server'
    ? `--server ${selector.server}`
    : `--profile ${selector.profile} --index ${selector.index}`;
}

/** The trace with only `strategy`'s outcome (all of them when undefined). */
export function onlyStrategy(trace: JobTrace, strategy: string | undefined): JobTrace {
  return strategy === undefined
    ? trace
    : { ...trace, strategies: trace.strategies.filter((s) => s.strategy === strategy) };
}

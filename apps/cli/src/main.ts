/**
 * `fleetsim`: the command line of the kdump fleet simulator: runs a spec
 * embedded (worker threads, no Redis) or on a coordinator.
 *
 * Contract with apps/cli/bin/fleetsim.js: {@link main} takes argv without the
 * node binary and script, resolves to the exit code, and never calls
 * process.exit. Run directly (`node dist/apps/cli/src/main.js`), it runs itself.
 */
import { reportJsonSchema, specJsonSchema } from '../../../libs/kdump-core/src';
import { parseCliArgs, USAGE, type Command } from './args';
import { processIo, UsageError, type CliIo } from './cli-io';
import { calibrateCommand } from './calibrate-command';
import { cancelCommand, remoteRunCommand, statusCommand } from './remote-commands';
import { runCommand } from './run-command';
import { WorkerFailure } from './thread-pool';
import { validateCommand } from './validate-command';
import { catalogueCommand } from './catalogue-command';
import { traceCommand } from './trace-command';
import { decisionCommand } from './decision-command';
import { fleetsimVersion } from '../../../libs/fleet-platform/src/version';

const USAGE_HINT = '(see fleetsim --help)';

/** Runs one fleetsim command; resolves to the exit code (0 ok, 1 internal, 2 usage or spec). */
export async function main(
  argv: string[],
  io: CliIo = processIo(),
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  ignoreBrokenPipe();
  const parsed = parseCliArgs(argv, env);
  if (!parsed.ok) {
    io.err(`fleetsim: ${parsed.message} ${USAGE_HINT}\n`);
    return 2;
  }
  try {
    return await dispatch(parsed.command, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`fleetsim: ${e.message} ${USAGE_HINT}\n`);
      return 2;
    }
    if (e instanceof WorkerFailure) {
      io.err(`fleetsim: ${e.message}\n`);
      return 1;
    }
    io.err(`fleetsim: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

async function dispatch(command: Command, io: CliIo): Promise<number> {
  switch (command.kind) {
    case 'help':
      io.out(USAGE);
      return 0;
    case 'version':
      io.out(`fleetsim ${fleetsimVersion()}\n`);
      return 0;
    case 'schema':
      io.out(
        JSON.stringify(command.report ? reportJsonSchema() : specJsonSchema(), null, 2) + '\n',
      );
      return 0;
    case 'validate':
      return validateCommand(command, io);
    case 'trace':
      return traceCommand(command, io);
    case 'catalogue':
      return catalogueCommand(command, io);
    case 'run':
      return command.coordinator !== undefined
        ? remoteRunCommand({ ...command, coordinator: command.coordinator }, io)
        : runCommand(command, io);
    case 'status':
      return statusCommand(command, io);
    case 'cancel':
      return cancelCommand(command, io);
    case 'calibrate':
      return calibrateCommand(command, io);
    case 'sweep':
    case 'crashkernel':
    case 'sensitivity':
      return decisionCommand(command, io);
  }
}

let pipeGuarded = false;

/** `fleetsim schema | head` closes stdout early: stop quietly rather than crash on EPIPE. */
function ignoreBrokenPipe(): void {
  if (pipeGuarded) {
    return;
  }
  pipeGuarded = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') {
      throw e;
    }
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(
        `fleetsim: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
      process.exitCode = 1;
    },
  );
}

import 'reflect-metadata';
import { Logger, type INestApplication, type LoggerService, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { existsSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { ConfigError } from '../../../libs/fleet-platform/src';
import { FleetLogger } from '../../../libs/fleet-platform/src/logger';
import { AppModule } from './app.module';
import { ShardWorkerService } from './shard-worker.service';
import { readWorkerConfig, type WorkerConfig } from './worker.config';

export interface StartOptions {
  /** Exit 0 after a graceful stop on SIGTERM/SIGINT (default true; tests say false). */
  handleSignals?: boolean;
  logger?: LoggerService | LogLevel[] | false;
}

/**
 * Starts the node-worker: `/health` and `/metrics` first (so a port clash
 * fails before any job is taken), then the shard worker.
 */
export async function startWorkerApp(
  config: WorkerConfig,
  options: StartOptions = {},
): Promise<INestApplication> {
  if (!existsSync(config.processorFile)) {
    throw new Error(
      `the sandboxed processor ${config.processorFile} does not exist: build first (npm run build)`,
    );
  }
  const app = await NestFactory.create(AppModule.forRoot(config), {
    abortOnError: false,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  if (options.handleSignals ?? true) {
    // useProcessExit: exit 0 once the hooks ran, instead of re-raising the signal.
    app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  }
  try {
    await app.listen(config.metricsPort);
    app.get(ShardWorkerService).start();
  } catch (err) {
    await app.close();
    throw err;
  }
  return app;
}

/** The port `/metrics` and `/health` listen on. */
export function listeningPort(app: INestApplication): number {
  return (app.getHttpServer().address() as AddressInfo).port;
}

async function main(): Promise<void> {
  const config = readWorkerConfig(process.env);
  const app = await startWorkerApp(config, { logger: new FleetLogger(config.logFormat) });
  Logger.log(`/health and /metrics on port ${listeningPort(app)}`, 'NodeWorker');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    const message =
      err instanceof ConfigError
        ? `invalid configuration: ${err.message}`
        : err instanceof Error
          ? err.message
          : String(err);
    console.error(`node-worker: ${message}`);
    process.exit(1);
  });
}

import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError } from '../../../libs/fleet-platform/src/config';
import { FleetLogger } from '../../../libs/fleet-platform/src/logger';
import { createCoordinatorApp, listeningPort } from './app.factory';
import { describeRedis, readCoordinatorConfig } from './config/coordinator.config';

/** Reads the configuration, starts the coordinator, stops it gracefully on SIGTERM/SIGINT. */
export async function bootstrap(): Promise<void> {
  const config = readCoordinatorConfig(process.env);
  const app = await createCoordinatorApp(config, { logger: new FleetLogger(config.logFormat) });
  // useProcessExit: exit 0 once the hooks ran (the merge worker closed), instead of re-raising the signal.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  await app.listen(config.port, config.host);
  Logger.log(
    `listening on ${config.host} port ${listeningPort(app)} (OpenAPI at /docs); Redis ${describeRedis(config.redis)}, queue prefix ${config.queuePrefix}`,
    'Coordinator',
  );
  if (config.access.writeToken === null) {
    Logger.warn(
      `no API_TOKEN: anyone who reaches ${config.host}:${listeningPort(app)} may submit, cancel and use the queue UI` +
        (config.host === '127.0.0.1' || config.host === '::1' || config.host === 'localhost'
          ? ' (listening on loopback only; set API_TOKEN, or HOST to listen elsewhere)'
          : ` (HOST=${config.host} was asked for; set API_TOKEN)`),
      'Coordinator',
    );
  } else {
    Logger.log(
      `API_TOKEN set: mutations, traces and the queue UI need it; reads ${config.access.reads === 'public' ? 'are public (API_READS=public)' : `need it${config.access.readToken ? ' or API_READ_TOKEN' : ''}`}`,
      'Coordinator',
    );
  }
}

if (require.main === module) {
  bootstrap().catch((err: unknown) => {
    const message =
      err instanceof ConfigError
        ? `invalid configuration: ${err.message}`
        : err instanceof Error
          ? err.message
          : String(err);
    console.error(`coordinator: ${message}`);
    process.exit(1);
  });
}

import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError } from '../../../libs/fleet-platform/src/config';
import { createCoordinatorApp, listeningPort } from './app.factory';
import { describeRedis, readCoordinatorConfig } from './config/coordinator.config';

/** Reads the configuration, starts the coordinator, stops it gracefully on SIGTERM/SIGINT. */
export async function bootstrap(): Promise<void> {
  const config = readCoordinatorConfig(process.env);
  const app = await createCoordinatorApp(config);
  // useProcessExit: exit 0 once the hooks ran (the merge worker closed), instead of re-raising the signal.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  await app.listen(config.port);
  Logger.log(
    `listening on port ${listeningPort(app)} (OpenAPI at /docs); Redis ${describeRedis(config.redis)}, queue prefix ${config.queuePrefix}`,
    'Coordinator',
  );
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

import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { AppModule } from './app.module';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from './config/coordinator.config';
import { fleetsimVersion } from '../../../libs/fleet-platform/src/version';
import { RedisUnavailableFilter } from './filters/redis-unavailable.filter';
import {
  accessMiddleware,
  originMiddleware,
  securityHeaders,
} from './middleware/access.middleware';
import { mountQueueUi } from './queue-ui';
import { QueueRepository } from './repositories/queue.repository';

export interface CoordinatorAppOptions {
  logger?: LoggerService | LogLevel[] | false;
}

/** Options the app must be created with: no JSON body parser (specs are read as text, so their errors carry lines). */
export const NEST_APP_OPTIONS = { bodyParser: false, abortOnError: false } as const;

/**
 * What every coordinator app gets after creation: security headers, the token
 * check (API_TOKEN), cross-origin refusals and CORS (CORS_ORIGINS), slow-client
 * timeouts, Redis outages as 503, OpenAPI at `/docs`, and the queue UI at
 * `/queues` unless QUEUE_UI=off. The order matters: the checks come before
 * anything that answers, the queue UI included.
 */
export function configureCoordinatorApp(app: INestApplication): INestApplication {
  app.useGlobalFilters(new RedisUnavailableFilter(app.getHttpAdapter()));
  const config = app.get<CoordinatorConfig>(COORDINATOR_CONFIG);
  (app.getHttpAdapter().getInstance() as { disable(setting: string): void }).disable(
    'x-powered-by',
  );
  app.use(securityHeaders);
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type'],
      maxAge: 600,
    });
  }
  const guard = accessMiddleware(config.access);
  if (guard) {
    app.use(guard);
  }
  app.use(originMiddleware(config.corsOrigins));
  const server = app.getHttpServer() as Server;
  server.headersTimeout = config.headersTimeoutMs;
  server.requestTimeout = config.requestTimeoutMs;
  if (config.queueUi !== 'off') {
    const queues = app.get(QueueRepository);
    mountQueueUi(app, [queues.shards, queues.traces, queues.experiments], config.queueUi);
  }
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('kdump-fleet-sim coordinator')
      .setDescription(
        'Submit fleet experiments (the same specs as `fleetsim run`), follow their progress, read their reports, and fire single crash or reboot jobs. Shards run on node-workers over BullMQ.',
      )
      .setVersion(fleetsimVersion())
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  return app;
}

/** The coordinator app, configured but not listening. `main` and the tests build it the same way. */
export async function createCoordinatorApp(
  config: CoordinatorConfig,
  options: CoordinatorAppOptions = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(config), {
    ...NEST_APP_OPTIONS,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  return configureCoordinatorApp(app);
}

/** The port an app listens on. */
export function listeningPort(app: INestApplication): number {
  return (app.getHttpServer().address() as AddressInfo).port;
}

import {
  Module,
  RequestMethod,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { nestPath, ROUTES } from '../../../libs/fleet-contract/src/http-contract';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from './config/coordinator.config';
import { BatchController } from './controllers/batch.controller';
import { ExperimentController } from './controllers/experiment.controller';
import { HealthController } from './controllers/health.controller';
import { MetricsController } from './controllers/metrics.controller';
import { ServerController } from './controllers/server.controller';
import { SpecBodyMiddleware } from './middleware/spec-body.middleware';
import { BatchRepository } from './repositories/batch.repository';
import { ExperimentRepository } from './repositories/experiment.repository';
import { MetricsRepository } from './repositories/metrics.repository';
import { QueueRepository } from './repositories/queue.repository';
import { RedisErrorLog } from '../../../libs/fleet-platform/src/redis-error-log';
import { RedisRepository } from './repositories/redis.repository';
import { WorkerRepository } from './repositories/worker.repository';
import { ExperimentModels } from './services/experiment-models.service';
import { DataLossWatch } from './services/data-loss.service';
import { BatchService } from './services/batch.service';
import { ExperimentService } from './services/experiment.service';
import { FlowService } from './services/flow.service';
import { HealthService } from './services/health.service';
import { MetricsService } from './services/metrics.service';
import { ServerJobService } from './services/server-job.service';
import { SpecParser } from './services/spec-parser.service';

/** Adapters to Redis, BullMQ and Prometheus: every side effect of the coordinator. */
export const repositories = [
  RedisErrorLog,
  RedisRepository,
  ExperimentRepository,
  BatchRepository,
  QueueRepository,
  WorkerRepository,
  MetricsRepository,
];

export const services = [
  ExperimentModels,
  DataLossWatch,
  ExperimentService,
  BatchService,
  FlowService,
  ServerJobService,
  SpecParser,
  HealthService,
  MetricsService,
];

/** The coordinator: experiments API, flow planning and merging, metrics. */
@Module({})
export class AppModule implements NestModule {
  static forRoot(config: CoordinatorConfig): DynamicModule {
    return {
      module: AppModule,
      controllers: [
        ExperimentController,
        BatchController,
        ServerController,
        HealthController,
        MetricsController,
      ],
      providers: [{ provide: COORDINATOR_CONFIG, useValue: config }, ...repositories, ...services],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(SpecBodyMiddleware)
      .forRoutes(
        { path: nestPath(ROUTES.submitExperiment), method: RequestMethod.POST },
        { path: nestPath(ROUTES.submitBatch), method: RequestMethod.POST },
        { path: nestPath(ROUTES.crashServer), method: RequestMethod.POST },
        { path: nestPath(ROUTES.rebootServer), method: RequestMethod.POST },
      );
  }
}

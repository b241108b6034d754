import { Module, type DynamicModule } from '@nestjs/common';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { RedisErrorLog } from '../../../libs/fleet-platform/src/redis-error-log';
import { RedisHealth } from './redis-health.service';
import { ShardWorkerService } from './shard-worker.service';
import { WORKER_CONFIG, type WorkerConfig } from './worker.config';
import { WorkerMetrics } from './worker.metrics';

/** The node-worker: the BullMQ shard worker, plus `/health` and `/metrics`. */
@Module({})
export class AppModule {
  static forRoot(config: WorkerConfig): DynamicModule {
    return {
      module: AppModule,
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        RedisErrorLog,
        RedisHealth,
        WorkerMetrics,
        ShardWorkerService,
      ],
    };
  }
}

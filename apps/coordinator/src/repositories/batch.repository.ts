import { Inject, Injectable } from '@nestjs/common';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config/coordinator.config';
import type { BatchRecord } from '../domain/batch';
import { CoordinatorStore } from './coordinator-store';
import { RedisRepository } from './redis.repository';

/** How long a batch's record is kept (its points' experiments follow KEEP_EXPERIMENTS). */
const BATCH_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Batches under the coordinator's key base:
 * `<prefix>:coordinator:batch:<id>` string — the {@link BatchRecord} as JSON,
 * expiring after a week. Written once, after every point's experiment exists.
 */
@Injectable()
export class BatchRepository extends CoordinatorStore {
  constructor(@Inject(COORDINATOR_CONFIG) config: CoordinatorConfig, connection: RedisRepository) {
    super(config, connection);
  }

  private key(id: string): string {
    return `${this.base}:batch:${id}`;
  }

  async create(rec: BatchRecord): Promise<void> {
    this.connection.assertReady();
    await this.redis.set(this.key(rec.id), JSON.stringify(rec), 'EX', BATCH_TTL_SECONDS);
  }

  async get(id: string): Promise<BatchRecord | null> {
    this.connection.assertReady();
    return this.getJson<BatchRecord>(this.key(id));
  }
}

import type { Redis } from 'ioredis';
import type { CoordinatorConfig } from '../config/coordinator.config';
import type { RedisRepository } from './redis.repository';

/** The coordinator's key base under a queue prefix. */
export function coordinatorKeyBase(queuePrefix: string): string {
  return `${queuePrefix}:coordinator`;
}

/**
 * What the repositories of the coordinator's own keys (experiments, batches)
 * share: the store connection, the key base `<prefix>:coordinator`, and
 * reading a key that holds JSON text.
 */
export abstract class CoordinatorStore {
  protected readonly redis: Redis;
  protected readonly base: string;

  protected constructor(
    config: CoordinatorConfig,
    protected readonly connection: RedisRepository,
  ) {
    this.redis = connection.client;
    this.base = coordinatorKeyBase(config.queuePrefix);
  }

  /** The JSON text at `key`, parsed; null when there is no such key. */
  protected async getJson<T>(key: string): Promise<T | null> {
    const text = await this.redis.get(key);
    return text === null ? null : (JSON.parse(text) as T);
  }
}

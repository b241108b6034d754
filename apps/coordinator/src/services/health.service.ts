import { Injectable } from '@nestjs/common';
import type { Health } from '../../../../libs/fleet-contract/src/http-contract';
import { RedisRepository } from '../repositories/redis.repository';

/** Whether the coordinator can do its job: Redis answers PING within a second. */
@Injectable()
export class HealthService {
  constructor(private readonly redis: RedisRepository) {}

  async check(timeoutMs = 1000): Promise<Health> {
    const result = await this.redis.ping(timeoutMs);
    return result.up
      ? { status: 'ok', redis: 'up' }
      : { status: 'error', redis: 'down', message: result.message };
  }
}

import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { RedisHealth } from './redis-health.service';

export interface HealthOk {
  status: 'ok';
  redis: 'up';
}

/** Body of the 503 when Redis does not answer. */
export interface HealthDown {
  status: 'error';
  redis: 'down';
  message: string;
}

@Controller()
export class HealthController {
  constructor(private readonly redis: RedisHealth) {}

  /** 200 when Redis answers PING within a second, else 503 with the reason. */
  @Get('health')
  async health(): Promise<HealthOk> {
    const status = await this.redis.check();
    if (!status.up) {
      const body: HealthDown = { status: 'error', redis: 'down', message: status.message };
      throw new ServiceUnavailableException(body);
    }
    return { status: 'ok', redis: 'up' };
  }
}

import { Catch, HttpStatus, Logger, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { ServerResponse } from 'node:http';
import { isRedisUnavailable } from '../domain/redis-unavailable';

/**
 * Redis being down is a 503 with the reason, not a 500: the request can be
 * retried once ioredis has reconnected. Everything else goes to Nest's default.
 */
@Catch()
export class RedisUnavailableFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (!isRedisUnavailable(exception)) {
      super.catch(exception, host);
      return;
    }
    const message = (exception as Error).message;
    this.logger.warn(`503: ${message}`);
    const res = host.switchToHttp().getResponse<ServerResponse>();
    if (res.headersSent) {
      res.end();
      return;
    }
    res.statusCode = HttpStatus.SERVICE_UNAVAILABLE;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Retry-After', '5');
    res.end(
      JSON.stringify({
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        message: `Redis is unavailable: ${message}`,
        error: 'Service Unavailable',
      }),
    );
  }
}

import { Injectable, Logger } from '@nestjs/common';

/**
 * Logs Redis connection errors without flooding: while Redis is down, ioredis
 * and BullMQ report the same error on every reconnect attempt. Each distinct
 * message is logged once a minute at most; a line says when Redis answers again.
 */
@Injectable()
export class RedisErrorLog {
  private readonly logger = new Logger('Redis');
  private readonly lastLogged = new Map<string, number>();
  private down = false;
  private readonly intervalMs = 60_000;

  /** Reports an error from `source` (a connection, the merge worker, the queue events). */
  error(source: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const now = Date.now();
    this.down = true;
    const last = this.lastLogged.get(message);
    if (last !== undefined && now - last < this.intervalMs) {
      return;
    }
    this.lastLogged.set(message, now);
    this.logger.warn(`${source}: ${message} (reconnecting; repeats are logged once a minute)`);
  }

  /** A connection answers again. */
  recovered(source: string): void {
    if (this.down) {
      this.down = false;
      this.lastLogged.clear();
      this.logger.log(`${source}: Redis answers again`);
    }
  }
}

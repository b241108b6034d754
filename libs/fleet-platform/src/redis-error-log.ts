import { Injectable, Logger } from '@nestjs/common';

/**
 * Logs the errors of the Redis connections (health client, BullMQ worker,
 * metrics queue) without flooding: while Redis is down, ioredis and BullMQ
 * report the same error on every reconnect attempt. Each distinct message is
 * logged once, then again at most once a minute; a line says when Redis
 * answers again.
 */
@Injectable()
export class RedisErrorLog {
  private readonly logger = new Logger('Redis');
  private readonly lastLogged = new Map<string, number>();
  private down = false;
  private readonly intervalMs = 60_000;

  /** Reports an error from `source` (the health client, the worker, the metrics queue). */
  error(source: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const now = Date.now();
    const last = this.lastLogged.get(message);
    this.down = true;
    if (last !== undefined && now - last < this.intervalMs) {
      return;
    }
    if (this.lastLogged.size >= 100) {
      // Messages that name a job are all distinct: forget the old ones.
      for (const [text, at] of this.lastLogged) {
        if (now - at >= this.intervalMs) {
          this.lastLogged.delete(text);
        }
      }
    }
    this.lastLogged.set(message, now);
    this.logger.warn(
      `${source}: ${message} (repeats of this message are not logged for ${Math.round(this.intervalMs / 1000)} s)`,
    );
  }

  /** Redis answers again. */
  recovered(source: string): void {
    if (this.down) {
      this.down = false;
      this.lastLogged.clear();
      this.logger.log(`${source}: Redis answers again`);
    }
  }
}

import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RedisErrorLog } from '../../../libs/fleet-platform/src/redis-error-log';
import { describeRedis, WORKER_CONFIG, type WorkerConfig } from './worker.config';

/** Redis answers PING within this time, or the worker reports it down. */
export const HEALTH_PING_TIMEOUT_MS = 1000;

export type RedisStatus = { up: true } | { up: false; message: string };

/**
 * Whether Redis answers, on a small connection of its own (the BullMQ worker's
 * connections block on BRPOPLPUSH-style commands and never give up, so they
 * cannot tell "down" from "idle").
 */
@Injectable()
export class RedisHealth implements OnApplicationShutdown {
  private readonly client: Redis;
  private lastError: string | undefined;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly errorLog: RedisErrorLog,
  ) {
    this.client = new Redis({
      ...config.redis,
      connectionName: 'fleetsim-worker-health',
      // A PING queued while disconnected fails after one reconnect attempt
      // instead of piling up until Redis is back.
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    this.client.on('error', (err: Error) => {
      this.lastError = err.message;
      errorLog.error('health check connection', err);
    });
    this.client.on('ready', () => {
      this.lastError = undefined;
      errorLog.recovered('health check connection');
    });
  }

  /** PINGs Redis, waiting at most {@link HEALTH_PING_TIMEOUT_MS}. Never throws. */
  async check(): Promise<RedisStatus> {
    const where = describeRedis(this.config.redis);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer to PING within ${HEALTH_PING_TIMEOUT_MS} ms`)),
        HEALTH_PING_TIMEOUT_MS,
      );
    });
    try {
      const reply = await Promise.race([this.client.ping(), timeout]);
      return reply === 'PONG'
        ? { up: true }
        : { up: false, message: `Redis at ${where} answered PING with ${String(reply)}` };
    } catch (err) {
      const reason = this.lastError ?? (err instanceof Error ? err.message : String(err));
      return { up: false, message: `Redis at ${where} is not answering: ${reason}` };
    } finally {
      clearTimeout(timer);
    }
  }

  onApplicationShutdown(): void {
    this.client.disconnect();
  }
}

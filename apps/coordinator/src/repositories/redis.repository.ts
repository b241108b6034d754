import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { RedisConnectionOptions } from '../../../../libs/fleet-platform/src/config';
import {
  COORDINATOR_CONFIG,
  describeRedis,
  type CoordinatorConfig,
} from '../config/coordinator.config';
import { RedisUnavailableError } from '../domain/redis-unavailable';
import { RedisErrorLog } from '../../../../libs/fleet-platform/src/redis-error-log';

/** Reconnect quickly at first, then every 2 s: the API answers 503 meanwhile. */
const retryStrategy = (times: number): number => Math.min(200 * times, 2000);

/** Options of a non-blocking connection that gives up on a command after one reconnect. */
export function commandConnection(redis: RedisConnectionOptions): Omit<
  RedisConnectionOptions,
  'maxRetriesPerRequest'
> & {
  maxRetriesPerRequest: number;
  retryStrategy: typeof retryStrategy;
} {
  return { ...redis, maxRetriesPerRequest: 1, retryStrategy };
}

export type HealthResult = { up: true } | { up: false; message: string };

/**
 * The coordinator's own Redis connections: one for its keys (experiments,
 * results), one for health checks that never queues a command while down.
 */
@Injectable()
export class RedisRepository implements OnApplicationShutdown {
  /** Commands on the coordinator's keys. */
  readonly client: Redis;
  private readonly probe: Redis;
  private lastError = 'not connected yet';
  /** An error since the last `ready`: fail fast instead of queueing commands. */
  private down = false;
  readonly where: string;

  constructor(
    @Inject(COORDINATOR_CONFIG) config: CoordinatorConfig,
    private readonly errorLog: RedisErrorLog,
  ) {
    this.where = describeRedis(config.redis);
    this.client = new Redis({ ...commandConnection(config.redis), connectionName: 'coordinator' });
    this.probe = new Redis({
      ...config.redis,
      connectionName: 'coordinator-health',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy,
    });
    for (const [source, client] of [
      ['store', this.client],
      ['health', this.probe],
    ] as const) {
      client.on('error', (err: Error) => {
        this.lastError = err.message;
        this.down = true;
        this.errorLog.error(source, err);
      });
      client.on('ready', () => {
        this.down = false;
        this.errorLog.recovered(source);
      });
    }
  }

  /** Whether the store connection is up right now. */
  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /**
   * Fails fast with the reason when Redis is known to be down. While the first
   * connection is still being made, commands wait for it.
   */
  assertReady(): void {
    if (this.down && !this.ready) {
      throw new RedisUnavailableError(`Redis at ${this.where} is unreachable: ${this.lastError}`);
    }
  }

  /** PING with a timeout. */
  async ping(timeoutMs: number): Promise<HealthResult> {
    if (this.probe.status !== 'ready' && this.down) {
      return { up: false, message: `Redis at ${this.where} is unreachable: ${this.lastError}` };
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      if (this.probe.status !== 'ready') {
        // Still making the first connection: give it the time of a PING.
        await Promise.race([
          new Promise((resolve) => this.probe.once('ready', resolve)),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(this.lastError)), timeoutMs);
          }),
        ]);
        clearTimeout(timer);
      }
      const answer = await Promise.race([
        this.probe.ping(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer to PING within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
      return answer === 'PONG'
        ? { up: true }
        : { up: false, message: `Redis at ${this.where} answered PING with ${answer}` };
    } catch (err) {
      return {
        up: false,
        message: `Redis at ${this.where} is unreachable: ${(err as Error).message}`,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.client, this.probe].map((c) => quit(c)));
  }
}

/** QUIT when connected, else just drop the connection (QUIT would wait for Redis). */
export async function quit(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // fall through
    }
  }
  client.disconnect();
}

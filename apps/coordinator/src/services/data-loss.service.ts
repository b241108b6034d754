import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config/coordinator.config';
import {
  ExperimentRepository,
  type ExperimentSummary,
} from '../repositories/experiment.repository';
import { RedisRepository } from '../repositories/redis.repository';
import { RedisErrorLog } from '../../../../libs/fleet-platform/src/redis-error-log';

/** The error of an experiment whose data Redis lost. */
export const DATA_LOSS_REASON =
  'Redis lost its data (restarted without persistence?) while the experiment ran; resubmit it';

/**
 * Notices that Redis lost its data (a restart without persistence, a flush)
 * and fails the experiments that were active then, so that they end `failed`
 * with a reason instead of vanishing (404) or hanging.
 *
 * The coordinator writes an epoch key (a random value, SET NX) and remembers
 * it, with the queued and running experiments (id, name, size: no spec). On
 * every reconnect and every DATA_LOSS_CHECK_MS it reads the epoch again: a
 * different value (or none) means the data went, and every experiment it
 * remembered gets a failed record with {@link DATA_LOSS_REASON}. Their flows
 * went with the data: no job is left to wait for; a shard a worker was running
 * then fails to complete (its job is gone) and is dropped.
 */
@Injectable()
export class DataLossWatch implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DataLoss');
  private epoch: string | null = null;
  /** Queued and running experiments as last seen, by id. */
  private readonly active = new Map<string, ExperimentSummary>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private readonly onReady = (): void => void this.check();

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly experiments: ExperimentRepository,
    private readonly connection: RedisRepository,
    private readonly errorLog: RedisErrorLog,
  ) {}

  onApplicationBootstrap(): void {
    this.connection.client.on('ready', this.onReady);
    this.timer = setInterval(this.onReady, this.config.dataLossCheckMs);
    this.timer.unref();
    void this.check();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.connection.client.off('ready', this.onReady);
  }

  /** Remembers an experiment just submitted. */
  track(e: ExperimentSummary): void {
    this.active.set(e.id, {
      id: e.id,
      name: e.name,
      servers: e.servers,
      shardsTotal: e.shardsTotal,
      shardSize: e.shardSize,
      createdAt: e.createdAt,
    });
  }

  /** Whether `id` is remembered as queued or running. */
  isTracked(id: string): boolean {
    return this.active.has(id);
  }

  /** One check; concurrent calls share the one under way. */
  check(): Promise<void> {
    this.running ??= this.checkOnce()
      .catch((e: unknown) => this.errorLog.error('data-loss check', e))
      .finally(() => (this.running = null));
    return this.running;
  }

  private async checkOnce(): Promise<void> {
    if (!this.connection.ready) {
      return;
    }
    const current = await this.experiments.epoch(randomUUID());
    if (this.epoch !== null && current !== this.epoch) {
      this.epoch = current;
      await this.failRemembered();
      return;
    }
    this.epoch = current;
    await this.refresh();
  }

  /** Brings the remembered experiments in line with Redis. */
  private async refresh(): Promise<void> {
    const ids = new Set(await this.experiments.activeIds());
    for (const id of this.active.keys()) {
      if (!ids.has(id)) {
        this.active.delete(id);
      }
    }
    const unknown = [...ids].filter((id) => !this.active.has(id));
    for (const summary of await this.experiments.summaries(unknown)) {
      this.active.set(summary.id, summary);
    }
  }

  private async failRemembered(): Promise<void> {
    const lost = [...this.active.values()];
    this.logger.error(
      `Redis lost its data (the epoch key changed): failing ${lost.length} experiment(s) that were queued or running`,
    );
    const now = Date.now();
    for (const e of lost) {
      if (await this.experiments.recreateFailed(e, DATA_LOSS_REASON, now)) {
        this.logger.warn({
          message: `experiment ${e.id} failed: ${DATA_LOSS_REASON}`,
          experimentId: e.id,
        });
      }
      this.active.delete(e.id);
    }
  }
}

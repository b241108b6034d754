import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config/coordinator.config';
import {
  COORDINATOR_JOB_NAMES,
  EXPERIMENT_QUEUE,
  type CoordinatorJobName,
} from '../domain/flow-jobs';
import { closeWithin } from './queue.repository';
import { RedisErrorLog } from '../../../../libs/fleet-platform/src/redis-error-log';
import { RedisRepository } from './redis.repository';

export type JobHandlers = Record<CoordinatorJobName, (job: Job) => Promise<unknown>>;

/**
 * The coordinator's BullMQ worker on the experiment queue: runs the plan gates
 * and the merges. Each job name has exactly one handler; a job of another name
 * fails without retry.
 */
@Injectable()
export class WorkerRepository implements BeforeApplicationShutdown {
  private readonly logger = new Logger('MergeWorker');
  private worker: Worker | undefined;

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly errorLog: RedisErrorLog,
    private readonly redis: RedisRepository,
  ) {}

  /**
   * Starts taking jobs.
   * @param onFailed called after every failed attempt, with whether it was the last one
   */
  start(handlers: JobHandlers, onFailed: (job: Job, err: Error, final: boolean) => void): void {
    if (this.worker) {
      throw new Error('the merge worker is already running');
    }
    for (const name of COORDINATOR_JOB_NAMES) {
      if (typeof handlers[name] !== 'function') {
        throw new Error(`no handler for coordinator job "${name}"`);
      }
    }
    const worker = new Worker(
      EXPERIMENT_QUEUE,
      async (job: Job) => {
        const handler = (handlers as Partial<Record<string, (job: Job) => Promise<unknown>>>)[
          job.name
        ];
        if (!handler) {
          throw new UnrecoverableError(`the coordinator has no handler for job "${job.name}"`);
        }
        return handler(job);
      },
      {
        connection: this.config.redis,
        prefix: this.config.queuePrefix,
        concurrency: 4,
        // A restarted coordinator takes over a merge its predecessor was running
        // within about half a minute.
        lockDuration: 20_000,
        stalledInterval: 10_000,
        maxStalledCount: 2,
      },
    );
    worker.on('failed', (job, err) => {
      if (!job) {
        return;
      }
      const final =
        err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
      onFailed(job, err, final);
    });
    worker.on('error', (err) => this.errorLog.error('merge worker', err));
    worker.on('ready', () => this.errorLog.recovered('merge worker'));
    this.worker = worker;
  }

  /** Lets the running merges finish (a while), then lets go. */
  async beforeApplicationShutdown(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) {
      // With Redis down there is nothing to finish: let go at once.
      await closeWithin(worker, this.redis.ready ? 15_000 : 200);
      this.logger.debug('closed');
    }
  }
}

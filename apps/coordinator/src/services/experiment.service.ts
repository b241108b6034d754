import {
  BadRequestException,
  ConflictException,
  GoneException,
  Inject,
  Injectable,
  InternalServerErrorException,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import { hostname } from 'node:os';
import {
  buildReport,
  compileExperiment,
  formatReportMarkdown,
  renderReportHtml,
  shardPlan,
  type Report,
  type ResolvedSpec,
  type ShardTask,
  type SpecError,
} from '../../../../libs/kdump-core/src';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config/coordinator.config';
import { experimentView, newExperimentId, type ExperimentRecord } from '../domain/experiment';
import {
  ACTIVE_STATES,
  isActive,
  type ExperimentView,
  type SpecErrorsBody,
} from '../../../../libs/fleet-contract/src/http-contract';
import { SHARD_CHUNK } from '../domain/flow-jobs';
import { withRedisTimeout } from '../domain/redis-unavailable';
import { fleetsimVersion } from '../../../../libs/fleet-platform/src/version';
import { ExperimentRepository } from '../repositories/experiment.repository';
import { QueueRepository } from '../repositories/queue.repository';
import { DataLossWatch } from './data-loss.service';
import { ExperimentModels } from './experiment-models.service';
import { FlowService } from './flow.service';
import { SpecParser } from './spec-parser.service';

/** How long a request waits for BullMQ before answering 503. */
const QUEUE_TIMEOUT_MS = 10_000;
/** A flow that has not shown up this long after its record was written never will. */
const FLOW_GRACE_MS = 60_000;

export function specErrors(message: string, errors: SpecError[]): BadRequestException {
  return new BadRequestException({ statusCode: 400, message, errors } satisfies SpecErrorsBody);
}

/** 1-based line of the first top-level `key:` (YAML) or `"key":` (JSON) in the text. */
export function lineOfKey(text: string, key: string): number | undefined {
  const pattern = new RegExp(`^\\s*(?:"${key}"|'${key}'|${key})\\s*:`);
  const i = text.split('\n').findIndex((line) => pattern.test(line));
  return i < 0 ? undefined : i + 1;
}

/** Parses `?shardSize=`; a malformed one is a 400 naming it. */
export function parseShardSize(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') {
    return undefined;
  }
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) {
    throw specErrors('invalid shardSize', [
      { path: 'shardSize', message: `shardSize must be a positive integer, got "${raw}"` },
    ]);
  }
  return Number(raw);
}

/** A spec checked and cut into shards, ready to submit. */
export interface PlannedExperiment {
  resolved: ResolvedSpec;
  shards: ShardTask[];
}

/** Experiments: submit, look, report, cancel. */
@Injectable()
export class ExperimentService {
  private readonly logger = new Logger('Experiments');

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly experiments: ExperimentRepository,
    private readonly queues: QueueRepository,
    private readonly models: ExperimentModels,
    private readonly flow: FlowService,
    private readonly parser: SpecParser,
    private readonly dataLoss: DataLossWatch,
  ) {}

  /**
   * Validates a spec (YAML or JSON text), plans its shards and enqueues its flow.
   * Nothing is written or enqueued for an invalid spec.
   */
  async create(text: string, shardSizeRaw?: string): Promise<ExperimentView> {
    const requestedShardSize = parseShardSize(shardSizeRaw);
    if (text.trim() === '') {
      throw specErrors('the body is empty: send the experiment spec as YAML or JSON', [
        { path: '', message: 'empty spec' },
      ]);
    }
    const resolved = await this.parse(text);
    const view = await this.submit(this.plan(resolved, text, requestedShardSize));
    await this.pruneFinished();
    return view;
  }

  /**
   * Parses and resolves a spec (YAML or JSON text).
   * @param pathPrefix put before the path of each error (`spec: ` in a batch)
   * @throws BadRequestException with every spec error
   */
  async parse(text: string, pathPrefix = ''): Promise<ResolvedSpec> {
    const parsed = await this.parser.parse(text);
    if (!parsed.ok) {
      throw specErrors(
        `invalid spec: ${parsed.errors.length} error(s); nothing was enqueued`,
        pathPrefix === ''
          ? parsed.errors
          : parsed.errors.map((e) => ({ ...e, path: `${pathPrefix}${e.path}` })),
      );
    }
    return parsed.resolved;
  }

  /**
   * Checks that a resolved spec can run here (fleet size, shard plan) and plans
   * its shards; nothing is written.
   * @param text the spec's text, for the line numbers of errors
   * @throws BadRequestException with the spec errors
   */
  plan(resolved: ResolvedSpec, text: string, requestedShardSize?: number): PlannedExperiment {
    if (resolved.servers > this.config.maxServersPerSpec) {
      throw specErrors(`the fleet is too large for this coordinator; nothing was enqueued`, [
        {
          path: 'fleet',
          line: lineOfKey(text, 'fleet'),
          message: `the fleet has ${resolved.servers} servers; this coordinator accepts at most ${this.config.maxServersPerSpec} per experiment (MAX_SERVERS_PER_SPEC)`,
        },
      ]);
    }
    const model = compileExperiment(resolved);
    const plan = shardPlan(model, requestedShardSize);
    if (!plan.ok) {
      const path = requestedShardSize !== undefined ? 'shardSize' : 'run.shardSize';
      throw specErrors(`cannot plan the shards; nothing was enqueued`, [
        {
          path,
          line: path === 'run.shardSize' ? lineOfKey(text, 'shardSize') : undefined,
          message: plan.refusal.message,
        },
      ]);
    }
    const shards = plan.value;
    if (shards.length === 0) {
      throw specErrors('the fleet has no servers; nothing was enqueued', [
        { path: 'fleet', line: lineOfKey(text, 'fleet'), message: 'no servers to simulate' },
      ]);
    }
    return { resolved, shards };
  }

  /**
   * Writes a planned experiment's record and enqueues its flow.
   * @param batch the batch and point it belongs to (`POST /batches`), if any
   */
  async submit(
    planned: PlannedExperiment,
    batch?: { batch: string; point: number },
  ): Promise<ExperimentView> {
    const { resolved, shards } = planned;
    const now = Date.now();
    const id = newExperimentId(now);
    const firstShards = shards.slice(0, SHARD_CHUNK - 1);
    const rec = {
      id,
      name: resolved.spec.name,
      servers: resolved.servers,
      shardsTotal: shards.length,
      // Servers per shard as run: a plan of one short shard reports its real size.
      shardSize: shards[0]!.serverEnd - shards[0]!.serverStart,
      spec: resolved.spec,
      createdAt: now,
      enqueuedShards: firstShards.length,
      ...(batch ?? {}),
    };
    await this.experiments.create(rec);
    this.dataLoss.track(rec);
    try {
      await withRedisTimeout(
        this.queues.addExperimentFlow(id, resolved.spec, firstShards),
        QUEUE_TIMEOUT_MS,
        'enqueueing the flow',
      );
    } catch (e) {
      await this.experiments.delete(id).catch(() => undefined);
      throw e;
    }
    this.logger.log({
      message: `experiment ${id} submitted: ${resolved.servers} servers, ${shards.length} shards${batch ? ` (point ${batch.point} of batch ${batch.batch})` : ''}`,
      experimentId: id,
      servers: resolved.servers,
      shards: shards.length,
    });
    return experimentView(
      {
        ...rec,
        state: 'queued',
        startedAt: null,
        finishedAt: null,
        error: null,
        evaluationsSeen: 0,
        shardsSeen: 0,
        evaluations: null,
        shardsDone: null,
        threads: null,
      },
      0,
      now,
    );
  }

  /** Experiments, newest first. */
  async list(limit: number, offset: number): Promise<ExperimentView[]> {
    const records = await this.experiments.list(offset, limit);
    return Promise.all(records.map((rec) => this.view(rec)));
  }

  async get(id: string): Promise<ExperimentView> {
    return this.view(await this.find(id));
  }

  /** The report exactly as the CLI builds it, with `run` from the distributed run. */
  async report(id: string): Promise<Report> {
    const rec = await this.find(id);
    if (rec.state === 'cancelled' || rec.state === 'failed') {
      // Final: it will never have a report, so not "ready once done" (409) but gone.
      const view = await this.view(rec);
      throw new GoneException(
        `experiment ${id} was ${view.state} (${view.shards.done} of ${view.shards.total} shards done${rec.state === 'failed' && view.error ? `: ${view.error}` : ''}): it has no report`,
      );
    }
    if (rec.state !== 'done') {
      const view = await this.view(rec);
      throw new ConflictException(
        `experiment ${id} is ${view.state} (${view.shards.done} of ${view.shards.total} shards done): its report is ready once it is done`,
      );
    }
    const { model } = this.models.modelOf(rec);
    const aggregate = await this.models.aggregateOf(
      rec,
      () => this.experiments.getAggregate(id),
      () => this.experiments.getRollout(id),
    );
    if (!aggregate) {
      throw new InternalServerErrorException(
        `experiment ${id} is done but its merged results are missing from Redis`,
      );
    }
    return buildReport(model, aggregate, {
      wallSeconds: Math.round((rec.finishedAt ?? rec.createdAt) - rec.createdAt) / 1000,
      threads: rec.threads ?? 0,
      shards: rec.shardsTotal,
      shardSize: rec.shardSize,
      host: hostname(),
      mode: 'distributed',
      fleetsimVersion: fleetsimVersion(),
    });
  }

  async reportMarkdown(id: string): Promise<string> {
    return formatReportMarkdown(await this.report(id));
  }

  /** The report as the self-contained HTML page `fleetsim run --out report.html` writes. */
  async reportHtml(id: string): Promise<string> {
    return renderReportHtml(await this.report(id));
  }

  /**
   * Keeps Redis from growing without end: the finished experiments older than
   * the newest KEEP_EXPERIMENTS go, with their results. A failure here is
   * logged, never the submission's failure; the next one tries again.
   */
  async pruneFinished(): Promise<void> {
    try {
      const deleted = await this.experiments.pruneFinished(this.config.keepExperiments);
      if (deleted.length > 0) {
        this.logger.log(
          `deleted ${deleted.length} finished experiment(s) beyond KEEP_EXPERIMENTS=${this.config.keepExperiments}: ${deleted.slice(0, 5).join(', ')}${deleted.length > 5 ? ', ...' : ''}`,
        );
      }
    } catch (e) {
      this.logger.warn(`could not delete old experiments: ${(e as Error).message}`);
    }
  }

  /** Cancels a queued or running experiment: its pending shards are removed. */
  async cancel(id: string): Promise<ExperimentView> {
    const rec = await this.find(id);
    if (!isActive(rec.state)) {
      throw new ConflictException(`experiment ${id} is already ${rec.state}; nothing to cancel`);
    }
    const progress = await withRedisTimeout(
      this.queues.progress(id),
      QUEUE_TIMEOUT_MS,
      'reading progress',
    );
    const result = await this.experiments.transition(id, ACTIVE_STATES, 'cancelled', {
      finishedAt: Date.now(),
      shardsDone: progress.shardsDone,
    });
    if (!result.ok) {
      throw new ConflictException(
        `experiment ${id} is already ${result.current ?? 'gone'}; nothing to cancel`,
      );
    }
    // Removing a very large plan takes a while: answer once it is done or after
    // QUEUE_TIMEOUT_MS, whichever comes first; the removal carries on either way.
    const removal = this.queues.removePendingChildren(id).catch((e: unknown) => {
      this.logger.warn(`experiment ${id}: removing its pending shards: ${(e as Error).message}`);
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      removal,
      new Promise((resolve) => (timer = setTimeout(resolve, QUEUE_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    return this.get(id);
  }

  private async find(id: string): Promise<ExperimentRecord> {
    let rec = await this.experiments.get(id);
    if (!rec && this.dataLoss.isTracked(id)) {
      // Redis may have just lost its data and the watch not noticed yet: an
      // experiment this coordinator knew to be active ends failed, never 404.
      await this.dataLoss.check();
      rec = await this.experiments.get(id);
    }
    if (!rec) {
      throw new NotFoundException(`experiment "${id}" not found`);
    }
    return rec;
  }

  /**
   * The view of an experiment. For a running one, progress comes from BullMQ
   * (the merge parent's dependencies), and a parent that failed or vanished
   * while no coordinator watched is reconciled here.
   */
  private async view(rec: ExperimentRecord): Promise<ExperimentView> {
    if (!isActive(rec.state)) {
      return experimentView(rec, rec.shardsDone ?? 0, Date.now());
    }
    const progress = await withRedisTimeout(
      this.queues.progress(rec.id),
      QUEUE_TIMEOUT_MS,
      'reading progress',
    );
    const stale =
      progress.parentState === 'failed' ||
      (progress.parentState === 'missing' && Date.now() - rec.createdAt > FLOW_GRACE_MS);
    if (stale) {
      const parent = await this.queues.mergeJob(rec.id);
      await this.flow.failExperiment(
        rec.id,
        parent?.failedReason ||
          'the merge job of this experiment is gone from Redis (removed outside the coordinator?)',
      );
      const after = await this.experiments.get(rec.id);
      if (!after || isActive(after.state)) {
        throw new NotFoundException(`experiment "${rec.id}" not found`);
      }
      return this.view(after);
    }
    if (rec.state === 'queued' && progress.shardsDone > 0) {
      await this.experiments.markStarted(rec.id, Date.now());
      return experimentView(
        { ...rec, state: 'running', startedAt: rec.startedAt ?? Date.now() },
        progress.shardsDone,
        Date.now(),
      );
    }
    return experimentView(rec, progress.shardsDone, Date.now());
  }
}

import { ConflictException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import {
  PointError,
  resolvePoint,
  SpecPathError,
  type Report,
  type SpecError,
} from '../../../../libs/kdump-core/src';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config/coordinator.config';
import {
  isActive,
  MAX_BATCH_POINTS,
  type BatchReports,
  type BatchView,
} from '../../../../libs/fleet-contract/src/http-contract';
import { batchView, newBatchId, readBatchBody, type BatchRecord } from '../domain/batch';
import { BatchRepository } from '../repositories/batch.repository';
import { ExperimentService, specErrors, type PlannedExperiment } from './experiment.service';

/**
 * Batches of points (`POST /batches`): every point is checked and planned
 * before anything is written, then each becomes an experiment of its own
 * (shards of point × server range on the one shard queue), tied to the batch.
 */
@Injectable()
export class BatchService {
  private readonly logger = new Logger('Batches');

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly batches: BatchRepository,
    private readonly experiments: ExperimentService,
  ) {}

  /** Most points a batch may hold here: MAX_BATCH_POINTS, and half of KEEP_EXPERIMENTS so none is pruned before it is read. */
  get maxPoints(): number {
    return Math.max(1, Math.min(MAX_BATCH_POINTS, Math.floor(this.config.keepExperiments / 2)));
  }

  async create(text: string): Promise<BatchView> {
    const body = readBatchBody(text, this.maxPoints);
    if (!body.ok) {
      throw specErrors(`invalid batch: nothing was enqueued`, body.problems);
    }
    const resolved = await this.experiments.parse(body.spec, 'spec: ');
    const errors: SpecError[] = [];
    const planned: PlannedExperiment[] = [];
    body.points.forEach((point, i) => {
      try {
        planned.push(this.experiments.plan(resolvePoint(resolved, point), body.spec));
      } catch (e) {
        if (e instanceof SpecPathError || e instanceof PointError) {
          errors.push({ path: `points[${i}]`, message: e.message });
          return;
        }
        const response = (e as { getResponse?: () => unknown }).getResponse?.() as
          { errors?: SpecError[] } | undefined;
        if (response?.errors) {
          errors.push(
            ...response.errors.map((x) => ({
              ...x,
              path: `points[${i}] (${point.label}): ${x.path}`,
            })),
          );
          return;
        }
        throw e;
      }
    });
    if (errors.length > 0) {
      throw specErrors(`invalid batch: ${errors.length} error(s); nothing was enqueued`, errors);
    }
    const now = Date.now();
    const id = newBatchId(now);
    const ids: string[] = [];
    for (const [point, p] of planned.entries()) {
      ids.push((await this.experiments.submit(p, { batch: id, point })).id);
    }
    const rec: BatchRecord = {
      id,
      name: resolved.spec.name,
      createdAt: now,
      labels: body.points.map((p) => p.label),
      experiments: ids,
    };
    await this.batches.create(rec);
    this.logger.log({
      message: `batch ${id} submitted: ${ids.length} points`,
      batchId: id,
      points: ids.length,
    });
    await this.experiments.pruneFinished();
    return this.view(rec);
  }

  async get(id: string): Promise<BatchView> {
    return this.view(await this.find(id));
  }

  /** Each point's report, in point order (409 until every point is done, 410 after a failure). */
  async reports(id: string): Promise<BatchReports> {
    const rec = await this.find(id);
    const view = await this.view(rec);
    if (view.state !== 'done' && isActive(view.state)) {
      throw new ConflictException(
        `batch ${id} is ${view.state} (${view.points.filter((p) => p.state === 'done').length} of ${view.points.length} points done): its reports are ready once it is done`,
      );
    }
    const reports: Report[] = [];
    for (const experiment of rec.experiments) {
      reports.push(await this.experiments.report(experiment));
    }
    return { id, reports };
  }

  /** Cancels every point still queued or running. */
  async cancel(id: string): Promise<BatchView> {
    const rec = await this.find(id);
    const view = await this.view(rec);
    if (!isActive(view.state)) {
      throw new ConflictException(`batch ${id} is already ${view.state}; nothing to cancel`);
    }
    for (const p of view.points) {
      if (isActive(p.state)) {
        await this.experiments.cancel(p.experiment).catch((e: unknown) => {
          if (!(e instanceof ConflictException)) {
            throw e;
          }
        });
      }
    }
    return this.get(id);
  }

  private async find(id: string): Promise<BatchRecord> {
    const rec = await this.batches.get(id);
    if (!rec) {
      throw new NotFoundException(`batch "${id}" not found`);
    }
    return rec;
  }

  private async view(rec: BatchRecord): Promise<BatchView> {
    const points = await Promise.all(rec.experiments.map((e) => this.experiments.get(e)));
    return batchView(rec, points);
  }
}

import {
  BadRequestException,
  ConflictException,
  GatewayTimeoutException,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import {
  compileExperiment,
  FleetEngine,
  JOB_CONTRACT_VERSION,
  type JobKind,
  type JobTrace,
} from '../../../../libs/kdump-core/src';
import type { SpecErrorsBody } from '../../../../libs/fleet-contract/src/http-contract';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config/coordinator.config';
import { fleetOf, fleetServer } from '../../../../libs/fleet-platform/src/fleet-server';
import { ExperimentRepository } from '../repositories/experiment.repository';
import { Lru } from '../domain/lru';
import { ExperimentModels } from './experiment-models.service';
import { SpecParser } from './spec-parser.service';
import {
  QueueRepository,
  TraceFailedError,
  TraceTimeoutError,
} from '../repositories/queue.repository';

/** Which server, of which spec, and which of its events. */
export interface ServerJobRequest {
  kind: JobKind;
  profile: string;
  index: string;
  /** `?experiment=<id>`: a posted experiment's spec. */
  experiment?: string;
  /** `?event=N` (default 0). */
  event?: string;
  /** An inline spec (YAML or JSON) when no experiment is named. */
  body: string;
}

function nonNegativeInt(name: string, raw: string): number {
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new BadRequestException(`${name} must be a non-negative integer, got "${raw}"`);
  }
  return Number(raw);
}

/** A spec to trace, and its engine (compiled on first use). */
interface PostedSpec {
  spec: unknown;
  engine: () => FleetEngine;
}

/** Posted experiments whose spec the trace path keeps in memory. */
export const SERVER_JOB_SPEC_CACHE_SIZE = 32;

/** One crash or reboot of one named server, run by a node-worker and traced. */
@Injectable()
export class ServerJobService {
  private readonly specs = new Lru<PostedSpec>(SERVER_JOB_SPEC_CACHE_SIZE);

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly experiments: ExperimentRepository,
    private readonly queues: QueueRepository,
    private readonly models: ExperimentModels,
    private readonly parser: SpecParser,
  ) {}

  async run(req: ServerJobRequest): Promise<JobTrace> {
    const index = nonNegativeInt('the server index', req.index);
    const event =
      req.event === undefined || req.event === '' ? 0 : nonNegativeInt('event', req.event);
    const { spec, engine } = await this.specOf(req);
    const found = fleetServer(fleetOf(spec), req.profile, index);
    if (!found.ok) {
      throw new NotFoundException(found.message);
    }
    // Refused here, not by a worker: a refused request leaves no failed job behind.
    const events = engine().eventCount(found.server, req.kind);
    if (event >= events) {
      throw new BadRequestException(
        events === 0
          ? `server ${found.server} (${req.profile} ${index}) has no ${req.kind} events in this spec`
          : `server ${found.server} (${req.profile} ${index}) has ${events} ${req.kind} event(s); event ${event} does not happen`,
      );
    }
    try {
      return await this.queues.runTrace(
        { v: JOB_CONTRACT_VERSION, spec, server: found.server, kind: req.kind, event },
        this.config.traceTimeoutMs,
      );
    } catch (e) {
      if (e instanceof TraceTimeoutError) {
        throw new GatewayTimeoutException(e.message);
      }
      if (e instanceof TraceFailedError) {
        // The worker refuses what can never run (e.g. an event the server does not have).
        throw new BadRequestException(`the ${req.kind} job failed: ${e.message}`);
      }
      throw e;
    }
  }

  /**
   * A posted experiment's spec and engine. A record's spec never changes while
   * the record exists, so it is read (HGETALL, JSON parse) once per id and kept
   * in a bounded LRU; a hit costs one EXISTS, which also drops the entry of an
   * experiment deleted since (pruned, or lost with Redis's data).
   */
  private async postedSpec(id: string): Promise<PostedSpec> {
    const hit = this.specs.get(id);
    if (hit) {
      if (await this.experiments.exists(id)) {
        return hit;
      }
      this.specs.delete(id);
      throw new NotFoundException(`experiment "${id}" not found`);
    }
    const rec = await this.experiments.get(id);
    if (!rec) {
      throw new NotFoundException(`experiment "${id}" not found`);
    }
    if (rec.spec === null) {
      throw new ConflictException(
        `experiment "${id}" has no spec any more (${rec.error ?? 'its record was re-created'})`,
      );
    }
    const entry: PostedSpec = { spec: rec.spec, engine: () => this.models.modelOf(rec).engine };
    this.specs.set(id, entry);
    return entry;
  }

  /** The spec, and its engine (asked only once the server is known to exist). */
  private async specOf(req: ServerJobRequest): Promise<PostedSpec> {
    const hasBody = req.body.trim() !== '';
    if (req.experiment !== undefined && req.experiment !== '') {
      if (hasBody) {
        throw new BadRequestException(
          'give either ?experiment=<id> or a spec in the body, not both',
        );
      }
      return this.postedSpec(req.experiment);
    }
    if (!hasBody) {
      throw new BadRequestException(
        'name the spec: ?experiment=<id> of a posted experiment, or an inline spec (YAML or JSON) in the body',
      );
    }
    const parsed = await this.parser.parse(req.body);
    if (!parsed.ok) {
      throw new BadRequestException({
        statusCode: 400,
        message: `invalid spec: ${parsed.errors.length} error(s)`,
        errors: parsed.errors,
      } satisfies SpecErrorsBody);
    }
    const { resolved } = parsed;
    return { spec: resolved.spec, engine: () => new FleetEngine(compileExperiment(resolved)) };
  }
}

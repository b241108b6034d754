import {
  BadRequestException,
  GatewayTimeoutException,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import {
  JOB_CONTRACT_VERSION,
  parseSpecText,
  type JobKind,
  type JobTrace,
} from '../../../../libs/kdump-core/src';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config/coordinator.config';
import { fleetOf, fleetServer } from '../../../../libs/fleet-platform/src/fleet-server';
import { ExperimentRepository } from '../repositories/experiment.repository';
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

/** One crash or reboot of one named server, run by a node-worker and traced. */
@Injectable()
export class ServerJobService {
  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly experiments: ExperimentRepository,
    private readonly queues: QueueRepository,
  ) {}

  async run(req: ServerJobRequest): Promise<JobTrace> {
    const index = nonNegativeInt('the server index', req.index);
    const event =
      req.event === undefined || req.event === '' ? 0 : nonNegativeInt('event', req.event);
    const spec = await this.specOf(req);
    const found = fleetServer(fleetOf(spec), req.profile, index);
    if (!found.ok) {
      throw new NotFoundException(found.message);
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

  private async specOf(req: ServerJobRequest): Promise<unknown> {
    const hasBody = req.body.trim() !== '';
    if (req.experiment !== undefined && req.experiment !== '') {
      if (hasBody) {
        throw new BadRequestException(
          'give either ?experiment=<id> or a spec in the body, not both',
        );
      }
      const rec = await this.experiments.get(req.experiment);
      if (!rec) {
        throw new NotFoundException(`experiment "${req.experiment}" not found`);
      }
      return rec.spec;
    }
    if (!hasBody) {
      throw new BadRequestException(
        'name the spec: ?experiment=<id> of a posted experiment, or an inline spec (YAML or JSON) in the body',
      );
    }
    const parsed = parseSpecText(req.body);
    if (!parsed.ok) {
      throw new BadRequestException({
        statusCode: 400,
        message: `invalid spec: ${parsed.errors.length} error(s)`,
        errors: parsed.errors,
      });
    }
    return parsed.resolved.spec;
  }
}

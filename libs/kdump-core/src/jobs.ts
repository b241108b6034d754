/**
 * The job contract between the coordinator and the node-workers. Both import it
 * from here; neither defines a payload of its own.
 *
 * Queue {@link SHARD_QUEUE} (BullMQ, under the deployment's hash-tagged prefix):
 *
 * - job `shard` — Input: {@link ShardJobData}. Output: {@link ShardJobResult}
 *   (for a spec with failure domains, its aggregate carries the domains' slots
 *   after the fleet's; the plan gives each domain to one shard).
 *   Job id {@link shardJobId}: `<experimentId>-<shardIndex>`, so a re-enqueued
 *   shard is a duplicate BullMQ ignores, and a re-run shard (its worker died)
 *   computes the very same bytes.
 *
 * Queue {@link TRACE_QUEUE}, of its own so that a trace never waits behind an
 * experiment's shards:
 *
 * - job `trace` — Input: {@link TraceJobData}. Output: {@link JobTrace}.
 *   One crash or reboot of one named server, for ops who fire one and look.
 *
 * A payload that fails validation is deterministic: it throws
 * {@link InvalidJobError}, which a worker turns into BullMQ's
 * `UnrecoverableError` (no retry). Anything else thrown is treated as transient.
 */
import { decodeSparse, encodeSparse, type Aggregate, type AggregateLayout } from './aggregate';
import { compileExperiment, type CompiledExperiment } from './compile';
import { FleetEngine, type ShardTask } from './engine';
import {
  couplingLayout,
  domainSimulatorFor,
  simulateShard,
  type DomainSimulator,
} from './failure-domains';
import type { JobKind } from './outcome';
import { rolloutEngines, tallyRollout } from './rollout-reboots';
import { decodeTally, encodeTally, rolloutPlanOf } from './rollout-waves';
import { validateSpec } from './spec';
import type { JobTrace } from './trace';
import { traceServerJob } from './trace-request';

/** Name of the queue of shard jobs (before the deployment's prefix). */
export const SHARD_QUEUE = 'shards';
/** The job name on {@link SHARD_QUEUE}. */
export const SHARD_JOB = 'shard';
/** Name of the queue of trace jobs: one server's crash or reboot, answered while shards queue. */
export const TRACE_QUEUE = 'traces';
/** The job name on {@link TRACE_QUEUE}. */
export const TRACE_JOB = 'trace';
/** Version of the payloads below; a worker refuses any other. */
export const JOB_CONTRACT_VERSION = 1;

/**
 * Where a spec is stored once for all the shards of an experiment: the field
 * `field` of the Redis hash `key` holds its JSON text, whose SHA-256 (hex) is
 * `sha256`. The worker reads it, checks the digest, and fills in `spec`.
 */
export interface SpecRef {
  key: string;
  field: string;
  sha256: string;
}

/** Input of a `shard` job. */
export interface ShardJobData {
  v: typeof JOB_CONTRACT_VERSION;
  experimentId: string;
  /**
   * The experiment spec as validated by the coordinator (plain JSON). The
   * coordinator sends `specRef` instead (a spec of 500 KB is not copied into
   * each of 100 shards); a worker resolves it before {@link runShardJob}.
   */
  spec?: unknown;
  /** The stored spec, when `spec` is absent. */
  specRef?: SpecRef;
  shard: ShardTask;
}

/** Output of a `shard` job: the shard's partial aggregate. */
export interface ShardJobResult {
  v: typeof JOB_CONTRACT_VERSION;
  experimentId: string;
  shardIndex: number;
  servers: number;
  /** Job × strategy evaluations simulated. */
  evaluations: number;
  /** {@link encodeSparse} of the shard's aggregate. */
  aggregate: number[];
  /** `encodeTally` of the shard's roll-out waves, when the spec has a `rollout:`. */
  rollout?: number[];
}

/** Input of a `trace` job. */
export interface TraceJobData {
  v: typeof JOB_CONTRACT_VERSION;
  spec: unknown;
  server: number;
  kind: JobKind;
  /** Event index of that server; 0 for its first crash or reboot. */
  event: number;
}

/** A job payload that can never succeed: retrying it is pointless. */
export class InvalidJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidJobError';
  }
}

/** BullMQ job id of a shard: no ':' and never all digits. */
export function shardJobId(experimentId: string, shardIndex: number): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(experimentId) || /^\d+$/.test(experimentId)) {
    throw new InvalidJobError(
      `experiment id "${experimentId}" must be letters, digits, _ . - and not all digits`,
    );
  }
  return `${experimentId}-${shardIndex}`;
}

/**
 * Compiled experiments by spec, so a worker compiles each spec once however
 * many of its shards it runs. Bounded: the least recently used goes first.
 */
export class ModelCache {
  private readonly entries = new Map<
    string,
    { model: CompiledExperiment; engine: FleetEngine; domains: DomainSimulator | null }
  >();

  constructor(private readonly capacity = 8) {}

  /** The engine of a spec; throws {@link InvalidJobError} for an invalid one. */
  engineFor(spec: unknown): FleetEngine {
    return this.entryFor(spec).engine;
  }

  /** The failure-domain simulator of a spec with domains, else null. */
  domainsFor(spec: unknown): DomainSimulator | null {
    return this.entryFor(spec).domains;
  }

  private entryFor(spec: unknown): {
    model: CompiledExperiment;
    engine: FleetEngine;
    domains: DomainSimulator | null;
  } {
    const key = JSON.stringify(spec);
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const result = validateSpec(spec);
    if (!result.ok) {
      throw new InvalidJobError(
        `invalid spec: ${result.errors.map((e) => `${e.path || '(spec)'}: ${e.message}`).join('; ')}`,
      );
    }
    const model = compileExperiment(result.resolved);
    const entry = { model, engine: new FleetEngine(model), domains: domainSimulatorFor(model) };
    this.entries.set(key, entry);
    while (this.entries.size > this.capacity) {
      this.entries.delete(this.entries.keys().next().value!);
    }
    return entry;
  }
}

function requireVersion(data: { v?: unknown } | null | undefined, what: string): void {
  if (data === null || typeof data !== 'object') {
    throw new InvalidJobError(`${what} payload is not an object`);
  }
  if (data.v !== JOB_CONTRACT_VERSION) {
    throw new InvalidJobError(
      `${what} payload version ${String(data.v)}, this worker speaks ${JOB_CONTRACT_VERSION}`,
    );
  }
}

/** Runs a `shard` job: validates the payload, simulates the shard, encodes the result. */
export function runShardJob(data: ShardJobData, cache: ModelCache): ShardJobResult {
  requireVersion(data, 'shard job');
  const engine = cache.engineFor(data.spec);
  const shard = data.shard as ShardTask | undefined;
  if (
    !shard ||
    !Number.isInteger(shard.index) ||
    !Number.isInteger(shard.serverStart) ||
    !Number.isInteger(shard.serverEnd) ||
    shard.serverStart < 0 ||
    shard.serverEnd > engine.model.servers ||
    shard.serverStart >= shard.serverEnd
  ) {
    throw new InvalidJobError(
      `shard ${JSON.stringify(shard)} is not a range of servers within the fleet of ${engine.model.servers}`,
    );
  }
  const before = engine.counters.evaluations;
  let aggregate;
  try {
    aggregate = simulateShard(engine, cache.domainsFor(data.spec), shard);
  } catch (e) {
    // A shard that cuts a failure domain can never succeed.
    if (e instanceof RangeError) {
      throw new InvalidJobError(e.message);
    }
    throw e;
  }
  const rollout = rolloutEngines(engine);
  const result: ShardJobResult = {
    v: JOB_CONTRACT_VERSION,
    experimentId: data.experimentId,
    shardIndex: shard.index,
    servers: shard.serverEnd - shard.serverStart,
    evaluations: engine.counters.evaluations - before,
    aggregate: encodeSparse(aggregate),
  };
  if (rollout) {
    result.rollout = encodeTally(tallyRollout(rollout, shard));
  }
  return result;
}

/** Runs a `trace` job: one crash or reboot of one server, traced. */
export function runTraceJob(data: TraceJobData, cache: ModelCache): JobTrace {
  requireVersion(data, 'trace job');
  const engine = cache.engineFor(data.spec);
  if (data.kind !== 'crash' && data.kind !== 'reboot') {
    throw new InvalidJobError(`trace kind must be crash or reboot, got ${String(data.kind)}`);
  }
  const traced = traceServerJob(engine, data.server, data.kind, data.event ?? 0);
  if (!traced.ok) {
    throw new InvalidJobError(traced.refusal.message);
  }
  return traced.value;
}

/**
 * Decodes a shard result into an aggregate of `layout`, checking it belongs
 * there; with `model`, also its failure-domain slots (a spec with `domains:`)
 * and its roll-out tally, which the spec's `rollout:` then requires.
 */
export function decodeShardResult(
  layout: AggregateLayout,
  result: ShardJobResult,
  model?: CompiledExperiment,
): Aggregate {
  if (result?.v !== JOB_CONTRACT_VERSION || !Array.isArray(result.aggregate)) {
    throw new InvalidJobError(`not a version ${JOB_CONTRACT_VERSION} shard result`);
  }
  const aggregate = decodeSparse(layout, result.aggregate, model ? couplingLayout(model) : null);
  const plan = model ? rolloutPlanOf(model) : null;
  if (plan) {
    if (!Array.isArray(result.rollout)) {
      throw new InvalidJobError(`shard ${result.shardIndex} returned no roll-out tally`);
    }
    aggregate.rollout = decodeTally(result.rollout, plan);
  }
  return aggregate;
}

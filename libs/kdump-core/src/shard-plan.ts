/**
 * The shard plan: the fleet cut into contiguous ranges of servers. The embedded
 * CLI's threads and the distributed workers run the same plan; since every draw
 * is keyed by server and event, results do not depend on how the fleet is cut.
 */
import type { CompiledExperiment } from './compile';
import { domainBoundaryAtOrAfter } from './domain-layout';
import type { ShardTask } from './engine';
import { accepted, refused, type Refusable } from './refusal';
import type { FailureDomainSpec } from './spec-schema';

/**
 * Evaluations (job × strategy) a default shard aims for: a few hundred ms of
 * work, so a distributed run's cost per shard (queue round trip, result in
 * Redis, merge: a few ms) stays within a few per cent. The CLI cuts smaller
 * shards where its threads would otherwise run out of work.
 */
export const TARGET_EVALUATIONS_PER_SHARD = 1_000_000;

/** Most shards a plan may have, so a plan stays cheap to hold and enqueue. */
export const MAX_SHARDS = 1_000_000;

/** Servers per shard when neither the spec nor the caller says. */
export function defaultShardSize(model: CompiledExperiment): number {
  const eventsPerServer =
    (model.crashes?.poissonMean ?? 0) + (model.reboots?.poissonMean ?? 0) || 1;
  const perServer = eventsPerServer * model.strategies.length;
  return Math.max(1, Math.ceil(TARGET_EVALUATIONS_PER_SHARD / perServer));
}

/**
 * Cuts the fleet into shards of `shardSize` servers (the last may be smaller),
 * or refuses a size that is not a positive integer or cuts too many shards.
 * @param shardSize servers per shard (a user's); defaults to the spec's
 *   `run.shardSize`, then to {@link defaultShardSize}
 */
export function shardPlan(model: CompiledExperiment, shardSize?: number): Refusable<ShardTask[]> {
  const size = shardSize ?? model.resolved.spec.run?.shardSize ?? defaultShardSize(model);
  if (!Number.isInteger(size) || size < 1) {
    return refused({
      code: 'invalid-shard-size',
      message: `shard size must be a positive integer, got ${size}`,
    });
  }
  const count = Math.ceil(model.servers / size);
  if (count > MAX_SHARDS) {
    return refused({
      code: 'too-many-shards',
      message: `shard size ${size} cuts ${model.servers} servers into ${count} shards; at most ${MAX_SHARDS}`,
    });
  }
  const domains = model.resolved.spec.domains;
  if (domains) {
    return accepted(planDomainShards(model.servers, size, domains));
  }
  return accepted(cut(model.servers, size, count));
}

/**
 * {@link shardPlan} for a size already accepted (a stored experiment's, a spec
 * that was planned before).
 * @throws RangeError for a size {@link shardPlan} refuses
 */
export function planShards(model: CompiledExperiment, shardSize?: number): ShardTask[] {
  const plan = shardPlan(model, shardSize);
  if (!plan.ok) {
    throw new RangeError(plan.refusal.message);
  }
  return plan.value;
}

function cut(servers: number, size: number, count: number): ShardTask[] {
  const shards: ShardTask[] = [];
  for (let i = 0; i < count; i++) {
    shards.push({
      index: i,
      serverStart: i * size,
      serverEnd: Math.min(servers, (i + 1) * size),
    });
  }
  return shards;
}

/**
 * Shards of about `size` servers that never cut a failure domain: a shard that
 * would end inside a domain runs on to the domain's end, so each domain is
 * simulated, in event-time order, by exactly one shard.
 */
function planDomainShards(
  servers: number,
  size: number,
  domains: readonly FailureDomainSpec[],
): ShardTask[] {
  const shards: ShardTask[] = [];
  for (let start = 0; start < servers;) {
    const end = Math.min(
      servers,
      domainBoundaryAtOrAfter(domains, Math.min(servers, start + size)),
    );
    shards.push({ index: shards.length, serverStart: start, serverEnd: end });
    start = end;
  }
  return shards;
}

import { Inject, Injectable } from '@nestjs/common';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config/coordinator.config';
import type { ExperimentRecord } from '../domain/experiment';
import {
  EXPERIMENT_STATES,
  FINISHED_STATES,
  type ExperimentState,
} from '../../../../libs/fleet-contract/src/http-contract';
import { CoordinatorStore } from './coordinator-store';
import { RedisRepository } from './redis.repository';

/**
 * The coordinator's keys, all under the queue prefix (so its hash tag keeps them
 * in the slot of the queues):
 *
 * - `<prefix>:coordinator:experiment:<id>` hash — the {@link ExperimentRecord}
 * - `<prefix>:coordinator:experiment:<id>:aggregate` string — `encodeSparse` JSON of the merged aggregate (done only)
 * - `<prefix>:coordinator:experiment:<id>:rollout` string — `encodeTally` JSON of the merged roll-out
 *   waves (done, and only when the spec has a `rollout:`)
 * - `<prefix>:coordinator:experiment:<id>:shards-seen` hash — shard index → evaluations, from `completed`
 *   events, for live progress; deleted when the experiment stops
 * - `<prefix>:coordinator:experiments` sorted set — experiment ids by creation time (ms)
 *
 * State changes are Lua scripts that check the current state, so a cancel and a
 * merge racing each other cannot both win.
 */

/**
 * Changes the state when the current one is among the allowed ones.
 * KEYS: 1 experiment hash, 2 shards-seen hash.
 * ARGV: 1 new state, 2 allowed current states (comma-separated), 3.. field/value pairs.
 * Returns `ok:<previous>`, `no:<current>`, or nil for an unknown experiment.
 */
const TRANSITION = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return nil end
for allowed in string.gmatch(ARGV[2], '[^,]+') do
  if allowed == state then
    redis.call('HSET', KEYS[1], 'state', ARGV[1])
    for i = 3, #ARGV, 2 do
      redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    end
    if ARGV[1] ~= 'queued' and ARGV[1] ~= 'running' then
      redis.call('DEL', KEYS[2])
    end
    return 'ok:' .. state
  end
end
return 'no:' .. state
`;

/**
 * Stores the merged aggregate and the state done — unless the experiment was
 * cancelled or failed meanwhile. Idempotent: a re-run merge writes the same bytes
 * and keeps the first finish time.
 * KEYS: 1 experiment hash, 2 aggregate, 3 shards-seen hash, 4 roll-out tally.
 * ARGV: 1 aggregate JSON, 2 evaluations, 3 threads, 4 finishedAt (ms), 5 roll-out tally JSON
 * or empty (no roll-out).
 * Returns `done`, the refusing state, or `missing`.
 */
const FINISH = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 'missing' end
if state ~= 'queued' and state ~= 'running' and state ~= 'done' then return state end
redis.call('SET', KEYS[2], ARGV[1])
if ARGV[5] ~= '' then redis.call('SET', KEYS[4], ARGV[5]) end
redis.call('HSET', KEYS[1], 'state', 'done', 'evaluations', ARGV[2])
redis.call('HSETNX', KEYS[1], 'threads', ARGV[3])
redis.call('HSETNX', KEYS[1], 'finishedAt', ARGV[4])
redis.call('DEL', KEYS[3])
return 'done'
`;

/**
 * Notes a shard's evaluations once (keyed by shard index) and that the
 * experiment runs. KEYS: 1 experiment hash, 2 shards-seen hash.
 * ARGV: 1 shard index, 2 evaluations, 3 now (ms). Returns 1 when recorded.
 */
const RECORD_SHARD = `
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'queued' and state ~= 'running' then return 0 end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'evaluationsSeen', ARGV[2])
  redis.call('HINCRBY', KEYS[1], 'shardsSeen', 1)
end
redis.call('HSETNX', KEYS[1], 'startedAt', ARGV[3])
if state == 'queued' then redis.call('HSET', KEYS[1], 'state', 'running') end
return 1
`;

/** Notes that a shard started. KEYS: 1 experiment hash. ARGV: 1 now (ms). */
const MARK_STARTED = `
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'queued' and state ~= 'running' then return 0 end
redis.call('HSETNX', KEYS[1], 'startedAt', ARGV[1])
if state == 'queued' then redis.call('HSET', KEYS[1], 'state', 'running') end
return 1
`;

/**
 * Writes a failed record for an experiment whose record is gone (Redis lost
 * its data), unless one exists again. KEYS: 1 experiment hash, 2 index.
 * ARGV: 1 createdAt (index score), 2.. field/value pairs. Returns 1 when written.
 */
const RECREATE_FAILED = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 2, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('ZADD', KEYS[2], ARGV[1], redis.call('HGET', KEYS[1], 'id'))
return 1
`;

interface Scripts {
  fleetsimRecreateFailed(k1: string, k2: string, ...argv: string[]): Promise<number>;
  fleetsimTransition(k1: string, k2: string, ...argv: string[]): Promise<string | null>;
  fleetsimFinish(
    k1: string,
    k2: string,
    k3: string,
    k4: string,
    ...argv: string[]
  ): Promise<string>;
  fleetsimRecordShard(k1: string, k2: string, ...argv: string[]): Promise<number>;
  fleetsimMarkStarted(k1: string, ...argv: string[]): Promise<number>;
}

/** A new experiment's record, before anything ran. */
export type NewExperiment = Pick<
  ExperimentRecord,
  'id' | 'name' | 'servers' | 'shardsTotal' | 'shardSize' | 'spec' | 'createdAt' | 'enqueuedShards'
> &
  Pick<ExperimentRecord, 'batch' | 'point'>;

/** An experiment as a failed record re-created after a data loss shows it. */
export type ExperimentSummary = Omit<NewExperiment, 'spec' | 'enqueuedShards' | 'batch' | 'point'>;

export type TransitionResult =
  { ok: true; previous: ExperimentState } | { ok: false; current: ExperimentState | null };

/** Redis hash of one experiment's record under the coordinator's key base; its `spec` field is the spec shards refer to. */
export function experimentKey(base: string, id: string): string {
  return `${base}:experiment:${id}`;
}

@Injectable()
export class ExperimentRepository extends CoordinatorStore {
  private readonly scripts: Scripts;

  constructor(@Inject(COORDINATOR_CONFIG) config: CoordinatorConfig, connection: RedisRepository) {
    super(config, connection);
    const define = (name: string, numberOfKeys: number, lua: string) => {
      if (!(name in this.redis)) {
        this.redis.defineCommand(name, { numberOfKeys, lua });
      }
    };
    define('fleetsimTransition', 2, TRANSITION);
    define('fleetsimFinish', 4, FINISH);
    define('fleetsimRecordShard', 2, RECORD_SHARD);
    define('fleetsimMarkStarted', 1, MARK_STARTED);
    define('fleetsimRecreateFailed', 2, RECREATE_FAILED);
    this.scripts = this.redis as unknown as Scripts;
  }

  private key(id: string): string {
    return experimentKey(this.base, id);
  }
  private aggregateKey(id: string): string {
    return `${this.key(id)}:aggregate`;
  }

  private rolloutKey(id: string): string {
    return `${this.key(id)}:rollout`;
  }
  private seenKey(id: string): string {
    return `${this.key(id)}:shards-seen`;
  }
  private get indexKey(): string {
    return `${this.base}:experiments`;
  }

  private get epochKey(): string {
    return `${this.base}:epoch`;
  }

  /**
   * The epoch of the data in Redis: a random value written once (SET NX) and
   * kept as long as Redis keeps its data. Returns the value now in Redis
   * (`candidate` when this call wrote it).
   */
  async epoch(candidate: string): Promise<string> {
    const replies = await this.redis
      .multi()
      .set(this.epochKey, candidate, 'NX')
      .get(this.epochKey)
      .exec();
    const current = replies?.[1]?.[1];
    return typeof current === 'string' ? current : candidate;
  }

  /** Ids of the queued and running experiments in the index. */
  async activeIds(): Promise<string[]> {
    const ids = await this.redis.zrange(this.indexKey, '0', '-1');
    const active: string[] = [];
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      const pipeline = this.redis.pipeline();
      chunk.forEach((id) => pipeline.hget(this.key(id), 'state'));
      ((await pipeline.exec()) ?? []).forEach(([err, state], k) => {
        if (!err && (state === 'queued' || state === 'running')) {
          active.push(chunk[k]!);
        }
      });
    }
    return active;
  }

  /** What a failed record needs of each experiment (no spec), for those that still have a record. */
  async summaries(ids: readonly string[]): Promise<ExperimentSummary[]> {
    if (ids.length === 0) {
      return [];
    }
    const pipeline = this.redis.pipeline();
    ids.forEach((id) =>
      pipeline.hmget(this.key(id), 'name', 'servers', 'shardsTotal', 'shardSize', 'createdAt'),
    );
    const out: ExperimentSummary[] = [];
    ((await pipeline.exec()) ?? []).forEach(([err, values], k) => {
      const v = values as Array<string | null> | null;
      if (!err && v && v[4] !== null) {
        out.push({
          id: ids[k]!,
          name: v[0] ?? '',
          servers: Number(v[1]),
          shardsTotal: Number(v[2]),
          shardSize: Number(v[3]),
          createdAt: Number(v[4]),
        });
      }
    });
    return out;
  }

  /**
   * Writes a failed record with `error` for an experiment whose record is gone;
   * does nothing when a record exists. Returns whether it wrote one.
   */
  async recreateFailed(e: ExperimentSummary, error: string, finishedAt: number): Promise<boolean> {
    const fields: Record<string, string | number> = {
      id: e.id,
      name: e.name,
      state: 'failed' satisfies ExperimentState,
      servers: e.servers,
      shardsTotal: e.shardsTotal,
      shardSize: e.shardSize,
      spec: 'null',
      createdAt: e.createdAt,
      finishedAt,
      error,
      enqueuedShards: 0,
      evaluationsSeen: 0,
      shardsSeen: 0,
      shardsDone: 0,
    };
    const written = await this.scripts.fleetsimRecreateFailed(
      this.key(e.id),
      this.indexKey,
      String(e.createdAt),
      ...Object.entries(fields).flat().map(String),
    );
    return written === 1;
  }

  /** Every key of the coordinator matches this pattern (tests clean up with it). */
  get keyPattern(): string {
    return `${this.base}:*`;
  }

  async create(e: NewExperiment): Promise<void> {
    this.connection.assertReady();
    await this.redis
      .multi()
      .hset(this.key(e.id), {
        id: e.id,
        name: e.name,
        state: 'queued' satisfies ExperimentState,
        servers: e.servers,
        shardsTotal: e.shardsTotal,
        shardSize: e.shardSize,
        spec: JSON.stringify(e.spec),
        createdAt: e.createdAt,
        enqueuedShards: e.enqueuedShards,
        evaluationsSeen: 0,
        shardsSeen: 0,
        ...(e.batch ? { batch: e.batch, point: e.point ?? 0 } : {}),
      })
      .zadd(this.indexKey, e.createdAt, e.id)
      .exec();
  }

  /**
   * Deletes the finished experiments (done, failed, cancelled) older than the
   * newest `keep`, with their results; active ones stay however old. A finished
   * experiment never becomes active again, so reading the states first is safe.
   * Returns the ids deleted.
   */
  async pruneFinished(keep: number): Promise<string[]> {
    const older = await this.redis.zrevrange(this.indexKey, keep, -1);
    const deleted: string[] = [];
    for (let i = 0; i < older.length; i += 1000) {
      const ids = older.slice(i, i + 1000);
      const pipeline = this.redis.pipeline();
      ids.forEach((id) => pipeline.hget(this.key(id), 'state'));
      const states = await pipeline.exec();
      const gone = ids.filter((_, k) => {
        const state = states?.[k]?.[1] as ExperimentState | null | undefined;
        // No record any more: only the index entry is left to remove.
        return state === null || (state !== undefined && FINISHED_STATES.includes(state));
      });
      if (gone.length > 0) {
        const multi = this.redis.multi();
        for (const id of gone) {
          multi.del(this.key(id), this.aggregateKey(id), this.rolloutKey(id), this.seenKey(id));
        }
        await multi.zrem(this.indexKey, ...gone).exec();
        deleted.push(...gone);
      }
    }
    return deleted;
  }

  /** Forgets an experiment whose flow could not be enqueued. */
  async delete(id: string): Promise<void> {
    await this.redis
      .multi()
      .del(this.key(id), this.aggregateKey(id), this.rolloutKey(id), this.seenKey(id))
      .zrem(this.indexKey, id)
      .exec();
  }

  async get(id: string): Promise<ExperimentRecord | null> {
    this.connection.assertReady();
    return parseRecord(await this.redis.hgetall(this.key(id)));
  }

  /** Whether the experiment has a record (one EXISTS, nothing read). */
  async exists(id: string): Promise<boolean> {
    this.connection.assertReady();
    return (await this.redis.exists(this.key(id))) === 1;
  }

  async getState(id: string): Promise<ExperimentState | null> {
    const state = await this.redis.hget(this.key(id), 'state');
    return state === null ? null : (state as ExperimentState);
  }

  /** Experiments, newest first. */
  async list(offset: number, limit: number): Promise<ExperimentRecord[]> {
    this.connection.assertReady();
    const ids = await this.redis.zrevrange(this.indexKey, offset, offset + limit - 1);
    return this.getMany(ids);
  }

  private async getMany(ids: string[]): Promise<ExperimentRecord[]> {
    if (ids.length === 0) {
      return [];
    }
    const pipeline = this.redis.pipeline();
    ids.forEach((id) => pipeline.hgetall(this.key(id)));
    const replies = (await pipeline.exec()) ?? [];
    return replies
      .map(([err, fields]) => (err ? null : parseRecord(fields as Record<string, string>)))
      .filter((r): r is ExperimentRecord => r !== null);
  }

  /** How many experiments are in each state. */
  async countByState(): Promise<Record<ExperimentState, number>> {
    const ids = await this.redis.zrange(this.indexKey, '0', '-1');
    const counts = Object.fromEntries(EXPERIMENT_STATES.map((s) => [s, 0])) as Record<
      ExperimentState,
      number
    >;
    for (let i = 0; i < ids.length; i += 1000) {
      const pipeline = this.redis.pipeline();
      ids.slice(i, i + 1000).forEach((id) => pipeline.hget(this.key(id), 'state'));
      for (const [err, state] of (await pipeline.exec()) ?? []) {
        if (!err && typeof state === 'string' && state in counts) {
          counts[state as ExperimentState]++;
        }
      }
    }
    return counts;
  }

  /** Sets `to` (and the fields) when the current state is one of `from`. */
  async transition(
    id: string,
    from: readonly ExperimentState[],
    to: ExperimentState,
    fields: Record<string, string | number> = {},
  ): Promise<TransitionResult> {
    const argv = [to, from.join(','), ...Object.entries(fields).flat().map(String)];
    const reply = await this.scripts.fleetsimTransition(this.key(id), this.seenKey(id), ...argv);
    if (reply === null) {
      return { ok: false, current: null };
    }
    const state = reply.slice(3) as ExperimentState;
    return reply.startsWith('ok:') ? { ok: true, previous: state } : { ok: false, current: state };
  }

  /**
   * Stores the merged aggregate and marks the experiment done, unless it was
   * cancelled or failed. Returns `done` or the state that refused.
   */
  async finish(
    id: string,
    aggregate: readonly number[],
    evaluations: number,
    threads: number,
    finishedAt: number,
    rollout: readonly number[] | null = null,
  ): Promise<string> {
    return this.scripts.fleetsimFinish(
      this.key(id),
      this.aggregateKey(id),
      this.seenKey(id),
      this.rolloutKey(id),
      JSON.stringify(aggregate),
      String(evaluations),
      String(threads),
      String(finishedAt),
      rollout ? JSON.stringify(rollout) : '',
    );
  }

  /** The merged roll-out waves (`encodeTally`), or null before done or without a roll-out. */
  async getRollout(id: string): Promise<number[] | null> {
    return this.getJson<number[]>(this.rolloutKey(id));
  }

  /** The merged aggregate (`encodeSparse`), or null before done. */
  async getAggregate(id: string): Promise<number[] | null> {
    return this.getJson<number[]>(this.aggregateKey(id));
  }

  async recordShard(
    id: string,
    shardIndex: number,
    evaluations: number,
    nowMs: number,
  ): Promise<void> {
    await this.scripts.fleetsimRecordShard(
      this.key(id),
      this.seenKey(id),
      String(shardIndex),
      String(evaluations),
      String(nowMs),
    );
  }

  async markStarted(id: string, nowMs: number): Promise<void> {
    await this.scripts.fleetsimMarkStarted(this.key(id), String(nowMs));
  }

  async setEnqueued(id: string, shards: number): Promise<void> {
    await this.redis.hset(this.key(id), 'enqueuedShards', String(shards));
  }
}

const num = (v: string | undefined): number | null =>
  v === undefined || v === '' ? null : Number(v);

function parseRecord(fields: Record<string, string>): ExperimentRecord | null {
  if (!fields || fields.id === undefined) {
    return null;
  }
  return {
    id: fields.id,
    name: fields.name ?? '',
    state: fields.state as ExperimentState,
    servers: Number(fields.servers),
    shardsTotal: Number(fields.shardsTotal),
    shardSize: Number(fields.shardSize),
    spec: JSON.parse(fields.spec ?? 'null') as unknown,
    createdAt: Number(fields.createdAt),
    startedAt: num(fields.startedAt),
    finishedAt: num(fields.finishedAt),
    error: fields.error ?? null,
    enqueuedShards: Number(fields.enqueuedShards ?? 0),
    evaluationsSeen: Number(fields.evaluationsSeen ?? 0),
    shardsSeen: Number(fields.shardsSeen ?? 0),
    evaluations: num(fields.evaluations),
    shardsDone: num(fields.shardsDone),
    threads: num(fields.threads),
    batch: fields.batch ?? null,
    point: num(fields.point),
  };
}

import { Logger } from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  compileExperiment,
  encodeSparse,
  JOB_CONTRACT_VERSION,
  ModelCache,
  parseSpecOrThrow,
  planShards,
  runExperiment,
  runShardJob,
  shardJobId,
  type ShardTask,
} from '../../../../libs/kdump-core/src';
import type { ExperimentRecord } from '../domain/experiment';
import type { ExperimentState } from '../../../../libs/fleet-contract/src/http-contract';
import type { ExperimentJobData } from '../domain/flow-jobs';
import type { ExperimentRepository } from '../repositories/experiment.repository';
import type { QueueRepository } from '../repositories/queue.repository';
import type { RedisErrorLog } from '../../../../libs/fleet-platform/src/redis-error-log';
import type { WorkerRepository } from '../repositories/worker.repository';
import { example } from '../../test/coordinator-rig';
import { ExperimentModels } from './experiment-models.service';
import { FlowService } from './flow.service';

const resolved = parseSpecOrThrow(example('quickstart.yaml'));

beforeAll(() => Logger.overrideLogger(false));
const ID = 'exp_test1';
const PREFIX = '{t}';

function record(overrides: Partial<ExperimentRecord> = {}): ExperimentRecord {
  return {
    id: ID,
    name: 'quickstart',
    state: 'running',
    servers: 3000,
    shardsTotal: 3,
    shardSize: 1000,
    spec: resolved.spec,
    createdAt: 1,
    startedAt: 2,
    finishedAt: null,
    error: null,
    enqueuedShards: 3,
    evaluationsSeen: 0,
    shardsSeen: 0,
    evaluations: null,
    shardsDone: null,
    threads: null,
    ...overrides,
  };
}

/** In-memory stand-ins of the repositories the flow service uses. */
function rig(rec: ExperimentRecord, children: [string, unknown][] = []) {
  const state = { rec, finished: [] as { aggregate: readonly number[]; evaluations: number }[] };
  const added: ShardTask[][] = [];
  let removed = 0;
  const experiments = {
    get: async () => state.rec,
    getState: async () => state.rec.state,
    setEnqueued: async (_id: string, n: number) => {
      state.rec = { ...state.rec, enqueuedShards: n };
    },
    finish: async (_id: string, aggregate: readonly number[], evaluations: number) => {
      state.finished.push({ aggregate, evaluations });
      return 'done';
    },
  } as unknown as ExperimentRepository;
  const queues = {
    shardJobKey: (jobId: string) => `${PREFIX}:shards:${jobId}`,
    async *processedChildren() {
      yield* children;
    },
    addShards: async (_id: string, _spec: unknown, shards: ShardTask[]) => {
      added.push(shards);
    },
    removePendingChildren: async () => {
      removed++;
      return 0;
    },
    workersCount: async () => 2,
  } as unknown as QueueRepository;
  const service = new FlowService(
    experiments,
    queues,
    {} as WorkerRepository,
    new ExperimentModels(),
    {} as RedisErrorLog,
  );
  return {
    service,
    state,
    added,
    removed: () => removed,
    setState: (s: ExperimentState) => (state.rec = { ...state.rec, state: s }),
  };
}

const job = (experimentId = ID) => ({ data: { experimentId } }) as Job<ExperimentJobData>;

/** Processed children as BullMQ keeps them: shard results by job key, plus the plan gate. */
function shardResults(shardSize: number): [string, unknown][] {
  const cache = new ModelCache();
  const shards = planShards(compileExperiment(resolved), shardSize);
  return shards.map((shard) => [
    `${PREFIX}:shards:${shardJobId(ID, shard.index)}`,
    runShardJob({ v: JOB_CONTRACT_VERSION, experimentId: ID, spec: resolved.spec, shard }, cache),
  ]);
}

describe('FlowService.merge', () => {
  const results = shardResults(1000);
  const expected = encodeSparse(runExperiment(resolved).aggregate);

  it('merges each shard once, whatever order and repeats the scan returns', async () => {
    const children: [string, unknown][] = [
      results[2]!,
      [`${PREFIX}:experiments:${ID}-plan`, { experimentId: ID, enqueuedShards: 3 }],
      results[0]!,
      results[2]!, // HSCAN may return a field twice
      results[1]!,
    ];
    const { service, state } = rig(record(), children);
    const out = await service.merge(job());
    expect(out).toEqual({ experimentId: ID, state: 'done', shards: 3, evaluations: 36_000 });
    expect(state.finished).toHaveLength(1);
    expect(state.finished[0]!.aggregate).toEqual(expected);
    expect(state.finished[0]!.evaluations).toBe(36_000);
  });

  it('refuses to finish with a shard missing, naming it', async () => {
    const { service, state } = rig(record(), [results[0]!, results[2]!]);
    const failure = service.merge(job());
    await expect(failure).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(failure).rejects.toThrow(/2 of 3 shard results reached the merge \(missing 1\)/);
    expect(state.finished).toHaveLength(0);
  });

  it('refuses a result filed under another shard', async () => {
    const swapped: [string, unknown] = [results[1]![0], results[0]![1]];
    const { service } = rig(record(), [results[0]!, swapped, results[2]!]);
    await expect(service.merge(job())).rejects.toThrow(/returned shard 0/);
  });

  it('stands down for a cancelled experiment', async () => {
    const { service, state } = rig(record({ state: 'cancelled' }), results);
    expect(await service.merge(job())).toMatchObject({ state: 'cancelled', shards: 0 });
    expect(state.finished).toHaveLength(0);
  });
});

describe('FlowService.plan', () => {
  it('enqueues the shards the flow did not carry, in chunks, resuming where it stopped', async () => {
    // 3000 servers of 1 → 3000 shards; 999 came with the flow, 1500 by an earlier attempt.
    const { service, added, state } = rig(
      record({ shardsTotal: 3000, shardSize: 1, enqueuedShards: 1500 }),
    );
    expect(await service.plan(job())).toEqual({ experimentId: ID, enqueuedShards: 3000 });
    expect(added.map((chunk) => [chunk[0]!.index, chunk.length])).toEqual([
      [1500, 1000],
      [2500, 500],
    ]);
    expect(state.rec.enqueuedShards).toBe(3000);
  });

  it('stops and cleans up when the experiment is cancelled meanwhile', async () => {
    const r = rig(record({ shardsTotal: 3000, shardSize: 1, enqueuedShards: 999 }));
    const addShards = r.added.push.bind(r.added);
    r.added.push = (...chunks: ShardTask[][]) => {
      r.setState('cancelled');
      return addShards(...chunks);
    };
    expect(await r.service.plan(job())).toEqual({
      experimentId: ID,
      enqueuedShards: 1999,
      stoppedBy: 'cancelled',
    });
    expect(r.added).toHaveLength(1);
    expect(r.removed()).toBe(1);
  });

  it('refuses a record whose plan does not match', async () => {
    const { service } = rig(record({ shardsTotal: 7 }));
    await expect(service.plan(job())).rejects.toThrow(/the plan has 3 shards, the record says 7/);
  });
});

import { BadRequestException, type HttpException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import type { ShardTask } from '../../../../libs/kdump-core/src';
import { coordinatorConfig, example, INVALID_SPEC } from '../../test/coordinator-rig';
import type { NewExperiment, ExperimentRepository } from '../repositories/experiment.repository';
import type { QueueRepository } from '../repositories/queue.repository';
import type { DataLossWatch } from './data-loss.service';
import { ExperimentModels } from './experiment-models.service';
import type { SpecErrorsBody } from '../../../../libs/fleet-contract/src/http-contract';
import { ExperimentService, lineOfKey, parseShardSize } from './experiment.service';
import type { FlowService } from './flow.service';
import { SpecParser } from './spec-parser.service';

const QUICKSTART = example('quickstart.yaml');

function rig(options: { maxServersPerSpec?: number; flowFails?: boolean } = {}) {
  const created: NewExperiment[] = [];
  const deleted: string[] = [];
  const flows: { id: string; shards: ShardTask[] }[] = [];
  const experiments = {
    create: async (e: NewExperiment) => {
      created.push(e);
    },
    delete: async (id: string) => {
      deleted.push(id);
    },
  } as unknown as ExperimentRepository;
  const queues = {
    addExperimentFlow: async (id: string, _spec: unknown, shards: ShardTask[]) => {
      if (options.flowFails) {
        throw new Error('Connection is closed.');
      }
      flows.push({ id, shards });
    },
  } as unknown as QueueRepository;
  const service = new ExperimentService(
    coordinatorConfig(
      '{t}',
      options.maxServersPerSpec ? { maxServersPerSpec: options.maxServersPerSpec } : {},
    ),
    experiments,
    queues,
    new ExperimentModels(),
    {} as FlowService,
    SpecParser.using(null),
    { track: () => undefined, isTracked: () => false } as unknown as DataLossWatch,
  );
  return { service, created, deleted, flows };
}

async function refusal(
  promise: Promise<unknown>,
): Promise<{ status: number; body: SpecErrorsBody }> {
  try {
    await promise;
  } catch (e) {
    const http = e as HttpException;
    return { status: http.getStatus(), body: http.getResponse() as SpecErrorsBody };
  }
  throw new Error('expected a refusal');
}

describe('ExperimentService.create', () => {
  it('plans, records and enqueues a valid spec', async () => {
    const { service, created, flows } = rig();
    const view = await service.create(QUICKSTART, '10');
    expect(view).toMatchObject({
      name: 'quickstart',
      state: 'queued',
      servers: 3000,
      shards: { done: 0, total: 300 },
    });
    expect(created).toEqual([
      expect.objectContaining({
        id: view.id,
        shardsTotal: 300,
        shardSize: 10,
        enqueuedShards: 300,
      }),
    ]);
    expect(flows[0]!.shards).toHaveLength(300);
    expect(flows[0]!.shards[299]).toEqual({ index: 299, serverStart: 2990, serverEnd: 3000 });
  });

  it('puts the first chunk in the flow and leaves the rest to the plan job', async () => {
    const { service, created, flows } = rig();
    await service.create(QUICKSTART, '1');
    expect(created[0]).toMatchObject({ shardsTotal: 3000, enqueuedShards: 999 });
    expect(flows[0]!.shards).toHaveLength(999);
  });

  it('reports the shard size as run when one shard holds the whole fleet', async () => {
    const { service, created } = rig();
    await service.create(QUICKSTART);
    expect(created[0]).toMatchObject({ shardsTotal: 1, shardSize: 3000 });
  });

  it('enqueues nothing for an invalid spec and lists every error with its line', async () => {
    const { service, created, flows } = rig();
    const r = await refusal(service.create(INVALID_SPEC));
    expect(r.status).toBe(400);
    expect(r.body.errors.length).toBeGreaterThan(0);
    expect(r.body.errors.every((e) => typeof e.line === 'number')).toBe(true);
    expect(created).toEqual([]);
    expect(flows).toEqual([]);
  });

  it('names fleet when the fleet is over MAX_SERVERS_PER_SPEC', async () => {
    const { service, created } = rig({ maxServersPerSpec: 100 });
    const r = await refusal(service.create(QUICKSTART));
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([
      { path: 'fleet', line: 10, message: expect.stringContaining('MAX_SERVERS_PER_SPEC') },
    ]);
    expect(created).toEqual([]);
  });

  it('forgets the record when the flow cannot be enqueued', async () => {
    const { service, created, deleted } = rig({ flowFails: true });
    await expect(service.create(QUICKSTART)).rejects.toThrow('Connection is closed.');
    expect(deleted).toEqual([created[0]!.id]);
  });
});

describe('ExperimentService.parse', () => {
  it('resolves a valid spec', async () => {
    const { service } = rig();
    const resolved = await service.parse(QUICKSTART);
    expect(resolved.spec.name).toBe('quickstart');
    expect(resolved.servers).toBe(3000);
  });

  it('refuses an invalid spec with every error, paths prefixed when asked', async () => {
    const { service } = rig();
    const plain = await refusal(service.parse(INVALID_SPEC));
    const prefixed = await refusal(service.parse(INVALID_SPEC, 'spec: '));
    expect(plain.status).toBe(400);
    expect(plain.body.message).toBe(
      `invalid spec: ${plain.body.errors.length} error(s); nothing was enqueued`,
    );
    expect(prefixed.body.message).toBe(plain.body.message);
    expect(prefixed.body.errors).toEqual(
      plain.body.errors.map((e) => ({ ...e, path: `spec: ${e.path}` })),
    );
  });
});

describe('request helpers', () => {
  it('parses shardSize or refuses it naming shardSize', () => {
    expect(parseShardSize(undefined)).toBeUndefined();
    expect(parseShardSize('250')).toBe(250);
    for (const bad of ['0', '-1', '2.5', 'x']) {
      expect(() => parseShardSize(bad)).toThrow(BadRequestException);
    }
  });

  it('finds the line of a top-level key in YAML and JSON', () => {
    expect(lineOfKey(QUICKSTART, 'fleet')).toBe(10);
    expect(lineOfKey('{\n  "name": "x",\n  "fleet": []\n}', 'fleet')).toBe(3);
    expect(lineOfKey('name: x', 'fleet')).toBeUndefined();
  });
});

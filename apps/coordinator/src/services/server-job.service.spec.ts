import { NotFoundException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { coordinatorConfig } from '../../test/coordinator-rig';
import type { ExperimentRecord } from '../domain/experiment';
import type { ExperimentRepository } from '../repositories/experiment.repository';
import type { QueueRepository } from '../repositories/queue.repository';
import { ExperimentModels } from './experiment-models.service';
import { SERVER_JOB_SPEC_CACHE_SIZE, ServerJobService } from './server-job.service';
import { SpecParser } from './spec-parser.service';

/** A repository that counts the whole-record reads (HGETALL) and the EXISTS checks. */
function rig() {
  const records = new Map<string, Partial<ExperimentRecord>>();
  const calls = { get: 0, exists: 0 };
  const experiments = {
    get: async (id: string) => {
      calls.get++;
      return records.get(id) ?? null;
    },
    exists: async (id: string) => {
      calls.exists++;
      return records.has(id);
    },
  } as unknown as ExperimentRepository;
  const service = new ServerJobService(
    coordinatorConfig('{t}'),
    experiments,
    {} as QueueRepository,
    new ExperimentModels(),
    SpecParser.using(null),
  );
  const add = (id: string) => records.set(id, { id, spec: { name: id }, error: null });
  const spec = (id: string) => service['postedSpec'](id).then((s) => s.spec);
  return { service, records, calls, add, spec };
}

describe('ServerJobService spec cache', () => {
  it('reads a posted experiment once, then only checks that it still exists', async () => {
    const r = rig();
    r.add('exp_a');
    expect(await r.spec('exp_a')).toEqual({ name: 'exp_a' });
    expect(await r.spec('exp_a')).toEqual({ name: 'exp_a' });
    expect(await r.spec('exp_a')).toEqual({ name: 'exp_a' });
    expect(r.calls).toEqual({ get: 1, exists: 2 });
  });

  it('drops the entry of an experiment deleted since, and answers 404', async () => {
    const r = rig();
    r.add('exp_a');
    await r.spec('exp_a');
    r.records.delete('exp_a');
    await expect(r.spec('exp_a')).rejects.toBeInstanceOf(NotFoundException);
    await expect(r.spec('exp_a')).rejects.toBeInstanceOf(NotFoundException);
    // The second miss read the record again: the entry was dropped.
    expect(r.calls.get).toBe(2);
  });

  it('keeps at most SERVER_JOB_SPEC_CACHE_SIZE experiments', async () => {
    const r = rig();
    for (let i = 0; i <= SERVER_JOB_SPEC_CACHE_SIZE; i++) {
      r.add(`exp_${i}`);
      await r.spec(`exp_${i}`);
    }
    expect(r.calls.get).toBe(SERVER_JOB_SPEC_CACHE_SIZE + 1);
    await r.spec(`exp_${SERVER_JOB_SPEC_CACHE_SIZE}`); // still cached
    expect(r.calls.get).toBe(SERVER_JOB_SPEC_CACHE_SIZE + 1);
    await r.spec('exp_0'); // the oldest went
    expect(r.calls.get).toBe(SERVER_JOB_SPEC_CACHE_SIZE + 2);
  });
});

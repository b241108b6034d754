import { describe, expect, it } from 'vitest';
import { coordinatorConfig } from '../../test/coordinator-rig';
import { CoordinatorStore, coordinatorKeyBase } from './coordinator-store';
import type { RedisRepository } from './redis.repository';

/** A store over a fake connection whose client only knows GET. */
class Probe extends CoordinatorStore {
  constructor(values: Record<string, string>) {
    const client = { get: async (key: string) => values[key] ?? null };
    super(coordinatorConfig('{t}'), { client } as unknown as RedisRepository);
  }
  keyBase(): string {
    return this.base;
  }
  read<T>(key: string): Promise<T | null> {
    return this.getJson<T>(key);
  }
}

describe('CoordinatorStore', () => {
  it('keeps its keys under <queue prefix>:coordinator', () => {
    expect(coordinatorKeyBase('{fleetsim}')).toBe('{fleetsim}:coordinator');
    expect(new Probe({}).keyBase()).toBe('{t}:coordinator');
  });

  it('reads a JSON key, and null for a missing one', async () => {
    const store = new Probe({ '{t}:coordinator:batch:b1': '{"id":"b1","labels":["a"]}' });
    expect(await store.read('{t}:coordinator:batch:b1')).toEqual({ id: 'b1', labels: ['a'] });
    expect(await store.read('{t}:coordinator:batch:b2')).toBeNull();
  });
});

import { describe, it, expect } from 'vitest';
import { compileExperiment, type CompiledExperiment } from './compile';
import type { ShardTask } from './engine';
import {
  defaultShardSize,
  MAX_SHARDS,
  planShards,
  shardPlan,
  TARGET_EVALUATIONS_PER_SHARD,
} from './shard-plan';
import { parseSpecOrThrow } from './spec';

function model(options: {
  servers: number;
  strategies?: string[];
  events?: string;
  run?: string;
}): CompiledExperiment {
  const strategies = options.strategies ?? ['none', 'device-reset', 'fallback'];
  const text = `name: shards
seed: 3
fleet:
  - profile: compute-2s
    count: ${options.servers}
events:
${options.events ?? '  crash: { perServer: 1, causes: { panic: 1 } }'}
strategies: [${strategies.join(', ')}]
${options.run ?? ''}
`;
  return compileExperiment(parseSpecOrThrow(text));
}

/** The plan covers [0, servers) exactly once, in order, without gaps. */
function expectExactCover(shards: ShardTask[], servers: number, size: number): void {
  expect(shards.length).toBe(Math.ceil(servers / size));
  let next = 0;
  shards.forEach((s, i) => {
    expect(s.index).toBe(i);
    expect(s.serverStart).toBe(next);
    expect(s.serverEnd).toBeGreaterThan(s.serverStart);
    expect(s.serverEnd - s.serverStart).toBeLessThanOrEqual(size);
    if (i < shards.length - 1) {
      expect(s.serverEnd - s.serverStart).toBe(size);
    }
    next = s.serverEnd;
  });
  expect(next).toBe(servers);
}

describe('planShards', () => {
  it('covers [0, servers) exactly once with contiguous shards, the last one smaller', () => {
    const m = model({ servers: 1000 });
    const shards = planShards(m, 300);
    expectExactCover(shards, 1000, 300);
    expect(shards.map((s) => [s.serverStart, s.serverEnd])).toEqual([
      [0, 300],
      [300, 600],
      [600, 900],
      [900, 1000],
    ]);
  });

  it('covers exactly when the size divides the fleet, and with one-server shards', () => {
    const m = model({ servers: 900 });
    expectExactCover(planShards(m, 300), 900, 300);
    expect(planShards(m, 300)).toHaveLength(3);
    expectExactCover(planShards(m, 1), 900, 1);
  });

  it('gives one shard when the size exceeds the fleet', () => {
    const m = model({ servers: 10 });
    expect(planShards(m, 1_000_000)).toEqual([{ index: 0, serverStart: 0, serverEnd: 10 }]);
  });

  it('uses run.shardSize from the spec when the caller gives none', () => {
    const m = model({ servers: 1000, run: 'run: { shardSize: 128 }' });
    const shards = planShards(m);
    expectExactCover(shards, 1000, 128);
    expect(shards[0]!.serverEnd).toBe(128);
    // The caller's size wins over the spec's.
    expect(planShards(m, 500)).toHaveLength(2);
  });

  it('falls back to the default size', () => {
    const m = model({ servers: 3_000_000 });
    const size = defaultShardSize(m);
    const shards = planShards(m);
    expectExactCover(shards, 3_000_000, size);
    expect(shards.length).toBeGreaterThan(1);
  });

  it('rejects sizes that are not positive integers, naming them', () => {
    const m = model({ servers: 100 });
    expect(() => planShards(m, 0)).toThrow(/positive integer, got 0/);
    expect(() => planShards(m, -5)).toThrow(/got -5/);
    expect(() => planShards(m, 2.5)).toThrow(/got 2\.5/);
    expect(() => planShards(m, Number.NaN)).toThrow(RangeError);
  });

  it('refuses, as data, what planShards throws for', () => {
    const m = model({ servers: 2_000_000 });
    expect(shardPlan(m, 0)).toEqual({
      ok: false,
      refusal: {
        code: 'invalid-shard-size',
        message: 'shard size must be a positive integer, got 0',
      },
    });
    expect(shardPlan(m, 1)).toEqual({
      ok: false,
      refusal: {
        code: 'too-many-shards',
        message: 'shard size 1 cuts 2000000 servers into 2000000 shards; at most 1000000',
      },
    });
    const plan = shardPlan(m, 500_000);
    expect(plan.ok && plan.value).toEqual(planShards(m, 500_000));
  });

  it('rejects a plan with more than MAX_SHARDS shards', () => {
    const m = model({ servers: 2_000_000 });
    expect(() => planShards(m, 1)).toThrow(/2000000 shards; at most 1000000/);
    expect(MAX_SHARDS).toBe(1_000_000);
    // At exactly the limit it plans.
    expect(planShards(m, 2)).toHaveLength(MAX_SHARDS);
  });
});

describe('defaultShardSize', () => {
  /** Evaluations per server: expected events × strategies. */
  const perServer = (m: CompiledExperiment) =>
    ((m.crashes?.poissonMean ?? 0) + (m.reboots?.poissonMean ?? 0) || 1) * m.strategies.length;

  it('aims at TARGET_EVALUATIONS_PER_SHARD evaluations per shard', () => {
    const cases = [
      model({ servers: 100 }),
      model({ servers: 100, strategies: ['none'] }),
      model({
        servers: 100,
        strategies: ['none', 'blacklist', 'whitelist', 'reset_devices', 'fallback'],
        events: '  crash: { ratePerServerYear: 1.5, horizonDays: 365, causes: { panic: 1 } }',
      }),
      model({
        servers: 100,
        events:
          '  crash: { perServer: 2, causes: { panic: 1 } }\n  reboot: { perServer: 3, path: kexec }',
      }),
    ];
    for (const m of cases) {
      const size = defaultShardSize(m);
      const per = perServer(m);
      expect(Number.isInteger(size)).toBe(true);
      // The smallest size reaching the target.
      expect(size * per).toBeGreaterThanOrEqual(TARGET_EVALUATIONS_PER_SHARD);
      expect((size - 1) * per).toBeLessThan(TARGET_EVALUATIONS_PER_SHARD);
    }
    expect(defaultShardSize(cases[0]!)).toBe(Math.ceil(TARGET_EVALUATIONS_PER_SHARD / 3));
    expect(defaultShardSize(cases[1]!)).toBe(TARGET_EVALUATIONS_PER_SHARD);
  });

  it('treats a spec with no expected events as one event per server', () => {
    const m = model({ servers: 10, events: '  crash: { perServer: 0, causes: { panic: 1 } }' });
    expect(defaultShardSize(m)).toBe(Math.ceil(TARGET_EVALUATIONS_PER_SHARD / 3));
  });

  it('shrinks with many strategies and events (32 × 1000 evaluations per server)', () => {
    const many = Array.from({ length: 32 }, (_, i) => `s${i}`);
    const strategies = many.map((n) => `{ name: ${n}, hardening: true }`);
    const m = model({
      servers: 10,
      strategies,
      events: '  crash: { perServer: 1000, causes: { panic: 1 } }',
    });
    expect(defaultShardSize(m)).toBe(32); // ceil(1000000 / 32000)
  });
});

import { describe, expect, it } from 'vitest';
import { emptyAggregate, mergeInto } from './aggregate';
import { runExperiment } from './experiment';
import {
  decodeShardResult,
  InvalidJobError,
  JOB_CONTRACT_VERSION,
  ModelCache,
  runShardJob,
  runTraceJob,
  shardJobId,
} from './jobs';
import { FleetEngine } from './engine';
import { buildReport } from './report';
import { planShards } from './shard-plan';
import { parseSpecOrThrow } from './spec';
import { exampleText } from '../../../test/fixtures/core';

const resolved = parseSpecOrThrow(exampleText('quickstart.yaml'));
const spec = JSON.parse(JSON.stringify(resolved.spec)) as unknown;

describe('shard jobs', () => {
  it('merged in any order, they give the embedded run', () => {
    const cache = new ModelCache();
    const reference = runExperiment(resolved, { shardSize: 700 });
    const shards = planShards(reference.model, 700);
    const results = shards.map((shard) =>
      runShardJob({ v: JOB_CONTRACT_VERSION, experimentId: 'exp-1', spec, shard }, cache),
    );
    const layout = reference.aggregate.layout;
    const total = emptyAggregate(layout);
    for (const r of [...results].reverse()) {
      mergeInto(total, decodeShardResult(layout, r));
    }
    // Buffer.equals: a deep toEqual walks millions of slots one by one.
    expect(
      Buffer.from(total.slots.buffer).equals(Buffer.from(reference.aggregate.slots.buffer)),
    ).toBe(true);
    expect(results.map((r) => r.servers).reduce((a, b) => a + b, 0)).toBe(3000);
    expect(results[0]!.evaluations).toBe(700 * 12);
  });

  it('a re-run shard computes the very same bytes', () => {
    const data = {
      v: JOB_CONTRACT_VERSION,
      experimentId: 'exp-1',
      spec,
      shard: { index: 2, serverStart: 1400, serverEnd: 2100 },
    } as const;
    expect(runShardJob(data, new ModelCache())).toEqual(runShardJob(data, new ModelCache()));
  });

  it('refuses bad payloads as invalid, not transient', () => {
    const cache = new ModelCache();
    const shard = { index: 0, serverStart: 0, serverEnd: 10 };
    const bad = [
      { v: 2, experimentId: 'e', spec, shard },
      { v: JOB_CONTRACT_VERSION, experimentId: 'e', spec: { name: 'x' }, shard },
      {
        v: JOB_CONTRACT_VERSION,
        experimentId: 'e',
        spec,
        shard: { index: 0, serverStart: 0, serverEnd: 4000 },
      },
    ];
    for (const data of bad) {
      expect(() => runShardJob(data as never, cache)).toThrow(InvalidJobError);
    }
    expect(() => runShardJob(null as never, cache)).toThrow(/not an object/);
  });
});

describe('shard jobs of a roll-out', () => {
  const waves = parseSpecOrThrow(`
name: waves
seed: 4
fleet: [{profile: compute-2s, count: 300}, {profile: gpu-node, count: 100}]
events: {reboot: {perServer: 1, path: kexec}}
strategies: [none, device-reset]
rollout: {canary: 20, waveSize: 60, haltWhenNotBackShareAbove: 0.05}
`);
  const wavesSpec = JSON.parse(JSON.stringify(waves.spec)) as unknown;

  it('carry their waves, and merged in any order give the embedded report', () => {
    const cache = new ModelCache();
    const reference = runExperiment(waves);
    const shards = planShards(reference.model, 70);
    const results = shards.map((shard) =>
      runShardJob({ v: JOB_CONTRACT_VERSION, experimentId: 'w', spec: wavesSpec, shard }, cache),
    );
    expect(results.every((r) => Array.isArray(r.rollout))).toBe(true);
    const layout = reference.aggregate.layout;
    const total = emptyAggregate(layout);
    for (const r of [...results].reverse()) {
      mergeInto(total, decodeShardResult(layout, r, reference.model));
    }
    expect(Array.from(total.rollout!.slots)).toEqual(
      Array.from(reference.aggregate.rollout!.slots),
    );
    expect(buildReport(reference.model, total)).toEqual(reference.report);
    expect(reference.report.rollout!.strategies.map((s) => s.halted)).toEqual([true, false]);
  });

  it('a result without its waves is refused when the spec has a roll-out', () => {
    const model = runExperiment(waves, { shardSize: 400 }).model;
    const r = runShardJob(
      {
        v: JOB_CONTRACT_VERSION,
        experimentId: 'w',
        spec: wavesSpec,
        shard: { index: 0, serverStart: 0, serverEnd: 400 },
      },
      new ModelCache(),
    );
    const layout = new FleetEngine(model).layout;
    expect(() => decodeShardResult(layout, { ...r, rollout: undefined }, model)).toThrow(
      /shard 0 returned no roll-out tally/,
    );
  });
});

describe('trace jobs', () => {
  it('trace one server as the engine does, and refuse events that never happen', () => {
    const cache = new ModelCache();
    const t = runTraceJob(
      { v: JOB_CONTRACT_VERSION, spec, server: 5, kind: 'crash', event: 0 },
      cache,
    );
    expect(t.server).toBe(5);
    expect(t.strategies).toHaveLength(12);
    expect(() =>
      runTraceJob({ v: JOB_CONTRACT_VERSION, spec, server: 5, kind: 'reboot', event: 0 }, cache),
    ).toThrow(InvalidJobError);
  });
});

describe('ids and the model cache', () => {
  it('makes BullMQ-safe shard ids', () => {
    expect(shardJobId('exp-20261126-ab12', 7)).toBe('exp-20261126-ab12-7');
    expect(() => shardJobId('a:b', 1)).toThrow(/letters, digits/);
    expect(() => shardJobId('123', 1)).toThrow(/not all digits/);
  });

  it('compiles a spec once and evicts the least recently used', () => {
    const cache = new ModelCache(1);
    const a = cache.engineFor(spec);
    expect(cache.engineFor(spec)).toBe(a);
    cache.engineFor({ ...(spec as object), seed: 43 });
    expect(cache.engineFor(spec)).not.toBe(a);
  });
});

import { describe, expect, it } from 'vitest';
import { decodeSparse, emptyAggregate, encodeSparse, mergeInto } from './aggregate';
import { compileExperiment } from './compile';
import { FleetEngine } from './engine';
import { runExperiment } from './experiment';
import { buildReport } from './report';
import { planShards } from './shard-plan';
import { parseSpecOrThrow } from './spec';
import { bus, cause, device, driver, exampleText, profile } from '../../../test/fixtures/core';

const QUICKSTART = exampleText('quickstart.yaml');

describe('runExperiment: determinism and sharding', () => {
  const resolved = parseSpecOrThrow(QUICKSTART);
  const reference = runExperiment(resolved);
  const referenceJson = JSON.stringify(reference.report);

  it('gives byte-identical reports whatever the shard size', () => {
    expect(reference.shards).toBe(1);
    for (const [shardSize, shards] of [
      [1, 3000],
      [7, 429],
      [1000, 3],
    ] as const) {
      const r = runExperiment(resolved, { shardSize });
      expect(r.shards).toBe(shards);
      expect(JSON.stringify(r.report)).toBe(referenceJson);
    }
  });

  it('gives identical slots when the shards run out of order, on different engines', () => {
    const model = compileExperiment(resolved);
    const shards = planShards(model, 100);
    expect(shards).toHaveLength(30);
    const workers = [new FleetEngine(model), new FleetEngine(model), new FleetEngine(model)];
    const run = (order: number[]) => {
      const total = emptyAggregate(workers[0]!.layout);
      order.forEach((i, n) => {
        const part = workers[n % workers.length]!.runShard(shards[i]!);
        // As a distributed worker would ship it.
        mergeInto(total, decodeSparse(total.layout, encodeSparse(part)));
      });
      return total;
    };
    const inOrder = encodeSparse(reference.aggregate);
    const reversed = shards.map((_, i) => shards.length - 1 - i);
    const shuffled = shards.map((_, i) => (i * 7) % shards.length); // 7 is coprime with 30
    expect(new Set(shuffled).size).toBe(30);
    expect(encodeSparse(run(reversed))).toEqual(inOrder);
    expect(encodeSparse(run(shuffled))).toEqual(inOrder);
    expect(JSON.stringify(buildReport(model, run(shuffled)))).toBe(referenceJson);
  });

  it('reports progress once per shard', () => {
    const calls: [number, number][] = [];
    runExperiment(resolved, {
      shardSize: 1000,
      onShard: (done, total) => calls.push([done, total]),
    });
    expect(calls).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
  });

  it('follows the seed: the same seed gives the same report, another seed another', () => {
    const same = runExperiment(parseSpecOrThrow(QUICKSTART, { seed: 42 }));
    expect(JSON.stringify(same.report)).toBe(referenceJson);
    const other = runExperiment(parseSpecOrThrow(QUICKSTART, { seed: 43 }));
    expect(other.report.experiment.seed).toBe(43);
    expect(JSON.stringify(other.report.crash)).not.toBe(JSON.stringify(reference.report.crash));
    // Different crashes, not merely a relabelled report: capture counts move.
    const captured = (r: typeof reference) => r.report.crash!.strategies.map((s) => s.captured);
    expect(captured(other)).not.toEqual(captured(reference));
  });

  it('honours the spec run.shardSize when no shard size is given', () => {
    const r = runExperiment(parseSpecOrThrow(`${QUICKSTART}\nrun: {shardSize: 500}\n`));
    expect(r.shards).toBe(6);
    expect(JSON.stringify(r.report)).toBe(referenceJson);
  });
});

/**
 * Independent per-device failure odds: device i is left dirty with probability q_i
 * (spread over dirty states; nothing behind an IOMMU, so in-flight DMA is
 * harmless) and its driver reacts by the given odds. Every other failure odds
 * is 0, so the capture rate under `none` is a product over devices.
 */
describe('analytic check: capture rate = product over devices', () => {
  const N = 20_000;
  const dirty = (q: number) => ({
    inFlightDma: q / 4,
    pendingInterrupt: q / 4,
    staleRing: q / 2,
    wedged: 0,
  });
  const spec = (
    devices: { q: number; reaction: Record<string, number> }[],
    kdumpOverrides: Record<string, unknown> = {},
  ) => `
name: analytic
seed: 2024
fleet: [{profile: lab, count: ${N}}]
events: {crash: {perServer: 1, causes: {clean: 1}}}
strategies: [none]
catalogue:
  crashCauses: {clean: ${cause()}}
  drivers:
${devices.map((d, i) => `    drv${i}: ${driver({ onUnexpectedState: d.reaction })}`).join('\n')}
  devices:
${devices.map((d, i) => `    dev${i}: ${device({ driver: `drv${i}`, postCrashState: dirty(d.q) })}`).join('\n')}
  profiles:
    lab: ${profile({
      // The dump target is the last device.
      dumpTarget: `d${devices.length - 1}`,
      buses: [bus('port', Object.fromEntries(devices.map((_, i) => [`d${i}`, `dev${i}`])))],
      kdump: kdumpOverrides,
    })}
`;
  const react = (o: Partial<Record<'failProbe' | 'oops' | 'panic', number>>) => {
    const failProbe = o.failProbe ?? 0;
    const oops = o.oops ?? 0;
    const panic = o.panic ?? 0;
    return { cope: 1 - failProbe - oops - panic, failProbe, oops, panic };
  };
  const crashOf = (text: string) => runExperiment(parseSpecOrThrow(text)).report.crash!;

  it('panics only: Π(1 − q_i·r_i) lies in the 95 % Wilson interval', () => {
    const devices = [
      { q: 0.3, reaction: react({ panic: 0.2 }) },
      { q: 0.5, reaction: react({ panic: 0.4 }) },
      { q: 0.2, reaction: react({ panic: 0.5 }) },
    ];
    const expected = (1 - 0.3 * 0.2) * (1 - 0.5 * 0.4) * (1 - 0.2 * 0.5); // 0.6768
    const r = crashOf(spec(devices)).strategies[0]!;
    expect(r.jobs).toBe(N);
    expect(Object.keys(r.failureReasons)).toEqual(['capture-kernel-panic']);
    expect(r.captureRate.lower!).toBeLessThanOrEqual(expected);
    expect(r.captureRate.upper!).toBeGreaterThanOrEqual(expected);
    // And the interval is tight enough for the check to mean something.
    expect(r.captureRate.upper! - r.captureRate.lower!).toBeLessThan(0.015);
  });

  it("a dump target that fails probe joins the product; another device's failed probe does not", () => {
    const devices = [
      { q: 0.4, reaction: react({ failProbe: 0.5 }) }, // not the dump target: harmless
      { q: 0.5, reaction: react({ panic: 0.4 }) },
      { q: 0.5, reaction: react({ failProbe: 0.3, panic: 0.2 }) }, // the dump target
    ];
    const expected = 1 * (1 - 0.5 * 0.4) * (1 - 0.5 * (0.3 + 0.2)); // 0.6
    const crash = crashOf(spec(devices));
    const r = crash.strategies[0]!;
    expect(r.captureRate.lower!).toBeLessThanOrEqual(expected);
    expect(r.captureRate.upper!).toBeGreaterThanOrEqual(expected);
    // The split of the failures follows too: the target fails probe with no panic anywhere.
    const missing = (1 - 0.5 * 0.4) * 0.5 * 0.3; // 0.12
    const panic = 1 - (1 - 0.5 * 0.4) * (1 - 0.5 * 0.2); // 0.28
    expectNear(r.failureReasons['dump-target-missing']!, N, missing);
    expectNear(r.failureReasons['capture-kernel-panic']!, N, panic);
  });

  it('with panicOnOops an oops is fatal too; without it only on the dump target', () => {
    const devices = [
      { q: 0.4, reaction: react({ oops: 0.5 }) },
      { q: 0.5, reaction: react({ oops: 0.2 }) }, // the dump target
    ];
    const fatal = (1 - 0.4 * 0.5) * (1 - 0.5 * 0.2); // 0.72
    const onTargetOnly = 1 - 0.5 * 0.2; // 0.9: an oopsed target is absent
    const withPanic = crashOf(spec(devices, { panicOnOops: true })).strategies[0]!;
    expect(withPanic.captureRate.lower!).toBeLessThanOrEqual(fatal);
    expect(withPanic.captureRate.upper!).toBeGreaterThanOrEqual(fatal);
    expect(Object.keys(withPanic.failureReasons)).toEqual(['capture-kernel-oops']);
    const without = crashOf(spec(devices)).strategies[0]!;
    expect(without.captureRate.lower!).toBeLessThanOrEqual(onTargetOnly);
    expect(without.captureRate.upper!).toBeGreaterThanOrEqual(onTargetOnly);
    expect(Object.keys(without.failureReasons)).toEqual(['dump-target-missing']);
  });
});

/** `count` of `n` lies within 4 binomial standard deviations of n·p. */
function expectNear(count: number, n: number, p: number): void {
  expect(Math.abs(count - n * p)).toBeLessThan(4 * Math.sqrt(n * p * (1 - p)));
}

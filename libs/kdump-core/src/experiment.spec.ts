import { describe, expect, it } from 'vitest';
import { decodeSparse, emptyAggregate, encodeSparse, mergeInto } from './aggregate';
import { compileExperiment } from './compile';
import { FleetEngine } from './engine';
import { runExperiment } from './experiment';
import { buildReport } from './report';
import { planShards } from './shard-plan';
import { parseSpecOrThrow } from './spec';
import {
  bus,
  cause,
  CLEARS_DIRTY,
  CLEARS_NOTHING,
  constant,
  COPES,
  device,
  driver,
  exampleText,
  PANICS,
  profile,
  QUIESCENT,
} from '../../../test/fixtures/core';

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

/**
 * Closed forms for the mechanisms of the fidelity issue: resets with explicit
 * per-state odds, fall-through after a bus reset, irqpoll, and the distro
 * defaults (whitelist of the dump target, nousb). Each device is independent,
 * so every capture rate is a product over devices.
 */
describe('analytic check: resets, irqpoll and distro defaults', () => {
  const N = 20_000;
  interface Dev {
    state: Record<string, number>;
    reaction?: Record<string, number>;
    extra?: Record<string, unknown>;
    driverExtra?: Record<string, unknown>;
  }
  const specOf = (devices: Dev[], strategies: string) => `
name: analytic-resets
seed: 77
fleet: [{profile: lab, count: ${N}}]
events: {crash: {perServer: 1, causes: {clean: 1}}}
strategies: ${strategies}
catalogue:
  crashCauses: {clean: ${cause()}}
  drivers:
${devices.map((d, i) => `    drv${i}: ${driver({ onUnexpectedState: d.reaction ?? PANICS, ...d.driverExtra })}`).join('\n')}
  devices:
${devices.map((d, i) => `    dev${i}: ${device({ driver: `drv${i}`, postCrashState: { ...QUIESCENT, ...d.state }, ...d.extra })}`).join('\n')}
  profiles:
    lab: ${profile({
      dumpTarget: `d${devices.length - 1}`,
      buses: [bus('port', Object.fromEntries(devices.map((_, i) => [`d${i}`, `dev${i}`])))],
    })}
`;
  const rates = (text: string) =>
    Object.fromEntries(
      runExperiment(parseSpecOrThrow(text)).report.crash!.strategies.map((s) => [s.strategy, s]),
    );
  const within = (
    r: { captureRate: { lower: number | null; upper: number | null } },
    p: number,
  ) => {
    expect(r.captureRate.lower!).toBeLessThanOrEqual(p);
    expect(r.captureRate.upper!).toBeGreaterThanOrEqual(p);
  };

  it('a reset clears each state with its own odds: Π(1 − Σ_s q_s·(1 − c_s)·r)', () => {
    const pm = (c: Record<string, number>) => ({
      pmReset: { durationMs: constant(20), clears: { ...CLEARS_NOTHING, ...c } },
    });
    const devices: Dev[] = [
      {
        state: { inFlightDma: 0.2, staleRing: 0.3 },
        extra: pm({ inFlightDma: 0.5, staleRing: 0.1 }),
      },
      { state: { pendingInterrupt: 0.4 }, extra: pm({ pendingInterrupt: 0.75 }) },
      // The dump target: its odds are tiny, not a step to 1 as before.
      { state: { staleRing: 0.6 }, extra: pm({ staleRing: 0.001 }) },
    ];
    const expected = (1 - (0.2 * 0.5 + 0.3 * 0.9)) * (1 - 0.4 * 0.25) * (1 - 0.6 * 0.999); // 0.2266
    const r = rates(specOf(devices, '[none, {name: pm-only, resets: [pm]}]'));
    within(r['pm-only']!, expected);
    within(r.none!, (1 - 0.5) * (1 - 0.4) * (1 - 0.6));
  });

  it('a device still wedged after a bus reset falls through to its FLR: 1 − w(1 − b)(1 − f)', () => {
    const wedgedDev = (b: number, f: number): Dev => ({
      state: { wedged: 0.5 },
      extra: {
        busResetClears: { ...CLEARS_DIRTY, wedged: b },
        flr: { durationMs: constant(50), clears: { ...CLEARS_DIRTY, wedged: f } },
      },
    });
    const devices = [wedgedDev(0.2, 0.6)];
    const r = rates(
      specOf(
        devices,
        '[{name: bus-then-flr, resets: [bus-reset, flr]}, {name: flr-then-bus, resets: [flr, bus-reset]}]',
      ),
    );
    const expected = 1 - 0.5 * 0.8 * 0.4; // 0.84, whichever order
    within(r['bus-then-flr']!, expected);
    within(r['flr-then-bus']!, expected);
  });

  it('without irqpoll a pending interrupt hangs with its odds; irqpoll removes the hang', () => {
    const devices: Dev[] = [
      { state: { pendingInterrupt: 0.5 }, reaction: COPES, extra: { interruptStormHangs: 0.4 } },
      { state: { pendingInterrupt: 0.3 }, reaction: COPES, extra: { interruptStormHangs: 0.5 } },
    ];
    const r = rates(specOf(devices, '[none, {name: polled, irqpoll: true}]'));
    within(r.none!, (1 - 0.5 * 0.4) * (1 - 0.3 * 0.5)); // 0.68
    expect(Object.keys(r.none!.failureReasons)).toEqual(['interrupt-storm']);
    expect(r.polled!.captured).toBe(N);
  });

  it('rhel-default loads the dump target alone; debian-default everything but USB', () => {
    const devices: Dev[] = [
      // A USB host controller that panics on its stale state.
      { state: { staleRing: 0.5 }, driverExtra: { usbHostController: true } },
      { state: { staleRing: 0.3 } }, // a NIC that panics
      { state: { staleRing: 0.2 } }, // the dump target
    ];
    const r = rates(specOf(devices, '[none, rhel-default, debian-default]'));
    within(r.none!, 0.5 * 0.7 * 0.8);
    within(r['debian-default']!, 0.7 * 0.8);
    // reset_devices does nothing for a driver that does not honour it; only the target loads.
    within(r['rhel-default']!, 0.8);
  });
});

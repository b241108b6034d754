/**
 * Test-only helpers for the engine, trace, report, experiment and compile specs.
 * Nothing outside `*.spec.ts` may import this file.
 *
 * Lab specs are written inline as YAML in each spec; the helpers here only give
 * the flow-style (JSON) fragments for catalogue entries with every chance and
 * time made deterministic, so a test switches on exactly the mechanism it checks.
 */
// Tests read the shipped examples; the purity rule is for the simulation code itself.
// eslint-disable-next-line no-restricted-imports
import { readFileSync } from 'fs';
import * as path from 'path';
import { emptyAggregate, type Aggregate } from './aggregate';
import { compileExperiment, type CompiledExperiment } from './compile';
import { FleetEngine } from './engine';
import type { JobKind } from './outcome';
import { buildReport } from './report';
import type { Report } from './report-schema';
import { parseSpecOrThrow, type ResolvedSpec, type SpecOverrides } from './spec';
import type { KdumpConfig } from './spec-schema';
import type { DeviceTrace, JobTrace, StrategyTrace } from './trace';

/** Text of a spec under `examples/`. */
export function exampleText(file: string): string {
  return readFileSync(path.resolve(__dirname, '../../../examples', file), 'utf8');
}

/** A constant time distribution. */
export const constant = (ms: number) => ({ kind: 'constant' as const, ms });

/** YAML flow mapping of a value (JSON is YAML). */
export const flow = (value: unknown): string => JSON.stringify(value);

export const QUIESCENT = { inFlightDma: 0, pendingInterrupt: 0, staleRing: 0, wedged: 0 };
export const COPES = { cope: 1, failProbe: 0, oops: 0, panic: 0 };
export const PANICS = { cope: 0, failProbe: 0, oops: 0, panic: 1 };
export const FAILS_PROBE = { cope: 0, failProbe: 1, oops: 0, panic: 0 };

/** Every kdump stage certain and every time constant. */
export const CLEAN_KDUMP: KdumpConfig = {
  captureKernelLoaded: 1,
  crashKexecMs: constant(1),
  cpuStopMs: constant(10),
  nmiShootdownLimitMs: 1000,
  staleCpuBreaksCapture: 0,
  purgatoryDigestMiBPerSecond: 270,
  loadedSegmentsMiB: 81,
  purgatoryDigestMismatch: 0,
  captureKernelBaseMiB: 142,
  captureKernelBootMs: constant(6000),
  panicOnOops: false,
  panicRebootMs: 10_000,
  hangWatchdogMs: 600_000,
  rebootPath: 'firmware',
};

/** A crash cause detected in 1 ms that never hangs, never leaves a stale CPU, wedges nothing. */
export function cause(overrides: Record<string, unknown> = {}): string {
  return flow({
    extends: 'panic',
    detectionMs: constant(1),
    undetectedHang: 0,
    staleCpu: 0,
    extraWedged: 0,
    ...overrides,
  });
}

/** A driver (extends nvme) that copes with everything, with constant times and small memory. */
export function driver(overrides: Record<string, unknown> = {}): string {
  return flow({
    extends: 'nvme',
    honoursResetDevices: false,
    resetDevicesInitMs: constant(400),
    kdumpAware: false,
    memoryMiB: 10,
    minimalMemoryMiB: 10,
    onUnexpectedState: COPES,
    hardenedReaction: COPES,
    hardeningInitMs: constant(30),
    probeTimeoutMs: constant(1000),
    shutdownFailsToQuiesce: 0,
    knownKdumpProblems: false,
    ...overrides,
  });
}

/**
 * A device model (extends nvme-ssd) that the crash leaves quiescent, with a working
 * 50 ms FLR, no device-specific or PM reset, not behind an IOMMU, constant times.
 */
export function device(overrides: Record<string, unknown> = {}): string {
  return flow({
    extends: 'nvme-ssd',
    driver: 'calm',
    initMs: constant(100),
    postCrashState: QUIESCENT,
    deviceSpecificReset: null,
    flr: { durationMs: constant(50), recoversWedged: 1 },
    pmReset: null,
    busResetRecoversWedged: 1,
    configRestoreRecovers: 1,
    configRestoreMs: constant(5),
    behindIommu: false,
    dmarFaultFatal: 0,
    ...overrides,
  });
}

export interface BusFixture {
  name: string;
  secondaryBusReset: boolean;
  busResetMs: { kind: 'constant'; ms: number };
  devices: { name: string; model: string }[];
}

/** A bus (device name → model), with a 200 ms secondary bus reset unless refused. */
export function bus(
  name: string,
  devices: Record<string, string>,
  options: { secondaryBusReset?: boolean; busResetMs?: number } = {},
): BusFixture {
  return {
    name,
    secondaryBusReset: options.secondaryBusReset ?? true,
    busResetMs: constant(options.busResetMs ?? 200),
    devices: Object.entries(devices).map(([n, model]) => ({ name: n, model })),
  };
}

/**
 * A server profile (extends compute-2s) with every time constant: 64 GiB RAM, a
 * 1 GiB reservation, POST 50 s, kernel boot 40 s, dump 5 % of RAM at 100 ms/GiB
 * (320 ms) with no filtering time, and the clean kdump config.
 */
export function profile(options: {
  buses: BusFixture[];
  dumpTarget: string;
  crashkernelMiB?: number;
  kdump?: Partial<KdumpConfig>;
}): string {
  return flow({
    extends: 'compute-2s',
    ramGiB: 64,
    crashkernelMiB: options.crashkernelMiB ?? 1024,
    buses: options.buses,
    dumpTarget: options.dumpTarget,
    dumpMsPerGiB: constant(100),
    dumpPercentOfRam: { medianPercent: 5, p95Percent: 5 },
    filterMsPerTiB: 0,
    firmwarePostMs: constant(50_000),
    kernelBootMs: constant(40_000),
    kdump: { ...CLEAN_KDUMP, ...options.kdump },
  });
}

/** A spec parsed, compiled, with a fresh engine. */
export interface Lab {
  resolved: ResolvedSpec;
  model: CompiledExperiment;
  engine: FleetEngine;
}

export function lab(yaml: string, overrides: SpecOverrides = {}): Lab {
  const resolved = parseSpecOrThrow(yaml, overrides);
  const model = compileExperiment(resolved);
  return { resolved, model, engine: new FleetEngine(model) };
}

/** Every server of the fleet in one shard, on the given engine. */
export function runAll(l: Lab, engine: FleetEngine = l.engine): Aggregate {
  return engine.runShard(
    { index: 0, serverStart: 0, serverEnd: l.model.servers },
    emptyAggregate(engine.layout),
  );
}

export function reportOf(l: Lab): Report {
  return buildReport(l.model, runAll(l));
}

/** Traces event 0 of servers [0, count). */
export function traceServers(l: Lab, count: number, kind: JobKind = 'crash'): JobTrace[] {
  const out: JobTrace[] = [];
  for (let s = 0; s < count; s++) {
    out.push(l.engine.traceJob(s, kind, 0));
  }
  return out;
}

export function strategyOf(trace: JobTrace, name: string): StrategyTrace {
  const s = trace.strategies.find((x) => x.strategy === name);
  if (!s) {
    throw new Error(`no strategy ${name} in the trace`);
  }
  return s;
}

export function deviceOf(s: StrategyTrace, name: string): DeviceTrace {
  const d = s.devices.find((x) => x.name === name);
  if (!d) {
    throw new Error(`no device ${name} in strategy ${s.strategy}`);
  }
  return d;
}

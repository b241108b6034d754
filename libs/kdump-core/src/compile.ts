/**
 * Compiles a resolved spec into flat, table-driven form for the engine: typed
 * arrays per server profile, cumulative odds tables, strategy decisions reduced
 * to per-device flags. Compilation is deterministic, so a worker thread or a
 * BullMQ worker compiling the same spec gets the same model.
 */
import { compileDistribution, type CompiledDistribution } from './distribution';
import { purgatoryDigestMicros } from './purgatory';
import type { ResolvedSpec, ResolvedStrategy } from './spec';
import type { DeviceModel, ResetMethod, TimeDistributionSpec } from './spec-schema';

/** Entries per device in the reset-effect tables: one per post-crash state code. */
export const STATE_CODES = 5;

/** Per-device distribution slots, `devDist[d * DEV_DISTS + slot]`. */
export const enum DevDist {
  Init = 0,
  ResetDevicesInit = 1,
  HardeningInit = 2,
  ProbeTimeout = 3,
  DeviceSpecific = 4,
  Flr = 5,
  Pm = 6,
  ConfigRestore = 7,
}
export const DEV_DISTS = 8;

/** Reset steps, as the engine encodes them. */
export const enum Step {
  ConfigRestore = 0,
  DeviceSpecific = 1,
  Flr = 2,
  Pm = 3,
  BusReset = 4,
}

const STEP_CODES: Record<ResolvedStrategy['resets'][number], number> = {
  'config-restore': Step.ConfigRestore,
  'device-specific': Step.DeviceSpecific,
  flr: Step.Flr,
  pm: Step.Pm,
  'bus-reset': Step.BusReset,
};

/** A strategy reduced to what the engine needs. */
export interface CompiledStrategy {
  name: string;
  resetDevices: boolean;
  hardening: boolean;
  /** irqpoll: interrupts left pending by the old kernel do not hang the capture kernel. */
  irqpoll: boolean;
  /** nousb: USB host controller drivers stay unbound. */
  nousb: boolean;
  /** nr_cpus=N of the capture kernel (capped per profile at its CPU count). */
  nrCpus: number;
  /** Reset step codes ({@link Step}) in the order they are tried. */
  steps: Int32Array;
}

/** One server profile in struct-of-arrays form. `d` indexes devices, `b` buses. */
export interface CompiledProfile {
  name: string;
  ramGiB: number;
  crashkernelMiB: number;
  deviceCount: number;
  busCount: number;
  deviceNames: string[];
  /** Driver of each device. */
  driverNames: string[];
  /** Bus of each device. */
  devBus: Int32Array;
  /** Index of each device's class in the experiment's device class list. */
  devClass: Int32Array;
  dumpTarget: number;
  /**
   * Cumulative post-crash state thresholds per cause and device,
   * `[(cause * deviceCount + d) * 4 + k]` for k = in-flight DMA, pending IRQ,
   * stale ring, wedged; a uniform at or above the last is quiescent.
   */
  stateCum: Float64Array;
  /** Dirty-state thresholds when a kexec shutdown method failed: same layout, cause-free. */
  dirtyCum: Float64Array;
  /** Post-crash state thresholds without any cause's extra wedging: `[d * 4 + k]`. */
  idleCum: Float64Array;
  /** Cumulative reaction thresholds `[d * 3 + k]`: cope, +failProbe, +oops; above is panic. */
  reactCum: Float64Array;
  hardenedCum: Float64Array;
  devDist: CompiledDistribution[];
  /**
   * What each reset does to each state: `[d * STATE_CODES + state]` is the odds
   * that device `d`, found in `state`, is quiescent after it (entry 0, quiescent, is 1).
   */
  deviceSpecificClears: Float64Array;
  flrClears: Float64Array;
  pmClears: Float64Array;
  busClears: Float64Array;
  configRestoreClears: Float64Array;
  /** The driver's own reset under reset_devices. */
  driverResetClears: Float64Array;
  /** 1 where the device offers the reset. */
  hasDeviceSpecific: Uint8Array;
  hasFlr: Uint8Array;
  hasPm: Uint8Array;
  /** Odds that an interrupt it left pending hangs a capture kernel without irqpoll. */
  interruptStormHangs: Float64Array;
  /** 1 for a USB host controller (unbound under nousb). */
  usbHost: Uint8Array;
  /** Device names with their drivers, `eth0 (i40e)`: how failures name their culprit. */
  culpritNames: string[];
  /** Index of each device's culprit name in the experiment's {@link CompiledExperiment.culprits}. */
  devCulprit: Int32Array;
  /** 1 when the driver has both save_state and preinit. */
  canConfigRestore: Uint8Array;
  honoursResetDevices: Uint8Array;
  kdumpAware: Uint8Array;
  hasShutdown: Uint8Array;
  memoryMiB: Float64Array;
  minimalMemoryMiB: Float64Array;
  /** Odds that unstopped in-flight DMA is fatal (0 when not behind an IOMMU). */
  dmarFatal: Float64Array;
  shutdownFailsToQuiesce: Float64Array;
  busSecondaryReset: Uint8Array;
  busResetDist: CompiledDistribution[];
  /** `loaded[s * deviceCount + d]`: the capture kernel loads this device's driver. */
  loaded: Uint8Array;
  /**
   * Per strategy: the first device whose driver, loading in probe order, takes the
   * capture kernel past its crashkernel= reservation (-1 when all fit). Memory
   * needs do not depend on chance, so this is decided here once.
   */
  oomAt: Int32Array;
  /** Per strategy: the CPUs its capture kernel brings up (nr_cpus, capped at the profile's). */
  captureCpus: Int32Array;
  // kdump stage parameters
  captureKernelLoaded: number;
  crashKexec: CompiledDistribution;
  cpuStop: CompiledDistribution;
  nmiShootdownLimitUs: number;
  staleCpuBreaksCapture: number;
  purgatoryDigestUs: number;
  purgatoryDigestMismatch: number;
  captureKernelBaseMiB: number;
  captureKernelBoot: CompiledDistribution;
  panicOnOops: boolean;
  panicRebootUs: number;
  hangWatchdogUs: number;
  rebootViaKexec: boolean;
  /** irqpoll's extra capture kernel boot and bring-up time, as a fraction. */
  irqpollSlowdown: number;
  staleKexecParameters: number;
  backupRegionKiB: number;
  backupRegionLost: number;
  dumpPercent: CompiledDistribution;
  dumpUsPerGiB: CompiledDistribution;
  filterUsPerGiB: number;
  firmwarePost: CompiledDistribution;
  kernelBoot: CompiledDistribution;
}

/** The whole experiment, compiled. */
export interface CompiledExperiment {
  resolved: ResolvedSpec;
  seed: number;
  servers: number;
  strategies: CompiledStrategy[];
  /** Index of the strategy the verdict compares every other against (the spec's `baseline`, or 0). */
  baseline: number;
  deviceClasses: string[];
  /** Culprit names (`device (driver)`) of every profile, sorted: the aggregate's culprit keys. */
  culprits: string[];
  profiles: CompiledProfile[];
  /** Fleet segments: servers [segmentStart[i], segmentStart[i+1]) use profile segmentProfile[i]. */
  segmentStart: Float64Array;
  segmentProfile: Int32Array;
  crashes: EventPlan | null;
  reboots: (EventPlan & { viaKexec: boolean }) | null;
  /** Cumulative crash-cause weights, normalised; index = cause. */
  causeCum: Float64Array;
  causeNames: string[];
  causeDetection: CompiledDistribution[];
  causeUndetected: Float64Array;
  causeStaleCpu: Float64Array;
}

/** How many events each server has: a fixed count, or Poisson with a mean. */
export interface EventPlan {
  fixed: number | null;
  poissonMean: number;
}

function cumulative(values: number[]): number[] {
  let acc = 0;
  return values.map((v) => (acc += v));
}

/** Compiles a resolved spec. Throws only on broken invariants (validation ran before). */
export function compileExperiment(resolved: ResolvedSpec): CompiledExperiment {
  const { spec } = resolved;
  const usedProfiles = [...new Set(spec.fleet.map((f) => f.profile))];
  const classSet = new Set<string>();
  for (const p of usedProfiles) {
    for (const bus of resolved.profiles[p]!.buses) {
      for (const dev of bus.devices) {
        classSet.add(resolved.devices[dev.model]!.class);
      }
    }
  }
  const deviceClasses = [...classSet].sort();

  const crashSpec = spec.events.crash;
  const causeNames = crashSpec
    ? Object.keys(crashSpec.causes).filter((c) => crashSpec.causes[c]! > 0)
    : [];
  const totalWeight = causeNames.reduce((a, c) => a + crashSpec!.causes[c]!, 0);
  const causeCum = Float64Array.from(
    cumulative(causeNames.map((c) => crashSpec!.causes[c]! / totalWeight)),
  );
  if (causeCum.length > 0) {
    causeCum[causeCum.length - 1] = 1;
  }
  const causes = causeNames.map((c) => resolved.crashCauses[c]!);

  const strategies = resolved.strategies.map((s): CompiledStrategy => ({
    name: s.name,
    resetDevices: s.resetDevices,
    hardening: s.hardening,
    irqpoll: s.irqpoll,
    nousb: s.nousb,
    nrCpus: s.nrCpus,
    steps: Int32Array.from(s.resets.map((r) => STEP_CODES[r])),
  }));

  const culpritSet = new Set<string>();
  for (const p of usedProfiles) {
    for (const bus of resolved.profiles[p]!.buses) {
      for (const dev of bus.devices) {
        culpritSet.add(culpritName(dev.name, resolved.devices[dev.model]!.driver));
      }
    }
  }
  const culprits = [...culpritSet].sort();

  const profileIndex = new Map(usedProfiles.map((p, i) => [p, i]));
  const profiles = usedProfiles.map((p) =>
    compileProfile(p, resolved, deviceClasses, culprits, causes, resolved.strategies),
  );
  const segmentStart = new Float64Array(spec.fleet.length + 1);
  const segmentProfile = new Int32Array(spec.fleet.length);
  spec.fleet.forEach((f, i) => {
    segmentStart[i + 1] = segmentStart[i]! + f.count;
    segmentProfile[i] = profileIndex.get(f.profile)!;
  });

  const plan = (ev: { perServer?: number; ratePerServerYear?: number; horizonDays?: number }) => ({
    fixed: ev.perServer ?? null,
    poissonMean:
      ev.perServer !== undefined ? ev.perServer : (ev.ratePerServerYear! * ev.horizonDays!) / 365,
  });

  return {
    resolved,
    seed: spec.seed,
    servers: resolved.servers,
    strategies,
    baseline: baselineIndex(spec.baseline, strategies),
    deviceClasses,
    culprits,
    profiles,
    segmentStart,
    segmentProfile,
    crashes: crashSpec ? plan(crashSpec) : null,
    reboots: spec.events.reboot
      ? { ...plan(spec.events.reboot), viaKexec: spec.events.reboot.path === 'kexec' }
      : null,
    causeCum,
    causeNames,
    causeDetection: causes.map((c, i) =>
      compileDistribution(c.detectionMs, `crashCauses.${causeNames[i]}.detectionMs`),
    ),
    causeUndetected: Float64Array.from(causes.map((c) => c.undetectedHang)),
    causeStaleCpu: Float64Array.from(causes.map((c) => c.staleCpu)),
  };
}

function baselineIndex(name: string | undefined, strategies: CompiledStrategy[]): number {
  if (name === undefined) {
    return 0;
  }
  const i = strategies.findIndex((s) => s.name === name);
  if (i < 0) {
    throw new RangeError(`baseline "${name}" is not a strategy of the spec`);
  }
  return i;
}

const ZERO: TimeDistributionSpec = { kind: 'constant', ms: 0 };

/** How a failure names the device whose driver caused it: `eth0 (i40e)`. */
export function culpritName(device: string, driver: string): string {
  return `${device} (${driver})`;
}

/** A reset's per-state odds as a table row: quiescent, then the states in {@link State} order. */
function effectRow(
  e: { inFlightDma: number; pendingInterrupt: number; staleRing: number; wedged: number } | null,
): number[] {
  return e ? [1, e.inFlightDma, e.pendingInterrupt, e.staleRing, e.wedged] : [1, 0, 0, 0, 0];
}

function effectTable(rows: number[][]): Float64Array {
  return Float64Array.from(rows.flat());
}

function compileProfile(
  profileName: string,
  resolved: ResolvedSpec,
  deviceClasses: string[],
  culprits: string[],
  causes: ResolvedSpec['crashCauses'][string][],
  strategies: ResolvedStrategy[],
): CompiledProfile {
  const p = resolved.profiles[profileName]!;
  const where = `profiles.${profileName}`;
  const devs: { name: string; bus: number; model: DeviceModel; modelName: string }[] = [];
  p.buses.forEach((bus, b) =>
    bus.devices.forEach((d) =>
      devs.push({ name: d.name, bus: b, model: resolved.devices[d.model]!, modelName: d.model }),
    ),
  );
  const n = devs.length;
  const k = p.kdump;
  const drivers = devs.map((d) => resolved.drivers[d.model.driver]!);
  const dumpTarget = devs.findIndex((d) => d.name === p.dumpTarget);
  if (dumpTarget < 0) {
    throw new Error(`${where}: dump target ${p.dumpTarget} not found among its devices`);
  }

  const stateCum = new Float64Array(Math.max(1, causes.length) * n * 4);
  causes.forEach((cause, c) =>
    devs.forEach((d, i) => {
      const s = d.model.postCrashState;
      // A cause's extra wedging takes its share from quiescent first.
      const quiescent = Math.max(
        0,
        1 - s.inFlightDma - s.pendingInterrupt - s.staleRing - s.wedged,
      );
      const extra = Math.min(cause.extraWedged, quiescent);
      const cum = cumulative([s.inFlightDma, s.pendingInterrupt, s.staleRing, s.wedged + extra]);
      stateCum.set(cum, (c * n + i) * 4);
    }),
  );
  const idleCum = new Float64Array(n * 4);
  devs.forEach((d, i) => {
    const s = d.model.postCrashState;
    idleCum.set(cumulative([s.inFlightDma, s.pendingInterrupt, s.staleRing, s.wedged]), i * 4);
  });
  const dirtyCum = new Float64Array(n * 4);
  devs.forEach((d, i) => {
    const s = d.model.postCrashState;
    const dirty = s.inFlightDma + s.pendingInterrupt + s.staleRing + s.wedged;
    const cum =
      dirty > 0
        ? cumulative(
            [s.inFlightDma, s.pendingInterrupt, s.staleRing, s.wedged].map((v) => v / dirty),
          )
        : [0, 0, 0, 0];
    cum[3] = dirty > 0 ? 1 : 0;
    dirtyCum.set(cum, i * 4);
  });

  const reactCum = new Float64Array(n * 3);
  const hardenedCum = new Float64Array(n * 3);
  drivers.forEach((drv, i) => {
    const r = drv.onUnexpectedState;
    reactCum.set(cumulative([r.cope, r.failProbe, r.oops]), i * 3);
    const h = drv.hardenedReaction;
    hardenedCum.set(cumulative([h.cope, h.failProbe, h.oops]), i * 3);
  });

  const devDist: CompiledDistribution[] = [];
  devs.forEach((d, i) => {
    const drv = drivers[i]!;
    const w = `${where}.devices.${d.name}`;
    const reset = (r: ResetMethod | null) => (r ? r.durationMs : ZERO);
    devDist.push(
      compileDistribution(d.model.initMs, `${w}.initMs`),
      compileDistribution(drv.resetDevicesInitMs, `${w}.driver.resetDevicesInitMs`),
      compileDistribution(drv.hardeningInitMs, `${w}.driver.hardeningInitMs`),
      compileDistribution(drv.probeTimeoutMs, `${w}.driver.probeTimeoutMs`),
      compileDistribution(reset(d.model.deviceSpecificReset), `${w}.deviceSpecificReset`),
      compileDistribution(reset(d.model.flr), `${w}.flr`),
      compileDistribution(reset(d.model.pmReset), `${w}.pmReset`),
      compileDistribution(d.model.configRestoreMs, `${w}.configRestoreMs`),
    );
  });

  const loaded = new Uint8Array(strategies.length * n);
  strategies.forEach((s, si) =>
    devs.forEach((d, i) => {
      const driver = d.model.driver;
      let load = !(s.nousb && drivers[i]!.usbHostController === true);
      if (!load) {
        // nousb: the USB core never binds a host controller driver.
      } else if (s.blacklist === 'known-problems') {
        load = !drivers[i]!.knownKdumpProblems;
      } else if (Array.isArray(s.blacklist)) {
        load = !s.blacklist.includes(driver);
      } else if (s.whitelist === 'dump-target') {
        load = driver === devs[dumpTarget]!.model.driver;
      } else if (Array.isArray(s.whitelist)) {
        load = s.whitelist.includes(driver);
      }
      loaded[si * n + i] = load ? 1 : 0;
    }),
  );

  const cpus = p.cpus ?? 1;
  const captureCpus = Int32Array.from(strategies.map((s) => Math.min(s.nrCpus, cpus)));
  const oomAt = new Int32Array(strategies.length).fill(-1);
  strategies.forEach((s, si) => {
    // Every CPU past the first costs its per-CPU areas and queues in the reservation.
    const reservationMiB =
      p.crashkernelMiB - k.captureKernelBaseMiB - (k.perCpuMiB ?? 0) * (captureCpus[si]! - 1);
    let memoryMiB = 0;
    for (let i = 0; i < n; i++) {
      if (loaded[si * n + i] === 0) {
        continue;
      }
      const drv = drivers[i]!;
      const minimal = drv.kdumpAware || (s.resetDevices && drv.honoursResetDevices);
      memoryMiB += minimal ? drv.minimalMemoryMiB : drv.memoryMiB;
      if (memoryMiB > reservationMiB) {
        oomAt[si] = i;
        break;
      }
    }
  });

  const effect = (r: ResetMethod | null) => effectRow(r ? r.clears : null);
  return {
    name: profileName,
    ramGiB: p.ramGiB,
    crashkernelMiB: p.crashkernelMiB,
    deviceCount: n,
    busCount: p.buses.length,
    deviceNames: devs.map((d) => d.name),
    driverNames: devs.map((d) => d.model.driver),
    devBus: Int32Array.from(devs.map((d) => d.bus)),
    devClass: Int32Array.from(devs.map((d) => deviceClasses.indexOf(d.model.class))),
    dumpTarget,
    stateCum,
    dirtyCum,
    idleCum,
    reactCum,
    hardenedCum,
    devDist,
    deviceSpecificClears: effectTable(devs.map((d) => effect(d.model.deviceSpecificReset))),
    flrClears: effectTable(devs.map((d) => effect(d.model.flr))),
    pmClears: effectTable(devs.map((d) => effect(d.model.pmReset))),
    busClears: effectTable(devs.map((d) => effectRow(d.model.busResetClears))),
    configRestoreClears: effectTable(devs.map((d) => effectRow(d.model.configRestoreClears))),
    driverResetClears: effectTable(drivers.map((drv) => effectRow(drv.resetDevicesClears))),
    hasDeviceSpecific: Uint8Array.from(devs.map((d) => (d.model.deviceSpecificReset ? 1 : 0))),
    hasFlr: Uint8Array.from(devs.map((d) => (d.model.flr ? 1 : 0))),
    hasPm: Uint8Array.from(devs.map((d) => (d.model.pmReset ? 1 : 0))),
    interruptStormHangs: Float64Array.from(devs.map((d) => d.model.interruptStormHangs ?? 0)),
    usbHost: Uint8Array.from(drivers.map((drv) => (drv.usbHostController === true ? 1 : 0))),
    culpritNames: devs.map((d) => culpritName(d.name, d.model.driver)),
    devCulprit: Int32Array.from(
      devs.map((d) => culprits.indexOf(culpritName(d.name, d.model.driver))),
    ),
    canConfigRestore: Uint8Array.from(
      drivers.map((drv) =>
        drv.methods.includes('save_state') && drv.methods.includes('preinit') ? 1 : 0,
      ),
    ),
    honoursResetDevices: Uint8Array.from(drivers.map((drv) => (drv.honoursResetDevices ? 1 : 0))),
    kdumpAware: Uint8Array.from(drivers.map((drv) => (drv.kdumpAware ? 1 : 0))),
    hasShutdown: Uint8Array.from(drivers.map((drv) => (drv.methods.includes('shutdown') ? 1 : 0))),
    memoryMiB: Float64Array.from(drivers.map((drv) => drv.memoryMiB)),
    minimalMemoryMiB: Float64Array.from(drivers.map((drv) => drv.minimalMemoryMiB)),
    dmarFatal: Float64Array.from(
      devs.map((d) => (d.model.behindIommu ? d.model.dmarFaultFatal : 0)),
    ),
    shutdownFailsToQuiesce: Float64Array.from(drivers.map((drv) => drv.shutdownFailsToQuiesce)),
    busSecondaryReset: Uint8Array.from(p.buses.map((b) => (b.secondaryBusReset ? 1 : 0))),
    busResetDist: p.buses.map((b, i) =>
      compileDistribution(b.busResetMs, `${where}.buses[${i}].busResetMs`),
    ),
    loaded,
    oomAt,
    captureCpus,
    // kexec -p cannot place the capture kernel and initramfs in a reservation smaller than
    // they are (the kdump lab: crashkernel=64M refused a 63.6 MiB image): never loaded.
    captureKernelLoaded: p.crashkernelMiB < k.loadedSegmentsMiB ? 0 : k.captureKernelLoaded,
    crashKexec: compileDistribution(k.crashKexecMs, `${where}.kdump.crashKexecMs`),
    cpuStop: compileDistribution(k.cpuStopMs, `${where}.kdump.cpuStopMs`),
    nmiShootdownLimitUs: Math.round(k.nmiShootdownLimitMs * 1000),
    staleCpuBreaksCapture: k.staleCpuBreaksCapture,
    purgatoryDigestUs: purgatoryDigestMicros(k.loadedSegmentsMiB, k.purgatoryDigestMiBPerSecond),
    purgatoryDigestMismatch: k.purgatoryDigestMismatch,
    captureKernelBaseMiB: k.captureKernelBaseMiB,
    captureKernelBoot: compileDistribution(
      k.captureKernelBootMs,
      `${where}.kdump.captureKernelBootMs`,
    ),
    panicOnOops: k.panicOnOops,
    panicRebootUs: Math.round(k.panicRebootMs * 1000),
    hangWatchdogUs: Math.round(k.hangWatchdogMs * 1000),
    rebootViaKexec: k.rebootPath === 'kexec',
    irqpollSlowdown: (k.irqpollSlowdownPercent ?? 0) / 100,
    staleKexecParameters: k.staleKexecParameters ?? 0,
    backupRegionKiB: k.backupRegionKiB ?? 0,
    backupRegionLost: k.backupRegionLost ?? 0,
    // A percentage drawn as a lognormal "duration" in ms: the unit is percent·1000 per draw.
    dumpPercent: compileDistribution(
      {
        kind: 'lognormal',
        medianMs: p.dumpPercentOfRam.medianPercent,
        p95Ms: p.dumpPercentOfRam.p95Percent,
      },
      `${where}.dumpPercentOfRam`,
    ),
    dumpUsPerGiB: compileDistribution(p.dumpMsPerGiB, `${where}.dumpMsPerGiB`),
    filterUsPerGiB: (p.filterMsPerTiB * 1000) / 1024,
    firmwarePost: compileDistribution(p.firmwarePostMs, `${where}.firmwarePostMs`),
    kernelBoot: compileDistribution(p.kernelBootMs, `${where}.kernelBootMs`),
  };
}

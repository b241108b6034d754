/**
 * Calibration, pure: kdump lab observations → a catalogue block (profile
 * `qemu-q35` and its drivers and devices), every value with a `source` naming the
 * observation files it came from. The file I/O is in calibrate-command.ts.
 *
 * What the lab measures and where it goes:
 * - crashkernel= threshold: the last reservation that failed for want of memory
 *   (kexec -p could not load, or the capture kernel ran out while drivers
 *   loaded) and the first that captured → `crashkernelMiB` (the first working
 *   size) and `kdump.captureKernelBaseMiB` (the need, halfway between, less
 *   what the drivers take);
 * - per-driver memory: MemFree before minus after loading the driver;
 * - probe costs: `probe of <device> returned 0 after N usecs` → the device's
 *   `initMs` (empirical: the observed values);
 * - dump time per GiB of RAM by makedumpfile level → `filterMsPerTiB` (see
 *   {@link calibrateDump}); dump size as a share of RAM per level →
 *   `dumpPercentOfRam`.
 */
import { BUILTIN_PROFILES } from '../../../libs/kdump-core/src';
import type { LabObservation } from './lab-observation';
import { betaPosterior } from './beta-posterior';

/** An observation with the file it was read from (named in every `source`). */
export interface SourcedObservation {
  file: string;
  observation: LabObservation;
}

/** How each lab driver maps onto the catalogue: its own driver and device entries. */
export const LAB_CATALOGUE_MAP: Record<
  string,
  {
    driver: string;
    extendsDriver: string;
    device: string;
    extendsDevice: string;
    instance: string;
    kdumpAware: boolean;
  }
> = {
  nvme: {
    driver: 'lab-nvme',
    extendsDriver: 'nvme',
    device: 'qemu-nvme',
    extendsDevice: 'nvme-ssd',
    instance: 'nvme0',
    kdumpAware: true,
  },
  megaraid_sas: {
    driver: 'lab-megaraid_sas',
    extendsDriver: 'megaraid_sas',
    device: 'qemu-megasas',
    extendsDevice: 'sas-raid-hba',
    instance: 'raid0',
    kdumpAware: false,
  },
  e1000e: {
    driver: 'lab-e1000e',
    extendsDriver: 'i40e',
    device: 'qemu-e1000e',
    extendsDevice: 'nic-25g',
    instance: 'eth0',
    kdumpAware: false,
  },
  virtio_net: {
    driver: 'lab-virtio_net',
    extendsDriver: 'i40e',
    device: 'qemu-virtio-net',
    extendsDevice: 'nic-25g',
    instance: 'eth1',
    kdumpAware: false,
  },
  xhci_pci: {
    driver: 'lab-xhci_hcd',
    extendsDriver: 'xhci_hcd',
    device: 'qemu-xhci',
    extendsDevice: 'xhci',
    instance: 'usb0',
    kdumpAware: false,
  },
};

/** The lab's drivers in probe order (the dump target, NVMe, first). */
export const LAB_DRIVER_ORDER = ['nvme', 'megaraid_sas', 'e1000e', 'virtio_net', 'xhci_pci'];

/** Outcomes that mean "the reservation was too small". */
export const TOO_SMALL: ReadonlySet<LabObservation['outcome']> = new Set([
  'kexec-load-failed',
  'capture-kernel-oom',
]);

export interface CrashkernelThreshold {
  /** reset_devices on the capture kernel command line in the cycles used. */
  resetDevices: boolean;
  lastFailingMiB: number;
  firstWorkingMiB: number;
  /** The reservation the model says is needed: halfway between. */
  needMiB: number;
  failing: string[];
  working: string[];
}

export interface DriverCalibration {
  driver: string;
  /** MemFree drop while the driver loaded, median over captured cycles, MiB. */
  memoryMiB: number;
  /** Probe times (ms) of captured cycles, sorted. */
  probeMs: number[];
  medianProbeMs: number;
  /** For a driver that honours reset_devices: median probe with it minus without (ms, >= 0). */
  resetDevicesExtraMs: number | null;
  files: string[];
}

export interface DumpCalibration {
  filterMsPerGiB: number;
  writeMsPerGiB: number;
  /** Dump size as a share of RAM, by makedumpfile level: median and largest seen. */
  percentOfRamByLevel: Record<
    string,
    { medianPercent: number; maxPercent: number; files: string[] }
  >;
  /** Dump time per GiB of RAM, by level: median (ms). */
  msPerGiBByLevel: Record<string, number>;
  /** Relative residuals of the fit, per file. */
  residuals: Record<string, number>;
  files: string[];
}

export interface LabCalibration {
  observations: number;
  kernel: string;
  thresholds: CrashkernelThreshold[];
  drivers: DriverCalibration[];
  dump: DumpCalibration;
  /** Crash to capture kernel init (host time + kernel time), ms, sorted. */
  captureKernelBootMs: number[];
  /** Cycles that crashed with disks and NICs busy, and how many of their devices failed to probe. */
  busyCycles: { cycles: number; probesFailed: number; probes: number };
  /** The catalogue block, ready for YAML: { catalogue: { drivers, devices, profiles, crashCauses } }. */
  catalogue: Record<string, unknown>;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const r2 = (v: number) => Math.round(v * 100) / 100;
const names = (xs: SourcedObservation[]) => [...new Set(xs.map((x) => x.file))].sort();
const cite = (xs: SourcedObservation[] | string[]) =>
  'lab: ' +
  (xs.length === 0
    ? '(no observation)'
    : (typeof xs[0] === 'string' ? (xs as string[]) : names(xs as SourcedObservation[])).join(
        ', ',
      ));

/** Refuses an inconsistent set with the files that disagree. */
export class CalibrationError extends Error {}

/** The crashkernel= threshold for one reset_devices setting (null without both sides). */
export function crashkernelThreshold(
  obs: SourcedObservation[],
  resetDevices: boolean,
): CrashkernelThreshold | null {
  const mine = obs.filter(
    (o) => o.observation.config.resetDevices === resetDevices && o.observation.config.ramGiB === 2,
  );
  const failing = mine.filter((o) => TOO_SMALL.has(o.observation.outcome));
  const working = mine.filter((o) => o.observation.outcome === 'captured');
  if (failing.length === 0 || working.length === 0) {
    return null;
  }
  const lastFailingMiB = Math.max(...failing.map((o) => o.observation.config.crashkernelMiB));
  const firstWorkingMiB = Math.min(...working.map((o) => o.observation.config.crashkernelMiB));
  if (lastFailingMiB >= firstWorkingMiB) {
    throw new CalibrationError(
      `crashkernel= threshold is not clean (reset_devices ${resetDevices}): ${lastFailingMiB}M failed (${names(failing.filter((o) => o.observation.config.crashkernelMiB === lastFailingMiB)).join(', ')}) but ${firstWorkingMiB}M captured (${names(working.filter((o) => o.observation.config.crashkernelMiB === firstWorkingMiB)).join(', ')})`,
    );
  }
  return {
    resetDevices,
    lastFailingMiB,
    firstWorkingMiB,
    needMiB: (lastFailingMiB + firstWorkingMiB) / 2,
    failing: names(failing),
    working: names(working),
  };
}

function calibrateDriver(obs: SourcedObservation[], driver: string): DriverCalibration {
  const captured = obs.filter((o) => o.observation.outcome === 'captured');
  const rows = captured.flatMap((o) =>
    o.observation.drivers
      .filter((d) => d.driver === driver && d.outcome === 'probed' && d.probeMs !== null)
      .map((d) => ({ o, d })),
  );
  if (rows.length === 0) {
    throw new CalibrationError(`no captured observation has a probe of ${driver}`);
  }
  const honours = driver === 'megaraid_sas';
  const withRd = rows.filter((r) => r.o.observation.config.resetDevices);
  const withoutRd = rows.filter((r) => !r.o.observation.config.resetDevices);
  // A driver that resets its device under reset_devices: initMs from the cycles without it.
  const base = honours && withoutRd.length > 0 ? withoutRd : rows;
  const probeMs = base.map((r) => r.d.probeMs!).sort((a, b) => a - b);
  const mem = rows.map((r) => r.d.memoryKiB).filter((m): m is number => m !== null && m >= 0);
  return {
    driver,
    memoryMiB: mem.length > 0 ? r2(median(mem) / 1024) : 0,
    probeMs,
    medianProbeMs: r2(median(probeMs)),
    resetDevicesExtraMs:
      honours && withRd.length > 0 && withoutRd.length > 0
        ? r2(Math.max(0, median(withRd.map((r) => r.d.probeMs!)) - median(probeMs)))
        : null,
    files: names(rows.map((r) => r.o)),
  };
}

/**
 * Dump time per GiB of RAM, by makedumpfile level. At one level the dumped
 * size is a fixed share of RAM, so the lab cannot split filtering (reading the
 * old memory) from writing: the whole time is carried per GiB of RAM
 * (`filterMsPerTiB`), with the write term at 0. Linear in RAM by construction;
 * the 2 and 4 GiB cycles check that it is.
 */
export function calibrateDump(obs: SourcedObservation[]): DumpCalibration {
  const rows = obs.filter(
    (o) =>
      o.observation.outcome === 'captured' &&
      o.observation.stages.dumpMs !== null &&
      typeof o.observation.dump?.bytes === 'number',
  );
  if (rows.length === 0) {
    throw new CalibrationError('dump time needs a captured cycle');
  }
  const pts = rows.map((o) => ({
    file: o.file,
    level: o.observation.config.dumpLevel,
    ram: o.observation.config.ramGiB,
    dumped: o.observation.dump!.bytes! / 2 ** 30,
    ms: o.observation.stages.dumpMs!,
  }));
  const percentOfRamByLevel: DumpCalibration['percentOfRamByLevel'] = {};
  const msPerGiBByLevel: Record<string, number> = {};
  for (const level of [...new Set(pts.map((p) => p.level))].sort((a, b) => a - b)) {
    const at = pts.filter((p) => p.level === level);
    const pct = at.map((p) => (100 * p.dumped) / p.ram);
    percentOfRamByLevel[String(level)] = {
      medianPercent: r2(median(pct)),
      maxPercent: r2(Math.max(...pct)),
      files: [...new Set(at.map((p) => p.file))].sort(),
    };
    msPerGiBByLevel[String(level)] = r2(median(at.map((p) => p.ms / p.ram)));
  }
  const residuals: Record<string, number> = {};
  for (const p of pts) {
    residuals[p.file] = r2((p.ms - msPerGiBByLevel[String(p.level)]! * p.ram) / p.ms);
  }
  const main = msPerGiBByLevel['31'] ?? Object.values(msPerGiBByLevel)[0]!;
  return {
    filterMsPerGiB: main,
    writeMsPerGiB: 0,
    percentOfRamByLevel,
    msPerGiBByLevel,
    residuals,
    files: names(rows),
  };
}

/** Calibrates the `qemu-q35` profile from lab observations. */
export function calibrateFromLab(obs: SourcedObservation[]): LabCalibration {
  if (obs.length === 0) {
    throw new CalibrationError('no observations');
  }
  const kernels = [...new Set(obs.map((o) => o.observation.kernel))];
  const thresholds = [true, false]
    .map((rd) => crashkernelThreshold(obs, rd))
    .filter((t): t is CrashkernelThreshold => t !== null);
  if (thresholds.length === 0) {
    throw new CalibrationError(
      'no crashkernel= threshold: need a failing and a working reservation with the same reset_devices setting at 2 GiB',
    );
  }
  const present = LAB_DRIVER_ORDER.filter((drv) =>
    obs.some((o) => o.observation.drivers.some((d) => d.driver === drv && d.outcome === 'probed')),
  );
  const drivers = present.map((drv) => calibrateDriver(obs, drv));
  const dump = calibrateDump(obs);
  const captured = obs.filter((o) => o.observation.outcome === 'captured');
  const captureKernelBootMs = captured
    .map((o) => o.observation.stages)
    .filter((s) => s.crashToCaptureKernelMs !== null && s.captureKernelBootMs !== null)
    .map((s) => Math.round(s.crashToCaptureKernelMs! + s.captureKernelBootMs!))
    .sort((a, b) => a - b);
  const busy = captured.filter((o) => o.observation.config.busyAtCrash);
  const busyProbes = busy.flatMap((o) => o.observation.drivers);
  const busyCycles = {
    cycles: busy.length,
    probesFailed: busyProbes.filter((d) => d.outcome === 'failed').length,
    probes: busyProbes.length,
  };

  // Which threshold sets the base: reset_devices on, as kdump-utils and Ubuntu ship.
  const t = thresholds.find((x) => x.resetDevices) ?? thresholds[0]!;
  const driversMiB = drivers.reduce((s, d) => s + d.memoryMiB, 0);
  const baseMiB = r2(t.needMiB - driversMiB);
  const files = names(obs);

  const catalogueDrivers: Record<string, unknown> = {};
  const catalogueDevices: Record<string, unknown> = {};
  const failedOdds = betaPosterior(busyCycles.probesFailed, busyCycles.probes);
  const reactionSource =
    `in the ${busy.length} captured cycles that crashed with disks and NICs busy, ${busyCycles.probesFailed} of ${busyCycles.probes} probes failed ` +
    `(failure odds beta posterior mean ${failedOdds.mean.toFixed(3)}, 95 % ${failedOdds.lower.toFixed(3)}-${failedOdds.upper.toFixed(3)}); QEMU devices forgive what real ones do not, so the reaction is "cope" here only.`;
  for (const d of drivers) {
    const m = LAB_CATALOGUE_MAP[d.driver]!;
    const entry: Record<string, unknown> = {
      extends: m.extendsDriver,
      description: `${d.driver} in the kdump lab (QEMU q35, TCG, kernel ${kernels.join(', ')})`,
      kdumpAware: m.kdumpAware,
      memoryMiB: d.memoryMiB,
      minimalMemoryMiB: d.memoryMiB,
      onUnexpectedState: { cope: 1, failProbe: 0, oops: 0, panic: 0 },
      hardenedReaction: { cope: 1, failProbe: 0, oops: 0, panic: 0 },
    };
    if (d.driver === 'megaraid_sas' && d.resetDevicesExtraMs !== null) {
      entry.resetDevicesInitMs = { kind: 'constant', ms: d.resetDevicesExtraMs };
    }
    if (m.extendsDriver === 'i40e') {
      entry.honoursResetDevices = false;
    }
    entry.source =
      `${cite(d.files)}. memoryMiB: median MemFree drop while its modules loaded (same with and without reset_devices: minimalMemoryMiB = memoryMiB)` +
      (d.resetDevicesExtraMs !== null
        ? `; resetDevicesInitMs: median probe with reset_devices minus without`
        : '') +
      `. Reactions: ${reactionSource} Everything else: the built-in ${m.extendsDriver}.`;
    catalogueDrivers[m.driver] = entry;
    catalogueDevices[m.device] = {
      extends: m.extendsDevice,
      description: `QEMU ${m.device.replace('qemu-', '')} in the kdump lab`,
      class: m.device,
      driver: m.driver,
      initMs: { kind: 'empirical', valuesMs: d.probeMs },
      postCrashState: {
        inFlightDma: r2(obs.filter((o) => o.observation.config.busyAtCrash).length / obs.length),
        pendingInterrupt: 0,
        staleRing: 0,
        wedged: 0,
      },
      behindIommu: false,
      dmarFaultFatal: 0,
      source:
        `${cite(d.files)}. initMs: the observed "probe of <device> returned 0 after N usecs" (initcall_debug) under TCG, ${d.probeMs.length} cycles. ` +
        'postCrashState: in-flight DMA = share of cycles crashed with disks and NICs busy; the lab produced no pending-interrupt, stale-ring or wedged state it could tell apart (see lab/README.md). No IOMMU on the lab machine. Resets: the built-in ' +
        m.extendsDevice +
        '.',
    };
  }

  // kexec -p could not place the capture kernel below this size and did at or above the
  // next one tried: the loaded segments (kernel + initramfs) lie between.
  const sizes = (pred: (o: SourcedObservation) => boolean) =>
    obs.filter(pred).map((o) => o.observation.config.crashkernelMiB);
  const refused = sizes((o) => o.observation.outcome === 'kexec-load-failed');
  const placed = sizes((o) => o.observation.outcome !== 'kexec-load-failed');
  const lastRefusedMiB = refused.length > 0 ? Math.max(...refused) : null;
  const firstPlacedMiB =
    lastRefusedMiB === null
      ? null
      : Math.min(...placed.filter((mib) => mib > lastRefusedMiB), Number.POSITIVE_INFINITY);
  const segmentsMiB =
    lastRefusedMiB !== null && firstPlacedMiB !== null && Number.isFinite(firstPlacedMiB)
      ? r2((lastRefusedMiB + firstPlacedMiB) / 2)
      : null;

  const base = BUILTIN_PROFILES['compute-2s']!;
  const d31 = dump.percentOfRamByLevel['31'] ?? Object.values(dump.percentOfRamByLevel)[0]!;
  const d1 = dump.percentOfRamByLevel['1'];
  const pctDist = (p: { medianPercent: number; maxPercent: number }) => ({
    medianPercent: p.medianPercent,
    p95Percent: Math.max(p.maxPercent, r2(p.medianPercent * 1.01)),
  });
  const profile: Record<string, unknown> = {
    extends: 'compute-2s',
    description: `QEMU q35 lab machine: 2 GiB, TCG, NVMe dump target, ${drivers.length} emulated PCI devices`,
    ramGiB: 2,
    crashkernelMiB: t.firstWorkingMiB,
    buses: [
      {
        name: 'pcie-root',
        secondaryBusReset: false,
        busResetMs: { kind: 'constant', ms: 0 },
        devices: drivers.map((d) => ({
          name: LAB_CATALOGUE_MAP[d.driver]!.instance,
          model: LAB_CATALOGUE_MAP[d.driver]!.device,
        })),
      },
    ],
    dumpTarget: 'nvme0',
    dumpMsPerGiB: { kind: 'constant', ms: dump.writeMsPerGiB },
    dumpPercentOfRam: pctDist(d31),
    filterMsPerTiB: r2(dump.filterMsPerGiB * 1024),
    kdump: {
      ...base.kdump,
      captureKernelLoaded: 1,
      ...(segmentsMiB === null ? {} : { loadedSegmentsMiB: segmentsMiB }),
      captureKernelBaseMiB: baseMiB,
      captureKernelBootMs: { kind: 'empirical', valuesMs: captureKernelBootMs },
      panicRebootMs: 1000,
      hangWatchdogMs: 120_000,
      rebootPath: 'firmware',
    },
    source:
      `${cite(files)}. crashkernelMiB: first working reservation (${t.firstWorkingMiB}M; ${t.lastFailingMiB}M failed: ${t.failing.join(', ')}). ` +
      `kdump.captureKernelBaseMiB: the need halfway between (${t.needMiB} MiB) less the drivers' ${r2(driversMiB)} MiB. ` +
      (segmentsMiB === null
        ? ''
        : `kdump.loadedSegmentsMiB: halfway between the largest reservation kexec -p refused (${lastRefusedMiB}M) and the next one it loaded into (${firstPlacedMiB}M). `) +
      `kdump.captureKernelBootMs: crash to capture kernel init (crash_kexec, purgatory, decompression, boot; TCG). ` +
      `filterMsPerTiB: median makedumpfile -d 31 time per GiB of RAM (${dump.filterMsPerGiB} ms/GiB) x 1024, the write time included (dumpMsPerGiB 0: at one level the dumped size is a fixed share of RAM, so the lab cannot split the two); ` +
      `dumpPercentOfRam: makedumpfile -d 31 output / RAM. captureKernelLoaded 1: every cycle with a large enough reservation loaded. ` +
      'Firmware, production boot, NMI shootdown and purgatory figures: the built-in compute-2s (not measured by the lab; a stray DMA into the loaded capture kernel did hang the crash path before the capture kernel, see lab/README.md, but one forced cycle is no rate). Times are TCG times: ratios and thresholds carry over, absolute times do not.',
  };
  const profiles: Record<string, unknown> = { 'qemu-q35': profile };
  if (d1) {
    profiles['qemu-q35-d1'] = {
      extends: 'qemu-q35',
      description: 'the lab machine dumping with makedumpfile -d 1 (only zero pages left out)',
      dumpPercentOfRam: pctDist(d1),
      filterMsPerTiB: r2(dump.msPerGiBByLevel['1']! * 1024),
      source: `${cite(d1.files)}: makedumpfile -d 1 output / RAM, and its time per GiB of RAM (${dump.msPerGiBByLevel['1']} ms/GiB) x 1024; the rest as qemu-q35.`,
    };
  }
  return {
    observations: obs.length,
    kernel: kernels.join(', '),
    thresholds,
    drivers,
    dump,
    captureKernelBootMs,
    busyCycles,
    catalogue: {
      catalogue: {
        drivers: catalogueDrivers,
        devices: catalogueDevices,
        profiles,
        crashCauses: {
          'sysrq-crash': {
            extends: 'panic',
            description: 'echo c > /proc/sysrq-trigger on a one-CPU machine, as the lab crashes',
            staleCpu: 0,
            source: `${cite(files)}: the lab crashes through sysrq (a panic) with -smp 1, so no other CPU can be stale.`,
          },
        },
      },
    },
  };
}

/**
 * The built-in catalogue: drivers, device models, server profiles and crash
 * causes. Every entry carries its `source`: a citation from the project's
 * DOMAIN.md, or "assumption: ..." where no public figure exists (no fleet-wide
 * kdump failure rate is published). Every number can be overridden in a spec
 * under `catalogue`.
 */
import type {
  CrashCause,
  DeviceModel,
  Driver,
  KdumpConfig,
  ServerProfile,
  StrategyDefinition,
} from './spec-schema';

const ms = (v: number) => ({ kind: 'constant' as const, ms: v });
const logn = (medianMs: number, p95Ms: number) => ({
  kind: 'lognormal' as const,
  medianMs,
  p95Ms,
});
const unif = (minMs: number, maxMs: number) => ({ kind: 'uniform' as const, minMs, maxMs });

const ASSUMED_REACTION =
  'assumption: reaction odds to an unexpected state (no public figure exists)';

export const BUILTIN_DRIVERS: Record<string, Driver> = {
  mlx5_core: {
    description: 'Mellanox/NVIDIA ConnectX 100G NIC driver',
    methods: ['probe', 'remove', 'shutdown', 'suspend', 'resume'],
    honoursResetDevices: false,
    resetDevicesInitMs: ms(0),
    resetDevicesRecoversWedged: 0,
    kdumpAware: true,
    memoryMiB: 260,
    minimalMemoryMiB: 64,
    onUnexpectedState: { cope: 0.55, failProbe: 0.25, oops: 0.12, panic: 0.08 },
    hardenedReaction: { cope: 0.9, failProbe: 0.08, oops: 0.015, panic: 0.005 },
    hardeningInitMs: logn(200, 600),
    probeTimeoutMs: logn(60_000, 120_000),
    shutdownFailsToQuiesce: 0.01,
    knownKdumpProblems: false,
    source:
      'DOMAIN.md: mlx5 firmware pre-init wait up to 120 s (probe timeout), init 2 s; stale DMA gives errors/MCE. Memory: assumption. ' +
      ASSUMED_REACTION,
  },
  i40e: {
    description: 'Intel XL710/XXV710 25/40G NIC driver',
    methods: ['probe', 'remove', 'shutdown', 'suspend', 'resume'],
    honoursResetDevices: false,
    resetDevicesInitMs: ms(0),
    resetDevicesRecoversWedged: 0,
    kdumpAware: true,
    memoryMiB: 180,
    minimalMemoryMiB: 40,
    onUnexpectedState: { cope: 0.6, failProbe: 0.25, oops: 0.1, panic: 0.05 },
    hardenedReaction: { cope: 0.92, failProbe: 0.06, oops: 0.015, panic: 0.005 },
    hardeningInitMs: logn(100, 300),
    probeTimeoutMs: logn(10_000, 30_000),
    shutdownFailsToQuiesce: 0.01,
    knownKdumpProblems: false,
    source:
      'DOMAIN.md: i40e checks is_kdump_kernel() for minimal queues/rings (default rings made kdump fail until 2021). Memory: assumption. ' +
      ASSUMED_REACTION,
  },
  nvme: {
    description: 'NVMe host driver',
    methods: ['probe', 'remove', 'shutdown', 'suspend', 'resume', 'save_state', 'preinit'],
    honoursResetDevices: false,
    resetDevicesInitMs: ms(0),
    resetDevicesRecoversWedged: 0,
    kdumpAware: true,
    memoryMiB: 48,
    minimalMemoryMiB: 16,
    onUnexpectedState: { cope: 0.8, failProbe: 0.15, oops: 0.03, panic: 0.02 },
    hardenedReaction: { cope: 0.95, failProbe: 0.045, oops: 0.004, panic: 0.001 },
    hardeningInitMs: logn(50, 200),
    probeTimeoutMs: logn(30_000, 127_500),
    shutdownFailsToQuiesce: 0.005,
    knownKdumpProblems: false,
    source:
      'DOMAIN.md: NVMe uses a single queue in kdump; controller ready timeout CAP.TO up to 127.5 s (probe timeout p95). save_state/preinit: the config-restore design of the seed talk. ' +
      ASSUMED_REACTION,
  },
  megaraid_sas: {
    description: 'Broadcom MegaRAID SAS HBA driver',
    methods: ['probe', 'remove', 'shutdown', 'suspend', 'resume'],
    honoursResetDevices: true,
    resetDevicesInitMs: logn(4_000, 5_000),
    resetDevicesRecoversWedged: 0.9,
    kdumpAware: false,
    memoryMiB: 220,
    minimalMemoryMiB: 72,
    onUnexpectedState: { cope: 0.35, failProbe: 0.35, oops: 0.15, panic: 0.15 },
    hardenedReaction: { cope: 0.8, failProbe: 0.15, oops: 0.03, panic: 0.02 },
    hardeningInitMs: logn(1_000, 3_000),
    probeTimeoutMs: logn(120_000, 180_000),
    shutdownFailsToQuiesce: 0.02,
    knownKdumpProblems: false,
    source:
      'DOMAIN.md: megaraid_sas honours reset_devices (1 MSI-X vector, queue depth 100); 3-5 s after reset; ready up to 120-180 s; large memory need (value: assumption); its hard reset reviving a wedged HBA 90 %: assumption. ' +
      ASSUMED_REACTION,
  },
  nvidia: {
    description: 'NVIDIA datacenter GPU driver',
    methods: ['probe', 'remove', 'shutdown', 'suspend', 'resume'],
    honoursResetDevices: false,
    resetDevicesInitMs: ms(0),
    resetDevicesRecoversWedged: 0,
    kdumpAware: false,
    memoryMiB: 150,
    minimalMemoryMiB: 150,
    onUnexpectedState: { cope: 0.3, failProbe: 0.4, oops: 0.15, panic: 0.15 },
    hardenedReaction: { cope: 0.6, failProbe: 0.35, oops: 0.03, panic: 0.02 },
    hardeningInitMs: logn(500, 1_500),
    probeTimeoutMs: logn(30_000, 60_000),
    shutdownFailsToQuiesce: 0.05,
    knownKdumpProblems: true,
    source:
      'DOMAIN.md: GPUs need vendor-specific resets, FLR missing or broken, init 1-3 s per GPU (ECC scrub). ' +
      ASSUMED_REACTION,
  },
  xhci_hcd: {
    description: 'USB 3 host controller driver',
    methods: ['probe', 'remove', 'shutdown', 'suspend', 'resume', 'save_state', 'preinit'],
    honoursResetDevices: false,
    resetDevicesInitMs: ms(0),
    resetDevicesRecoversWedged: 0,
    kdumpAware: false,
    memoryMiB: 8,
    minimalMemoryMiB: 8,
    onUnexpectedState: { cope: 0.7, failProbe: 0.2, oops: 0.07, panic: 0.03 },
    hardenedReaction: { cope: 0.95, failProbe: 0.045, oops: 0.004, panic: 0.001 },
    hardeningInitMs: logn(20, 60),
    probeTimeoutMs: logn(5_000, 10_000),
    shutdownFailsToQuiesce: 0.02,
    knownKdumpProblems: true,
    source:
      'DOMAIN.md: AMD Matisse USB has no working FLR. Being on the blacklist: assumption (the seed talk blacklists drivers known to have problems). ' +
      ASSUMED_REACTION,
  },
};

const ASSUMED_STATES =
  'assumption: post-crash state odds (no public figure exists; depends on load at crash)';

export const BUILTIN_DEVICES: Record<string, DeviceModel> = {
  'nic-100g': {
    description: 'ConnectX-class 100G Ethernet NIC',
    class: 'nic-100g',
    driver: 'mlx5_core',
    initMs: logn(2_000, 6_000),
    postCrashState: { inFlightDma: 0.3, pendingInterrupt: 0.1, staleRing: 0.15, wedged: 0.02 },
    deviceSpecificReset: { durationMs: logn(5_000, 20_000), recoversWedged: 0.95 },
    flr: { durationMs: logn(150, 700), recoversWedged: 0.85 },
    pmReset: { durationMs: ms(20), recoversWedged: 0.5 },
    busResetRecoversWedged: 0.95,
    configRestoreRecovers: 0.9,
    configRestoreMs: logn(5, 20),
    behindIommu: true,
    dmarFaultFatal: 0.1,
    source:
      'DOMAIN.md: mlx5 init 2 s, firmware reset slow; FLR = pending transactions (<= 700 ms) + 100 ms + poll; PM reset 2 x 10 ms; DMAR faults from in-flight DMA (Intel VT-d copies old tables: mostly survivable). ' +
      ASSUMED_STATES,
  },
  'nic-25g': {
    description: 'XXV710-class 25G Ethernet NIC',
    class: 'nic-25g',
    driver: 'i40e',
    initMs: logn(800, 2_000),
    postCrashState: { inFlightDma: 0.25, pendingInterrupt: 0.1, staleRing: 0.12, wedged: 0.01 },
    deviceSpecificReset: null,
    flr: { durationMs: logn(120, 700), recoversWedged: 0.9 },
    pmReset: { durationMs: ms(20), recoversWedged: 0.5 },
    busResetRecoversWedged: 0.95,
    configRestoreRecovers: 0.9,
    configRestoreMs: logn(5, 20),
    behindIommu: true,
    dmarFaultFatal: 0.1,
    source:
      'DOMAIN.md: FLR about 100 ms + poll; PM reset 2 x 10 ms; in-flight DMA behind the IOMMU. ' +
      ASSUMED_STATES,
  },
  'nvme-ssd': {
    description: 'Datacenter NVMe SSD',
    class: 'nvme-ssd',
    driver: 'nvme',
    initMs: logn(600, 4_300),
    postCrashState: { inFlightDma: 0.2, pendingInterrupt: 0.1, staleRing: 0.1, wedged: 0.005 },
    deviceSpecificReset: null,
    flr: { durationMs: logn(350, 1_000), recoversWedged: 0.9 },
    pmReset: { durationMs: ms(20), recoversWedged: 0.6 },
    busResetRecoversWedged: 0.95,
    configRestoreRecovers: 0.95,
    configRestoreMs: logn(3, 10),
    behindIommu: true,
    dmarFaultFatal: 0.05,
    source:
      'DOMAIN.md: NVMe quirk delays 2.3-4.3 s (init p95); Intel 750 needs +250 ms after FLR; FLR 100 ms + poll. ' +
      ASSUMED_STATES,
  },
  'sas-raid-hba': {
    description: 'MegaRAID-class SAS RAID HBA',
    class: 'sas-raid-hba',
    driver: 'megaraid_sas',
    initMs: logn(15_000, 60_000),
    postCrashState: { inFlightDma: 0.3, pendingInterrupt: 0.15, staleRing: 0.2, wedged: 0.03 },
    deviceSpecificReset: { durationMs: logn(4_000, 5_000), recoversWedged: 0.9 },
    flr: null,
    pmReset: { durationMs: ms(20), recoversWedged: 0.3 },
    busResetRecoversWedged: 0.9,
    configRestoreRecovers: 0.85,
    configRestoreMs: logn(10, 40),
    behindIommu: true,
    dmarFaultFatal: 0.1,
    source:
      'DOMAIN.md: RAID HBAs reset by doorbell/firmware (3-5 s after reset), ready up to 120-180 s; no FLR on many HBAs (assumption). ' +
      ASSUMED_STATES,
  },
  gpu: {
    description: 'Datacenter GPU',
    class: 'gpu',
    driver: 'nvidia',
    initMs: logn(2_000, 3_000),
    postCrashState: { inFlightDma: 0.35, pendingInterrupt: 0.1, staleRing: 0.2, wedged: 0.08 },
    deviceSpecificReset: { durationMs: logn(3_000, 8_000), recoversWedged: 0.6 },
    flr: { durationMs: logn(150, 700), recoversWedged: 0.2 },
    pmReset: null,
    busResetRecoversWedged: 0.7,
    configRestoreRecovers: 0.5,
    configRestoreMs: logn(10, 40),
    behindIommu: true,
    dmarFaultFatal: 0.15,
    source:
      'DOMAIN.md: GPU init 1-3 s (ECC scrub); vendor-specific resets; FLR missing or broken (low recovery odds); "does not reset more than once" (Vega20). ' +
      ASSUMED_STATES,
  },
  xhci: {
    description: 'USB 3 xHCI controller (root-complex integrated)',
    class: 'xhci',
    driver: 'xhci_hcd',
    initMs: logn(100, 400),
    postCrashState: { inFlightDma: 0.05, pendingInterrupt: 0.2, staleRing: 0.05, wedged: 0.01 },
    deviceSpecificReset: null,
    flr: { durationMs: logn(120, 700), recoversWedged: 0 },
    pmReset: { durationMs: ms(20), recoversWedged: 0.7 },
    busResetRecoversWedged: 0.9,
    configRestoreRecovers: 0.95,
    configRestoreMs: logn(2, 5),
    behindIommu: false,
    dmarFaultFatal: 0,
    source:
      'DOMAIN.md: broken FLR on AMD Matisse USB (recoversWedged 0: takes the time, resets nothing); PM reset 2 x 10 ms. ' +
      ASSUMED_STATES,
  },
};

/** kdump defaults shared by the built-in profiles. */
function kdumpDefaults(rebootPath: 'firmware' | 'kexec'): KdumpConfig {
  return {
    captureKernelLoaded: 0.995,
    crashKexecMs: unif(0.05, 0.5),
    cpuStopMs: unif(1, 20),
    nmiShootdownLimitMs: 1000,
    staleCpuBreaksCapture: 0.3,
    purgatoryDigestMiBPerSecond: 270,
    loadedSegmentsMiB: 81,
    purgatoryDigestMismatch: 0.0005,
    captureKernelBaseMiB: 142,
    captureKernelBootMs: logn(6_000, 15_000),
    panicOnOops: false,
    panicRebootMs: 10_000,
    hangWatchdogMs: 600_000,
    rebootPath,
  };
}

const PROFILE_SOURCE =
  'DOMAIN.md: crashkernel= sizes (kdump-utils / RHEL 8); capture base 47M kernel + 12M modules + 19M initramfs + 64M runtime = 142 MiB; NMI shootdown waits <= 1000 ms; purgatory SHA-256 of 81 MB in about 300 ms (270 MiB/s); panic=10; dump with -d 31 usually < 10 % of RAM; filtering about 19 s per TB; POST warm 52 s, cold 195 s; kexec 43 s vs firmware 165 s to service. ' +
  'Assumptions: capture kernel loaded 99.5 %, purgatory mismatch 0.05 %, stale CPU breaks capture 30 %, BMC watchdog 600 s, capture kernel boot 6 s median, dump throughput.';

export const BUILTIN_PROFILES: Record<string, ServerProfile> = {
  'compute-2s': {
    description: 'Dual-socket compute node, 256 GiB, RHEL-sized 256 MiB reservation, NVMe dump',
    ramGiB: 256,
    crashkernelMiB: 256,
    buses: [
      {
        name: 'root-bus',
        secondaryBusReset: false,
        busResetMs: ms(0),
        devices: [{ name: 'usb0', model: 'xhci' }],
      },
      {
        name: 'pcie-port-1',
        secondaryBusReset: true,
        busResetMs: unif(102, 1_000),
        devices: [{ name: 'eth0', model: 'nic-100g' }],
      },
      {
        name: 'pcie-port-2',
        secondaryBusReset: true,
        busResetMs: unif(102, 1_000),
        devices: [
          { name: 'nvme0', model: 'nvme-ssd' },
          { name: 'nvme1', model: 'nvme-ssd' },
        ],
      },
    ],
    dumpTarget: 'nvme0',
    dumpMsPerGiB: logn(800, 2_000),
    dumpPercentOfRam: { medianPercent: 3, p95Percent: 9 },
    filterMsPerTiB: 19_000,
    firmwarePostMs: logn(52_000, 195_000),
    kernelBootMs: logn(43_000, 70_000),
    kdump: kdumpDefaults('firmware'),
    source: PROFILE_SOURCE,
  },
  'storage-2s': {
    description: 'Dual-socket storage server, 512 GiB, 512 MiB reservation, dump to RAID',
    ramGiB: 512,
    crashkernelMiB: 512,
    buses: [
      {
        name: 'root-bus',
        secondaryBusReset: false,
        busResetMs: ms(0),
        devices: [{ name: 'usb0', model: 'xhci' }],
      },
      {
        name: 'pcie-port-1',
        secondaryBusReset: true,
        busResetMs: unif(102, 1_000),
        devices: [
          { name: 'eth0', model: 'nic-25g' },
          { name: 'eth1', model: 'nic-25g' },
        ],
      },
      {
        name: 'pcie-port-2',
        secondaryBusReset: true,
        busResetMs: unif(102, 1_000),
        devices: [{ name: 'raid0', model: 'sas-raid-hba' }],
      },
      {
        name: 'pcie-port-3',
        secondaryBusReset: true,
        busResetMs: unif(102, 1_000),
        devices: [{ name: 'nvme0', model: 'nvme-ssd' }],
      },
    ],
    dumpTarget: 'raid0',
    dumpMsPerGiB: logn(1_500, 4_000),
    dumpPercentOfRam: { medianPercent: 3, p95Percent: 9 },
    filterMsPerTiB: 19_000,
    firmwarePostMs: logn(120_000, 195_000),
    kernelBootMs: logn(60_000, 120_000),
    kdump: kdumpDefaults('firmware'),
    source: PROFILE_SOURCE,
  },
  'gpu-node': {
    description: 'GPU training node, 1 TiB, 512 MiB reservation (kdump-utils >= 64 GiB), NVMe dump',
    ramGiB: 1024,
    crashkernelMiB: 512,
    buses: [
      {
        name: 'root-bus',
        secondaryBusReset: false,
        busResetMs: ms(0),
        devices: [{ name: 'usb0', model: 'xhci' }],
      },
      {
        name: 'pcie-switch-1',
        secondaryBusReset: true,
        busResetMs: unif(102, 1_000),
        devices: [
          { name: 'gpu0', model: 'gpu' },
          { name: 'gpu1', model: 'gpu' },
          { name: 'eth0', model: 'nic-100g' },
        ],
      },
      {
        name: 'pcie-switch-2',
        secondaryBusReset: true,
        busResetMs: unif(102, 1_000),
        devices: [
          { name: 'gpu2', model: 'gpu' },
          { name: 'gpu3', model: 'gpu' },
          { name: 'eth1', model: 'nic-100g' },
        ],
      },
      {
        name: 'pcie-port-5',
        secondaryBusReset: true,
        busResetMs: unif(102, 1_000),
        devices: [{ name: 'nvme0', model: 'nvme-ssd' }],
      },
    ],
    dumpTarget: 'nvme0',
    dumpMsPerGiB: logn(800, 2_000),
    dumpPercentOfRam: { medianPercent: 3, p95Percent: 9 },
    filterMsPerTiB: 19_000,
    firmwarePostMs: logn(195_000, 600_000),
    kernelBootMs: logn(60_000, 120_000),
    kdump: kdumpDefaults('kexec'),
    source: PROFILE_SOURCE + ' Large servers: POST up to 10 min.',
  },
};

export const BUILTIN_CRASH_CAUSES: Record<string, CrashCause> = {
  panic: {
    description: 'kernel panic (BUG, explicit panic)',
    detectionMs: unif(0, 1),
    undetectedHang: 0,
    staleCpu: 0.005,
    extraWedged: 0,
    source: 'DOMAIN.md: panic calls __crash_kexec directly. Stale CPU odds: assumption.',
  },
  oops: {
    description: 'oops with panic_on_oops=1',
    detectionMs: unif(0, 5),
    undetectedHang: 0,
    staleCpu: 0.005,
    extraWedged: 0,
    source: 'DOMAIN.md: oops becomes a panic with panic_on_oops. Stale CPU odds: assumption.',
  },
  'hard-lockup': {
    description: 'hard lockup caught by the NMI watchdog (watchdog_thresh=10)',
    detectionMs: unif(10_000, 20_000),
    undetectedHang: 0.02,
    staleCpu: 0.1,
    extraWedged: 0.02,
    source:
      'Linux hard lockup detector: NMI watchdog after watchdog_thresh (10 s), hardlockup_panic. Odds: assumption.',
  },
  'machine-check': {
    description: 'fatal machine check exception',
    detectionMs: unif(0, 10),
    undetectedHang: 0.01,
    staleCpu: 0.03,
    extraWedged: 0.05,
    source:
      'DOMAIN.md: stale DMA can raise machine checks (ice). Odds of wedged devices and hangs: assumption.',
  },
};

/**
 * Built-in reset strategies, the seed talk's solutions. A spec lists them by name
 * or defines its own with the same fields.
 */
export const BUILTIN_STRATEGIES: Record<string, StrategyDefinition> = {
  none: { description: 'baseline: load every driver, reset nothing' },
  blacklist: {
    description: 'do not load drivers known to have kdump problems',
    blacklist: 'known-problems',
  },
  whitelist: {
    description: 'load only the drivers the dump target needs',
    whitelist: 'dump-target',
  },
  reset_devices: {
    description: 'reset_devices on the capture kernel command line',
    resetDevices: true,
  },
  'device-reset': {
    description: 'per-device reset before probe: device-specific, then FLR, then PM reset',
    resets: ['device-reset'],
  },
  'bus-reset': {
    description: 'secondary bus reset of every bridge before probe',
    resets: ['bus-reset'],
  },
  'driver-hardening': {
    description: 'drivers run hardened init code',
    hardening: true,
  },
  'config-restore': {
    description: 'save_state in the first kernel, preinit from it before probe',
    resets: ['config-restore'],
  },
  fallback: {
    description: 'config-restore, then FLR, then bus reset',
    resets: ['config-restore', 'flr', 'bus-reset'],
  },
};

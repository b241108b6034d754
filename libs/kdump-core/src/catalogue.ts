/**
 * The built-in catalogue: drivers, device models, server profiles and crash
 * causes. Every entry carries its `source`: a citation of the primary source
 * (kernel file and function, spec, distribution file, vendor document or
 * mailing-list thread), or "assumption: ..." where no public figure exists (no fleet-wide
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
const logn = (medianMs: number, p95Ms: number, minMs?: number) => ({
  kind: 'lognormal' as const,
  medianMs,
  p95Ms,
  ...(minMs === undefined ? {} : { minMs }),
});
const unif = (minMs: number, maxMs: number) => ({ kind: 'uniform' as const, minMs, maxMs });
/** A reset's effect on in-flight DMA, a pending interrupt, stale rings and a wedged device. */
const clears = (
  inFlightDma: number,
  pendingInterrupt: number,
  staleRing: number,
  wedged: number,
) => ({
  inFlightDma,
  pendingInterrupt,
  staleRing,
  wedged,
});
/** A reset that takes its time and changes nothing (broken), or one the driver does not do. */
const NO_EFFECT = clears(0, 0, 0, 0);

const ASSUMED_REACTION =
  'assumption: reaction odds to an unexpected state (no public figure exists)';
const ASSUMED_HARDENED =
  'assumption: hardened init (the seed talk: relaxed checks, known good state first) turns most oopses and panics into copes; no public figure';
const ASSUMED_HARDENING_TIME = 'assumption: hardened init costs a fraction of the plain init time';
const ASSUMED_SHUTDOWN =
  'assumption: odds a shutdown method leaves its device dirty on kexec (the seed talk: "kexec is vulnerable too"); no public figure';
const ASSUMED_MEMORY =
  'assumption: memory the driver allocates in the capture kernel (rings, firmware pages, DMA pools); no public per-driver figure, kdumpctl estimate does not count it';
const NOT_HONOURED = 'drivers/scsi and drivers/net: the driver does not test reset_devices; unused';
const KERNEL_METHODS =
  'the driver method table of the seed talk; save_state/preinit as in its configuration restore design';

export const BUILTIN_DRIVERS: Record<string, Driver> = {
  mlx5_core: {
    description: 'Mellanox/NVIDIA ConnectX 100G NIC driver',
    methods: ['probe', 'remove', 'shutdown', 'suspend', 'resume'],
    honoursResetDevices: false,
    resetDevicesInitMs: ms(0),
    resetDevicesClears: NO_EFFECT,
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
      'drivers/net/ethernet/mellanox/mlx5/core/main.c: firmware pre-init wait up to 120 s, init 2 s; drivers/net/ethernet/intel/ice: stale DMA gives errors/MCE. Odds and memory: assumptions.',
    sources: {
      methods: KERNEL_METHODS,
      honoursResetDevices:
        'drivers/net/ethernet/mellanox/mlx5/core: tests is_kdump_kernel(), not reset_devices',
      resetDevicesInitMs: NOT_HONOURED,
      resetDevicesClears: NOT_HONOURED,
      kdumpAware:
        'drivers/net/ethernet/mellanox/mlx5/core/en_main.c: is_kdump_kernel() gives one channel and minimal rings',
      memoryMiB: ASSUMED_MEMORY,
      minimalMemoryMiB: ASSUMED_MEMORY,
      onUnexpectedState: ASSUMED_REACTION,
      hardenedReaction: ASSUMED_HARDENED,
      hardeningInitMs: ASSUMED_HARDENING_TIME,
      probeTimeoutMs:
        'drivers/net/ethernet/mellanox/mlx5/core/main.c wait_fw_init(): FW_PRE_INIT_TIMEOUT_MILI 120000 (p95); median: assumption',
      shutdownFailsToQuiesce: ASSUMED_SHUTDOWN,
      knownKdumpProblems: 'assumption: not on the built-in blacklist (kdump-aware since 2016)',
    },
  },
  i40e: {
    description: 'Intel XL710/XXV710 25/40G NIC driver',
    methods: ['probe', 'remove', 'shutdown', 'suspend', 'resume'],
    honoursResetDevices: false,
    resetDevicesInitMs: ms(0),
    resetDevicesClears: NO_EFFECT,
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
      'drivers/net/ethernet/intel/i40e/i40e_main.c: i40e checks is_kdump_kernel() for minimal queues/rings (default rings made kdump fail until 2021). Odds and memory: assumptions.',
    sources: {
      methods: KERNEL_METHODS,
      honoursResetDevices:
        'drivers/net/ethernet/intel/i40e/i40e_main.c: tests is_kdump_kernel(), not reset_devices',
      resetDevicesInitMs: NOT_HONOURED,
      resetDevicesClears: NOT_HONOURED,
      kdumpAware:
        'drivers/net/ethernet/intel/i40e/i40e_main.c i40e_sw_init(): is_kdump_kernel() gives one queue pair and minimal rings (default rings made kdump fail until the 2021 fix)',
      memoryMiB: ASSUMED_MEMORY,
      minimalMemoryMiB: ASSUMED_MEMORY,
      onUnexpectedState: ASSUMED_REACTION,
      hardenedReaction: ASSUMED_HARDENED,
      hardeningInitMs: ASSUMED_HARDENING_TIME,
      probeTimeoutMs:
        'assumption: admin queue and NVM waits of i40e_init_adminq() and i40e_pf_reset(); no figure',
      shutdownFailsToQuiesce: ASSUMED_SHUTDOWN,
      knownKdumpProblems: 'assumption: not on the built-in blacklist (kdump-aware)',
    },
  },
  nvme: {
    description: 'NVMe host driver',
    methods: ['probe', 'remove', 'shutdown', 'suspend', 'resume', 'save_state', 'preinit'],
    honoursResetDevices: false,
    resetDevicesInitMs: ms(0),
    resetDevicesClears: NO_EFFECT,
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
      'drivers/nvme/host/pci.c: NVMe uses a single queue in kdump; NVMe Base Specification CAP.TO: controller ready timeout up to 127.5 s. Odds and memory: assumptions.',
    sources: {
      methods:
        KERNEL_METHODS +
        '; nvme disables the controller in shutdown (drivers/nvme/host/pci.c nvme_shutdown())',
      honoursResetDevices: 'drivers/nvme/host/pci.c: tests is_kdump_kernel(), not reset_devices',
      resetDevicesInitMs: NOT_HONOURED,
      resetDevicesClears: NOT_HONOURED,
      kdumpAware:
        'drivers/nvme/host/pci.c: a single I/O queue in the kdump kernel (is_kdump_kernel())',
      memoryMiB: ASSUMED_MEMORY,
      minimalMemoryMiB: ASSUMED_MEMORY,
      onUnexpectedState: ASSUMED_REACTION,
      hardenedReaction: ASSUMED_HARDENED,
      hardeningInitMs: ASSUMED_HARDENING_TIME,
      probeTimeoutMs:
        'drivers/nvme/host/core.c nvme_wait_ready(): (CAP.TO + 1) × 500 ms, at most 127.5 s (p95); median: assumption',
      shutdownFailsToQuiesce: ASSUMED_SHUTDOWN,
      knownKdumpProblems: 'assumption: not on the built-in blacklist',
    },
  },
  megaraid_sas: {
    description: 'Broadcom MegaRAID SAS HBA driver',
    methods: ['probe', 'remove', 'shutdown', 'suspend', 'resume'],
    honoursResetDevices: true,
    resetDevicesInitMs: logn(4_000, 5_000),
    resetDevicesClears: clears(0.99, 0.99, 0.99, 0.9),
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
      'drivers/scsi/megaraid/megaraid_sas_base.c: megaraid_sas honours reset_devices (1 MSI-X vector, queue depth 100); 3-5 s after reset; ready up to 120-180 s. Odds and memory: assumptions.',
    sources: {
      methods: KERNEL_METHODS,
      honoursResetDevices:
        'drivers/scsi/megaraid/megaraid_sas_base.c: reset_devices gives one MSI-X vector and queue depth 100',
      resetDevicesInitMs:
        'drivers/scsi/megaraid, drivers/scsi/smartpqi (soft reset, then a 5 s wait): SAS/RAID HBAs ready 3-5 s after a reset',
      resetDevicesClears:
        "assumption: the adapter's own reset clears the old kernel's commands, DMA and interrupts (0.99) and revives a wedged HBA 90 %",
      kdumpAware: 'drivers/scsi/megaraid: tests reset_devices, not is_kdump_kernel()',
      memoryMiB:
        ASSUMED_MEMORY + '; kdump bug reports (no single source): RAID HBAs are usual OOM culprits',
      minimalMemoryMiB: ASSUMED_MEMORY,
      onUnexpectedState: ASSUMED_REACTION,
      hardenedReaction: ASSUMED_HARDENED,
      hardeningInitMs: ASSUMED_HARDENING_TIME,
      probeTimeoutMs:
        'drivers/scsi/megaraid/megaraid_sas_base.c megasas_transition_to_ready(): firmware ready waits up to 180 s (120-180 s across HBA drivers)',
      shutdownFailsToQuiesce: ASSUMED_SHUTDOWN,
      knownKdumpProblems: 'assumption: not on the built-in blacklist (honours reset_devices)',
    },
  },
  nvidia: {
    description: 'NVIDIA datacenter GPU driver',
    methods: ['probe', 'remove', 'shutdown', 'suspend', 'resume'],
    honoursResetDevices: false,
    resetDevicesInitMs: ms(0),
    resetDevicesClears: NO_EFFECT,
    kdumpAware: false,
    memoryMiB: 40,
    minimalMemoryMiB: 40,
    onUnexpectedState: { cope: 0.3, failProbe: 0.4, oops: 0.15, panic: 0.15 },
    hardenedReaction: { cope: 0.6, failProbe: 0.35, oops: 0.03, panic: 0.02 },
    hardeningInitMs: logn(500, 1_500),
    probeTimeoutMs: logn(30_000, 60_000),
    shutdownFailsToQuiesce: 0.05,
    knownKdumpProblems: true,
    source:
      'gnif/vendor-reset: GPUs need vendor-specific resets, FLR missing or broken; NVIDIA driver persistence docs: init 1-3 s per GPU (ECC scrub). Odds and memory: assumptions.',
    sources: {
      methods: KERNEL_METHODS,
      honoursResetDevices: 'assumption: the out-of-tree driver has no reset_devices handling known',
      resetDevicesInitMs: NOT_HONOURED,
      resetDevicesClears: NOT_HONOURED,
      kdumpAware: 'assumption: no kdump mode known for the out-of-tree driver',
      memoryMiB:
        "assumption: 40 MiB of host memory per GPU for the driver's own structures (GPU memory is on the card); no published figure; a kdump initramfs built for the dump target leaves it out",
      minimalMemoryMiB: 'assumption: no smaller kdump mode, as memoryMiB',
      onUnexpectedState: ASSUMED_REACTION,
      hardenedReaction: ASSUMED_HARDENED,
      hardeningInitMs: ASSUMED_HARDENING_TIME,
      probeTimeoutMs: 'assumption: GPU initialisation waits of 30-60 s',
      shutdownFailsToQuiesce:
        'assumption: GPUs are the devices "that do not reset more than once" (gnif/vendor-reset, AMD Vega20), so higher odds',
      knownKdumpProblems:
        'gnif/vendor-reset: GPUs "will not reset / reinit" without a vendor-specific reset: on the built-in blacklist',
    },
  },
  xhci_hcd: {
    description: 'USB 3 host controller driver',
    methods: ['probe', 'remove', 'shutdown', 'suspend', 'resume', 'save_state', 'preinit'],
    honoursResetDevices: false,
    resetDevicesInitMs: ms(0),
    resetDevicesClears: NO_EFFECT,
    kdumpAware: false,
    memoryMiB: 8,
    minimalMemoryMiB: 8,
    onUnexpectedState: { cope: 0.7, failProbe: 0.2, oops: 0.07, panic: 0.03 },
    hardenedReaction: { cope: 0.95, failProbe: 0.045, oops: 0.004, panic: 0.001 },
    hardeningInitMs: logn(20, 60),
    probeTimeoutMs: logn(5_000, 10_000),
    shutdownFailsToQuiesce: 0.02,
    knownKdumpProblems: true,
    usbHostController: true,
    source:
      'drivers/pci/quirks.c quirk_no_flr(): AMD Matisse USB has no working FLR; Debian/Ubuntu kdump-tools boot the capture kernel with nousb. Odds and memory: assumptions.',
    sources: {
      methods: KERNEL_METHODS,
      honoursResetDevices: 'drivers/usb/host/xhci*.c: no reset_devices handling',
      resetDevicesInitMs: NOT_HONOURED,
      resetDevicesClears: NOT_HONOURED,
      kdumpAware: 'drivers/usb/host: no is_kdump_kernel() handling',
      memoryMiB: ASSUMED_MEMORY,
      minimalMemoryMiB: ASSUMED_MEMORY,
      onUnexpectedState: ASSUMED_REACTION,
      hardenedReaction: ASSUMED_HARDENED,
      hardeningInitMs: ASSUMED_HARDENING_TIME,
      probeTimeoutMs:
        'assumption: xhci_handshake() waits in xhci_reset()/xhci_start() (drivers/usb/host/xhci.c) of seconds',
      shutdownFailsToQuiesce: ASSUMED_SHUTDOWN,
      knownKdumpProblems:
        'assumption: on the built-in blacklist, as the seed talk blacklists drivers known to have problems (Debian/Ubuntu skip it with nousb)',
      usbHostController:
        'drivers/usb/host/xhci-pci.c: a USB host controller driver, unbound under nousb (drivers/usb/core/usb.c usb_disabled())',
    },
  },
};

const ASSUMED_STATES =
  'assumption: post-crash state odds (no public figure exists; depends on load at crash)';
const FLR_TIME =
  'drivers/pci/pci.c pcie_flr(): waits for pending transactions (up to 700 ms in pci_wait_for_pending_transaction()), then the 100 ms the PCIe spec requires (minMs), then polls readiness; median and p95: assumption';
const FLR_CLEARS =
  'PCIe Base spec 6.6.2 (Function Level Reset): the function stops issuing requests and its state is reset, so DMA, pending MSI and queue state clear (0.99: assumption for the rare completion timeout); reviving a wedged device: assumption';
const PM_TIME = 'drivers/pci/pci.c pci_pm_reset(): D3hot then D0, 10 ms each (2 × 10 ms)';
const PM_CLEARS =
  'assumption: D3hot→D0 with No_Soft_Reset clear resets most internal state (drivers/pci/pci.c pci_pm_reset()); weaker than FLR on a wedged device';
const BUS_CLEARS =
  'drivers/pci/pci.c pci_reset_secondary_bus(): a hot reset of everything below the bridge clears all device state (0.99); reviving a wedged device: assumption';
const CONFIG_RESTORE =
  'assumption: preinit from the saved firmware-time configuration (the seed talk) puts a dirty device in a known good state 90 %, restores Bus Master off so DMA stops; it cannot revive a device that does not answer (0)';
const CONFIG_RESTORE_TIME =
  'assumption: a config-space restore takes milliseconds (drivers/pci/pci.c pci_restore_state())';
const DMAR =
  'LKML 2012 (Takao Indoh, DMA reset in kdump): in-flight DMA behind an IOMMU gives DMAR faults; Intel VT-d copies the old tables (drivers/iommu/intel/iommu.c), "probably the dump will still succeed": fatal odds are an assumption';
const IRQ_STORM =
  'kernel/irq/spurious.c note_interrupt(): an unhandled interrupt line is disabled after 99,900 of 100,000 ("nobody cared, try booting with the irqpoll option"); odds that it hangs the capture kernel: assumption';

export const BUILTIN_DEVICES: Record<string, DeviceModel> = {
  'nic-100g': {
    description: 'ConnectX-class 100G Ethernet NIC',
    class: 'nic-100g',
    driver: 'mlx5_core',
    initMs: logn(2_000, 6_000),
    postCrashState: { inFlightDma: 0.3, pendingInterrupt: 0.1, staleRing: 0.15, wedged: 0.02 },
    deviceSpecificReset: {
      durationMs: logn(5_000, 20_000),
      clears: clears(0.99, 0.99, 0.99, 0.95),
    },
    flr: { durationMs: logn(150, 700, 100), clears: clears(0.99, 0.99, 0.99, 0.85) },
    pmReset: { durationMs: ms(20), clears: clears(0.9, 0.9, 0.9, 0.5) },
    busResetClears: clears(0.99, 0.99, 0.99, 0.95),
    configRestoreClears: clears(0.9, 0.9, 0.9, 0),
    configRestoreMs: logn(5, 20),
    behindIommu: true,
    dmarFaultFatal: 0.1,
    interruptStormHangs: 0.02,
    source:
      'drivers/net/ethernet/mellanox/mlx5: init 2 s, firmware reset slow; drivers/pci/pci.c: FLR = pending transactions (<= 700 ms) + 100 ms + poll; PM reset 2 x 10 ms. ' +
      ASSUMED_STATES,
    sources: {
      initMs: 'drivers/net/ethernet/mellanox/mlx5: init 2 s (median); p95: assumption',
      postCrashState: ASSUMED_STATES,
      'deviceSpecificReset.durationMs':
        'drivers/net/ethernet/mellanox/mlx5/core/fw_reset.c: firmware reset and reload take seconds (assumption: median 5 s)',
      'deviceSpecificReset.clears':
        'assumption: a firmware reset clears every state of the function',
      'flr.durationMs': FLR_TIME,
      'flr.clears': FLR_CLEARS,
      'pmReset.durationMs': PM_TIME,
      'pmReset.clears': PM_CLEARS,
      busResetClears: BUS_CLEARS,
      configRestoreClears: CONFIG_RESTORE,
      configRestoreMs: CONFIG_RESTORE_TIME,
      behindIommu: 'assumption: a server NIC is translated by the IOMMU',
      dmarFaultFatal: DMAR,
      interruptStormHangs: IRQ_STORM,
    },
  },
  'nic-25g': {
    description: 'XXV710-class 25G Ethernet NIC',
    class: 'nic-25g',
    driver: 'i40e',
    initMs: logn(800, 2_000),
    postCrashState: { inFlightDma: 0.25, pendingInterrupt: 0.1, staleRing: 0.12, wedged: 0.01 },
    deviceSpecificReset: null,
    flr: { durationMs: logn(120, 700, 100), clears: clears(0.99, 0.99, 0.99, 0.9) },
    pmReset: { durationMs: ms(20), clears: clears(0.9, 0.9, 0.9, 0.5) },
    busResetClears: clears(0.99, 0.99, 0.99, 0.95),
    configRestoreClears: clears(0.9, 0.9, 0.9, 0),
    configRestoreMs: logn(5, 20),
    behindIommu: true,
    dmarFaultFatal: 0.1,
    interruptStormHangs: 0.02,
    source:
      'drivers/pci/pci.c: FLR about 100 ms + poll; PM reset 2 x 10 ms; LKML 2012 (Takao Indoh): in-flight DMA behind the IOMMU. ' +
      ASSUMED_STATES,
    sources: {
      initMs: 'assumption: i40e probe and link-up under a second median',
      postCrashState: ASSUMED_STATES,
      deviceSpecificReset:
        'assumption: none offered to the PCI core (drivers/pci/quirks.c has no reset for it)',
      'flr.durationMs': FLR_TIME,
      'flr.clears': FLR_CLEARS,
      'pmReset.durationMs': PM_TIME,
      'pmReset.clears': PM_CLEARS,
      busResetClears: BUS_CLEARS,
      configRestoreClears: CONFIG_RESTORE,
      configRestoreMs: CONFIG_RESTORE_TIME,
      behindIommu: 'assumption: a server NIC is translated by the IOMMU',
      dmarFaultFatal: DMAR,
      interruptStormHangs: IRQ_STORM,
    },
  },
  'nvme-ssd': {
    description: 'Datacenter NVMe SSD',
    class: 'nvme-ssd',
    driver: 'nvme',
    initMs: logn(600, 4_300),
    postCrashState: { inFlightDma: 0.2, pendingInterrupt: 0.1, staleRing: 0.1, wedged: 0.005 },
    deviceSpecificReset: null,
    flr: { durationMs: logn(350, 1_000, 100), clears: clears(0.99, 0.99, 0.99, 0.9) },
    pmReset: { durationMs: ms(20), clears: clears(0.9, 0.9, 0.9, 0.6) },
    busResetClears: clears(0.99, 0.99, 0.99, 0.95),
    configRestoreClears: clears(0.95, 0.95, 0.95, 0),
    configRestoreMs: logn(3, 10),
    behindIommu: true,
    dmarFaultFatal: 0.05,
    interruptStormHangs: 0.02,
    source:
      'drivers/nvme/host/pci.c quirks: delays 2.3-4.3 s (init p95); drivers/pci/quirks.c: Intel 750 needs +250 ms after FLR; drivers/pci/pci.c: FLR 100 ms + poll. ' +
      ASSUMED_STATES,
    sources: {
      initMs: 'drivers/nvme/host/pci.c quirks: delays 2.3-4.3 s (p95 4.3 s); median: assumption',
      postCrashState: ASSUMED_STATES,
      deviceSpecificReset:
        'drivers/pci/quirks.c nvme_disable_and_flr() applies to a few models only: none for the generic SSD',
      'flr.durationMs':
        FLR_TIME +
        '; drivers/pci/quirks.c delay_250ms_after_flr() for the Intel 750 raises the median',
      'flr.clears': FLR_CLEARS,
      'pmReset.durationMs': PM_TIME,
      'pmReset.clears': PM_CLEARS,
      busResetClears: BUS_CLEARS,
      configRestoreClears: CONFIG_RESTORE,
      configRestoreMs: CONFIG_RESTORE_TIME,
      behindIommu: 'assumption: translated by the IOMMU',
      dmarFaultFatal: DMAR,
      interruptStormHangs: IRQ_STORM,
    },
  },
  'sas-raid-hba': {
    description: 'MegaRAID-class SAS RAID HBA',
    class: 'sas-raid-hba',
    driver: 'megaraid_sas',
    initMs: logn(15_000, 60_000),
    postCrashState: { inFlightDma: 0.3, pendingInterrupt: 0.15, staleRing: 0.2, wedged: 0.03 },
    deviceSpecificReset: { durationMs: logn(4_000, 5_000), clears: clears(0.99, 0.99, 0.99, 0.9) },
    flr: null,
    pmReset: { durationMs: ms(20), clears: clears(0.7, 0.7, 0.7, 0.3) },
    busResetClears: clears(0.99, 0.99, 0.99, 0.9),
    configRestoreClears: clears(0.85, 0.85, 0.85, 0),
    configRestoreMs: logn(10, 40),
    behindIommu: true,
    dmarFaultFatal: 0.1,
    interruptStormHangs: 0.05,
    source:
      'drivers/scsi/hpsa.c, drivers/scsi/megaraid, drivers/scsi/smartpqi: RAID HBAs reset by doorbell/firmware (3-5 s after reset), ready up to 120-180 s; no FLR on many HBAs (assumption). ' +
      ASSUMED_STATES,
    sources: {
      initMs:
        'drivers/scsi/megaraid, drivers/scsi/hpsa.c: SAS/RAID HBA firmware ready up to 120-180 s; median 15 s, p95 60 s: assumption',
      postCrashState: ASSUMED_STATES,
      'deviceSpecificReset.durationMs':
        'drivers/scsi/hpsa.c, drivers/scsi/smartpqi: 3-5 s after a doorbell/firmware reset',
      'deviceSpecificReset.clears':
        'assumption: the adapter reset clears its state; revives a wedged HBA 90 %',
      flr: 'assumption: many HBAs do not advertise FLR (the HBA drivers reset by doorbell/firmware, PM or bus: drivers/scsi/hpsa.c, drivers/scsi/megaraid)',
      'pmReset.durationMs': PM_TIME,
      'pmReset.clears': PM_CLEARS,
      busResetClears: BUS_CLEARS,
      configRestoreClears: CONFIG_RESTORE,
      configRestoreMs: CONFIG_RESTORE_TIME,
      behindIommu: 'assumption: translated by the IOMMU',
      dmarFaultFatal: DMAR,
      interruptStormHangs: IRQ_STORM + '; higher: HBAs keep completing commands after the crash',
    },
  },
  gpu: {
    description: 'Datacenter GPU',
    class: 'gpu',
    driver: 'nvidia',
    initMs: logn(2_000, 3_000),
    postCrashState: { inFlightDma: 0.35, pendingInterrupt: 0.1, staleRing: 0.2, wedged: 0.08 },
    deviceSpecificReset: { durationMs: logn(3_000, 8_000), clears: clears(0.95, 0.95, 0.9, 0.6) },
    flr: { durationMs: logn(150, 700, 100), clears: clears(0.5, 0.5, 0.2, 0.2) },
    pmReset: null,
    busResetClears: clears(0.95, 0.95, 0.9, 0.7),
    configRestoreClears: clears(0.5, 0.5, 0.5, 0),
    configRestoreMs: logn(10, 40),
    behindIommu: true,
    dmarFaultFatal: 0.15,
    interruptStormHangs: 0.05,
    source:
      'NVIDIA driver persistence docs: GPU init 1-3 s (ECC scrub); gnif/vendor-reset: vendor-specific resets, FLR missing or broken (low odds), "does not reset more than once" (Vega20). ' +
      ASSUMED_STATES,
    sources: {
      initMs: 'NVIDIA driver persistence docs: init 1-3 s per GPU (ECC scrub)',
      postCrashState: ASSUMED_STATES,
      'deviceSpecificReset.durationMs':
        'assumption: vendor-specific resets (gnif/vendor-reset) take seconds',
      'deviceSpecificReset.clears':
        'assumption: a vendor reset clears most state; revives a wedged GPU 60 %',
      'flr.durationMs': FLR_TIME,
      'flr.clears':
        'gnif/vendor-reset: GPU FLR "missing or broken" (vendor-reset exists because it does not reinitialise): low odds for every state, assumption',
      pmReset: 'assumption: No_Soft_Reset set on GPUs, so no PM reset',
      busResetClears:
        'assumption: a bus reset clears more than the broken FLR; Vega20 "does not reset more than once" (gnif/vendor-reset)',
      configRestoreClears:
        'assumption: a restored configuration puts a GPU in a known state only half the time',
      configRestoreMs: CONFIG_RESTORE_TIME,
      behindIommu: 'assumption: translated by the IOMMU',
      dmarFaultFatal: DMAR + '; higher: GPUs DMA the most',
      interruptStormHangs: IRQ_STORM,
    },
  },
  xhci: {
    description: 'USB 3 xHCI controller (root-complex integrated)',
    class: 'xhci',
    driver: 'xhci_hcd',
    initMs: logn(100, 400),
    postCrashState: { inFlightDma: 0.05, pendingInterrupt: 0.2, staleRing: 0.05, wedged: 0.01 },
    deviceSpecificReset: null,
    flr: { durationMs: logn(120, 700, 100), clears: NO_EFFECT },
    pmReset: { durationMs: ms(20), clears: clears(0.9, 0.9, 0.9, 0.7) },
    busResetClears: clears(0.99, 0.99, 0.99, 0.9),
    configRestoreClears: clears(0.95, 0.95, 0.95, 0),
    configRestoreMs: logn(2, 5),
    behindIommu: false,
    dmarFaultFatal: 0,
    interruptStormHangs: 0.1,
    source:
      'drivers/pci/quirks.c quirk_no_flr(): broken FLR on AMD Matisse USB (takes the time, resets nothing); drivers/pci/pci.c: PM reset 2 x 10 ms. ' +
      ASSUMED_STATES,
    sources: {
      initMs:
        'assumption: xHCI reset and start in hundreds of ms (drivers/usb/host/xhci.c xhci_reset())',
      postCrashState:
        ASSUMED_STATES + '; more pending interrupts: a controller keeps raising port events',
      deviceSpecificReset: 'drivers/pci/quirks.c: no device-specific reset for xHCI',
      'flr.durationMs': FLR_TIME,
      'flr.clears':
        'drivers/pci/quirks.c quirk_no_flr(): AMD Matisse USB FLR is broken; it takes its time and resets nothing (0)',
      'pmReset.durationMs': PM_TIME,
      'pmReset.clears': PM_CLEARS,
      busResetClears: BUS_CLEARS,
      configRestoreClears: CONFIG_RESTORE,
      configRestoreMs: CONFIG_RESTORE_TIME,
      behindIommu: 'assumption: an integrated USB controller often bypasses translation',
      dmarFaultFatal: 'assumption: not behind an IOMMU (behindIommu), so never a DMAR fault',
      interruptStormHangs:
        IRQ_STORM +
        '; higher: integrated controllers often share a legacy INTx line in a kdump kernel',
    },
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
    perCpuMiB: 2,
    irqpollSlowdownPercent: 5,
    staleKexecParameters: 0.001,
    backupRegionKiB: 0,
    backupRegionLost: 0,
  };
}

/** Where each kdump default comes from, as `kdump.<field>` sources of a profile. */
const KDUMP_SOURCES: Record<string, string> = {
  'kdump.captureKernelLoaded':
    'assumption: the kdump service is up on 99.5 % of servers when they crash',
  'kdump.crashKexecMs':
    'assumption: __crash_kexec() (kernel/kexec_core.c) takes well under a millisecond',
  'kdump.cpuStopMs':
    'assumption: the NMI shootdown of arch/x86/kernel/reboot.c nmi_shootdown_cpus() stops every CPU in 1-20 ms',
  'kdump.nmiShootdownLimitMs':
    'arch/x86/kernel/reboot.c nmi_shootdown_cpus(): waits at most 1000 ms for the other CPUs',
  'kdump.staleCpuBreaksCapture':
    'assumption: "Some CPUs may be stale, kdump will be unreliable" (arch/x86/kernel/reboot.c) breaks 30 % of captures',
  'kdump.purgatoryDigestMiBPerSecond':
    'arch/x86/purgatory/purgatory.c verify_sha256_digest(): about 300 ms for 53 MB + 28 MB (LKML 2022) = 270 MiB/s',
  'kdump.loadedSegmentsMiB':
    'LKML 2022 (ByteDance purgatory SHA-256 patch): a 53 MB kernel and a 28 MB initramfs',
  'kdump.purgatoryDigestMismatch': 'assumption: a corrupted reservation is rare (0.05 %)',
  'kdump.captureKernelBaseMiB':
    'rhkdump/kdump-utils kdumpctl estimate: kernel 47M + modules 12M + initramfs 19M + runtime 64M = 142 MiB',
  'kdump.captureKernelBootMs': 'assumption: capture kernel boot without devices, 6 s median',
  'kdump.panicOnOops':
    'kdump-utils capture command line has no oops=panic (kernel default panic_on_oops=0)',
  'kdump.panicRebootMs': 'kdump-utils capture command line: panic=10',
  'kdump.hangWatchdogMs': 'assumption: a BMC/hardware watchdog resets a hung server after 600 s',
  'kdump.rebootPath': 'assumption: how the profile returns to production after the dump',
  'kdump.perCpuMiB':
    'assumption: per-CPU areas and one more NVMe/NIC queue pair per CPU a capture kernel brings up (why distributions boot it with nr_cpus=1)',
  'kdump.irqpollSlowdownPercent':
    'assumption: irqpoll polls every handler on each interrupt and timer tick (kernel/irq/spurious.c misrouted_irq(), poll_spurious_irqs()): 5 % slower boot',
  'kdump.staleKexecParameters':
    'assumption: a memory/CPU hotplug after kexec -p and before kdump reloads (kdump-utils udev rules reload; CONFIG_CRASH_HOTPLUG in kernel/crash_core.c updates elfcorehdr since 6.5) on 0.1 % of crashes',
  'kdump.backupRegionKiB':
    'arch/x86/realmode/init.c: the low 1 MiB is always reserved, so no backup region is copied (old kexec-tools copied 640 KiB in purgatory)',
  'kdump.backupRegionLost':
    'arch/x86/realmode/init.c: no backup region on x86 today, so never lost',
};

const PROFILE_SOURCE =
  'rhkdump/kdump-utils crashkernel-howto.txt and Red Hat RHEL 8 kernel guide §14.1: crashkernel= sizes; kdumpctl estimate: capture base 142 MiB; arch/x86/kernel/reboot.c: NMI shootdown <= 1000 ms; arch/x86/purgatory/purgatory.c (LKML 2022): purgatory about 300 ms; kdump-utils: panic=10; makedumpfile -d 31 dumps usually < 10 % of RAM; kexec list 2013: filtering about 19 s per TB; server POST reports: warm 52 s, cold 195 s; mariux64/mxtools PR 87: kexec 43 s vs firmware 165 s to service.';

/** Per-field sources the three built-in profiles share. */
function profileSources(specific: Record<string, string>): Record<string, string> {
  return {
    ramGiB: 'assumption: a typical server of its class',
    buses:
      'assumption: a typical PCIe topology of its class (root-complex integrated USB, devices behind ports or switches)',
    dumpTarget: 'assumption: where the profile writes its dump',
    dumpMsPerGiB: 'assumption: write throughput of the dump target (about 1 GiB/s median for NVMe)',
    dumpPercentOfRam:
      'makedumpfile -d 31: usually < 10 % of RAM (a review of 1500+ vmcores): median 3 %, p95 9 %',
    filterMsPerTiB:
      'kexec mailing list 2013 (makedumpfile performance, with mmap): about 19 s per TB on one CPU',
    ...KDUMP_SOURCES,
    ...specific,
  };
}

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
    kernelBootMs: logn(40_000, 67_000),
    cpus: 64,
    kdump: kdumpDefaults('firmware'),
    source: PROFILE_SOURCE,
    sources: profileSources({
      crashkernelMiB:
        'rhkdump/kdump-utils crashkernel-howto.txt: crashkernel=4G-64G:256M (Red Hat RHEL 8 kernel guide §14.1: 64G-1T gives 256M)',
      'buses.busResetMs':
        'drivers/pci/pci.c pci_reset_secondary_bus(): 2 ms asserted, 100 ms wait, then poll up to 1 s (uniform 102-1000 ms)',
      firmwarePostMs:
        'server POST reports (no single source): warm 52 s (median), cold 195 s (p95), dual-socket E5',
      kernelBootMs:
        "mariux64/mxtools PR 87: kexec 43 s to service, less the profile's ~3 s median device init the model adds per device; p95: assumption",
      cpus: 'assumption: 64 logical CPUs',
    }),
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
    kernelBootMs: logn(43_000, 100_000),
    cpus: 48,
    kdump: kdumpDefaults('firmware'),
    source: PROFILE_SOURCE,
    sources: profileSources({
      crashkernelMiB: 'rhkdump/kdump-utils crashkernel-howto.txt: crashkernel=64G-:512M',
      'buses.busResetMs':
        'drivers/pci/pci.c pci_reset_secondary_bus(): 2 ms asserted, 100 ms wait, then poll up to 1 s (uniform 102-1000 ms)',
      firmwarePostMs:
        'server POST reports: up to 195 s cold; 120 s median with a RAID option ROM: assumption',
      kernelBootMs:
        'assumption: 60 s to service with its RAID, less the ~17 s median device init the model adds per device (mariux64/mxtools PR 87: kexec 43 s to service on a compute node)',
      cpus: 'assumption: 48 logical CPUs',
    }),
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
    kernelBootMs: logn(47_000, 107_000),
    cpus: 128,
    kdump: kdumpDefaults('kexec'),
    source: PROFILE_SOURCE + ' Large servers: POST up to 10 min.',
    sources: profileSources({
      crashkernelMiB: 'rhkdump/kdump-utils crashkernel-howto.txt: crashkernel=64G-:512M',
      'buses.busResetMs':
        'drivers/pci/pci.c pci_reset_secondary_bus(): 2 ms asserted, 100 ms wait, then poll up to 1 s (uniform 102-1000 ms)',
      firmwarePostMs:
        'server POST reports (no single source): 195 s cold on a dual socket, up to 10 min on large servers (p95)',
      kernelBootMs:
        'assumption: 60 s to service, less the ~13 s median device init the model adds per device (mariux64/mxtools PR 87: kexec 43 s to service on a compute node)',
      cpus: 'assumption: 128 logical CPUs',
    }),
  },
};

export const BUILTIN_CRASH_CAUSES: Record<string, CrashCause> = {
  panic: {
    description: 'kernel panic (BUG, explicit panic)',
    detectionMs: unif(0, 1),
    undetectedHang: 0,
    staleCpu: 0.005,
    extraWedged: 0,
    source:
      'kernel/panic.c panic() calls __crash_kexec() (kernel/kexec_core.c) directly. Stale CPU odds: assumption.',
    sources: {
      detectionMs: 'kernel/panic.c panic(): calls __crash_kexec() at once (under a millisecond)',
      undetectedHang: 'kernel/panic.c: a panic always reaches __crash_kexec()',
      staleCpu: 'assumption: a CPU ignores the NMI shootdown on 0.5 % of panics',
      extraWedged: 'assumption: a software panic wedges no device',
    },
  },
  oops: {
    description: 'oops with panic_on_oops=1',
    detectionMs: unif(0, 5),
    undetectedHang: 0,
    staleCpu: 0.005,
    extraWedged: 0,
    source:
      'kernel/panic.c: an oops becomes a panic with panic_on_oops (Documentation/admin-guide/kdump/kdump.rst). Stale CPU odds: assumption.',
    sources: {
      detectionMs: 'kernel/exit.c make_task_dead() → panic() with panic_on_oops: milliseconds',
      undetectedHang: 'kernel/exit.c make_task_dead(): with panic_on_oops an oops always panics',
      staleCpu: 'assumption: as for a panic',
      extraWedged: 'assumption: a software oops wedges no device',
    },
  },
  'hard-lockup': {
    description: 'hard lockup caught by the NMI watchdog (watchdog_thresh=10)',
    detectionMs: unif(10_000, 20_000),
    undetectedHang: 0.02,
    staleCpu: 0.1,
    extraWedged: 0.02,
    source:
      'Linux hard lockup detector: NMI watchdog after watchdog_thresh (10 s), hardlockup_panic. Odds: assumption.',
    sources: {
      detectionMs:
        'kernel/watchdog.c: a hard lockup is reported after watchdog_thresh (10 s) and up to twice that, with hardlockup_panic=1',
      undetectedHang: 'assumption: 2 % of lockups escape the NMI watchdog',
      staleCpu: 'assumption: the locked-up CPU ignores the NMI shootdown 10 %',
      extraWedged: 'assumption: a lockup leaves 2 % more devices wedged',
    },
  },
  'machine-check': {
    description: 'fatal machine check exception',
    detectionMs: unif(0, 10),
    undetectedHang: 0.01,
    staleCpu: 0.03,
    extraWedged: 0.05,
    source:
      'drivers/net/ethernet/intel/ice: stale DMA can raise machine checks (so ice does an FLR first in kdump). Odds of wedged devices and hangs: assumption.',
    sources: {
      detectionMs: 'arch/x86/kernel/cpu/mce/core.c mce_panic(): milliseconds',
      undetectedHang: 'assumption: 1 % of fatal machine checks hang before panic',
      staleCpu: 'assumption: 3 %',
      extraWedged: 'assumption: the faulting device is often wedged (+5 %)',
    },
  },
};

/**
 * Built-in reset strategies: the seed talk's solutions, and what distributions
 * ship today (rhkdump/kdump-utils, Debian/Ubuntu kdump-tools). A spec lists them by
 * name or defines its own with the same fields. Every strategy boots the capture
 * kernel with nr_cpus=1 unless it says otherwise.
 */
export const BUILTIN_STRATEGIES: Record<string, StrategyDefinition> = {
  'rhel-default': {
    description:
      "RHEL/Fedora kdump-utils: hostonly initramfs with the dump target's drivers only (mkdumprd), irqpoll nr_cpus=1 reset_devices",
    whitelist: 'dump-target',
    resetDevices: true,
    irqpoll: true,
    nrCpus: 1,
    source:
      'rhkdump/kdump-utils gen-kdump-sysconfig.sh KDUMP_COMMANDLINE_APPEND (irqpoll nr_cpus=1 reset_devices ...) and mkdumprd (hostonly dracut image for the dump target)',
  },
  'debian-default': {
    description:
      "Debian kdump-tools: the capture kernel boots the system's initramfs and root, every driver but USB loads; irqpoll nr_cpus=1 nousb",
    nousb: true,
    irqpoll: true,
    nrCpus: 1,
    source:
      'Debian kdump-tools /etc/default/kdump-tools KDUMP_CMDLINE_APPEND="irqpoll nr_cpus=1 nousb ..."',
  },
  'ubuntu-default': {
    description: 'Ubuntu kdump-tools: as Debian, plus reset_devices',
    nousb: true,
    irqpoll: true,
    resetDevices: true,
    nrCpus: 1,
    source: 'Ubuntu kdump-tools KDUMP_CMDLINE_APPEND="reset_devices ... nr_cpus=1 irqpoll nousb"',
  },
  none: {
    description: 'baseline: load every driver, reset nothing',
    source:
      'the seed talk ("Kdump: device reinitialization", NTT OSS Center, 2007): the problem itself',
  },
  blacklist: {
    description: 'do not load drivers known to have kdump problems',
    blacklist: 'known-problems',
    source: 'the seed talk: a blacklist of drivers known to have problems',
  },
  whitelist: {
    description: 'load only the drivers the dump target needs',
    whitelist: 'dump-target',
    source: 'the seed talk: a whitelist of drivers (what mkdumprd hostonly does today)',
  },
  reset_devices: {
    description: 'reset_devices on the capture kernel command line',
    resetDevices: true,
    source: 'the seed talk; kernel parameter since 2006 (commit 7e96287ddc4f)',
  },
  'device-reset': {
    description: 'per-device reset before probe: device-specific, then FLR, then PM reset',
    resets: ['device-reset'],
    source:
      'the seed talk: per-device soft reset; drivers/pci/pci.c __pci_reset_function_locked() order',
  },
  'bus-reset': {
    description: 'secondary bus reset of every bridge before probe',
    resets: ['bus-reset'],
    source: 'the seed talk: bus-level reset (PCI)',
  },
  'driver-hardening': {
    description: 'drivers run hardened init code',
    hardening: true,
    source: 'the seed talk: driver hardening',
  },
  'config-restore': {
    description: 'save_state in the first kernel, preinit from it before probe',
    resets: ['config-restore'],
    source: 'the seed talk: configuration restore (save_state, preinit)',
  },
  fallback: {
    description: 'config-restore, then FLR, then bus reset',
    resets: ['config-restore', 'flr', 'bus-reset'],
    source: 'the seed talk: ordered fallbacks of the solutions',
  },
};

/**
 * Outcome and failure-reason codes: one list of stable strings, used as-is for
 * report keys and Prometheus labels. Append only; never rename.
 */

/** Why a job did not end in success (captured dump / server back in service). */
export const FAILURE_REASONS = [
  /** Nothing called crash_kexec: the machine hung until the hardware watchdog. */
  'hang-undetected',
  /** No capture kernel was loaded (kdump service down): panic, reboot, no dump. */
  'capture-kernel-not-loaded',
  /** A CPU ignored the NMI shootdown and broke the capture kernel. */
  'stale-cpu',
  /** Purgatory's SHA-256 check of the loaded segments failed: it loops forever. */
  'purgatory-digest-mismatch',
  /** In-flight DMA from the old kernel met the new IOMMU tables: DMAR fault / SERR. */
  'dmar-fault',
  /** Drivers needed more memory than the crashkernel= reservation had. */
  'capture-kernel-oom',
  /** A driver panicked the capture kernel on an unexpected device state. */
  'capture-kernel-panic',
  /** A driver oopsed and the capture kernel has panic_on_oops. */
  'capture-kernel-oops',
  /** The dump target's device is absent in the capture kernel. */
  'dump-target-missing',
  /** Planned kexec reboot: the new kernel panicked on a device left dirty. */
  'kexec-boot-panic',
  /** Planned reboot: a device failed to come back (probe failed, oops, timeout). */
  'device-missing',
  /** An interrupt the old kernel left pending (or screaming) hung a capture kernel without irqpoll. */
  'interrupt-storm',
  /** A memory or CPU hotplug left the capture kernel's elfcorehdr stale: the dump is incomplete or fails. */
  'stale-kexec-parameters',
  /** The backup region of the low memory the capture kernel reused was lost: an incomplete dump. */
  'backup-region-lost',
] as const;

export type FailureReason = (typeof FAILURE_REASONS)[number];

/** What each failure reason means, in one line, for reports. */
export const FAILURE_REASON_MEANINGS: Readonly<Record<FailureReason, string>> = Object.freeze({
  'hang-undetected': 'nothing called crash_kexec: the server hung until the hardware watchdog',
  'capture-kernel-not-loaded':
    'no capture kernel was loaded (kdump service down): panic, reboot, no dump',
  'stale-cpu': 'a CPU ignored the NMI shootdown and broke the capture kernel',
  'purgatory-digest-mismatch':
    "purgatory's SHA-256 check of the loaded segments failed: it loops forever",
  'dmar-fault': 'in-flight DMA from the old kernel met the new IOMMU tables: DMAR fault, SERR',
  'capture-kernel-oom': 'the drivers needed more memory than the crashkernel= reservation had',
  'capture-kernel-panic':
    'a driver panicked the capture kernel on a device state it did not expect',
  'capture-kernel-oops': 'a driver oopsed and the capture kernel has panic_on_oops',
  'dump-target-missing': 'the device the dump is written through is absent in the capture kernel',
  'kexec-boot-panic': 'planned kexec: the new kernel panicked on a device left dirty',
  'device-missing': 'planned reboot: a device did not come back',
  'interrupt-storm':
    'an interrupt left pending by the old kernel hung a kernel booted without irqpoll',
  'stale-kexec-parameters':
    'a hotplug since kexec -p left elfcorehdr stale: incomplete or failed dump',
  'backup-region-lost': 'the low memory the capture kernel reused was not saved: incomplete dump',
});

/** Index of each reason in {@link FAILURE_REASONS}; the engine counts by index. */
export const enum Reason {
  HangUndetected = 0,
  CaptureKernelNotLoaded = 1,
  StaleCpu = 2,
  PurgatoryDigestMismatch = 3,
  DmarFault = 4,
  CaptureKernelOom = 5,
  CaptureKernelPanic = 6,
  CaptureKernelOops = 7,
  DumpTargetMissing = 8,
  KexecBootPanic = 9,
  DeviceMissing = 10,
  InterruptStorm = 11,
  StaleKexecParameters = 12,
  BackupRegionLost = 13,
}

/** Job kinds: an unplanned crash down the kdump path, or a planned reboot. */
export const JOB_KINDS = ['crash', 'reboot'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** Post-crash device states, in the order the engine encodes them. */
export const DEVICE_STATES = [
  'quiescent',
  'in-flight-dma',
  'pending-interrupt',
  'stale-ring',
  'wedged',
] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

/** Device state codes. */
export const enum State {
  Quiescent = 0,
  InFlightDma = 1,
  PendingInterrupt = 2,
  StaleRing = 3,
  Wedged = 4,
}

/** Boot paths: how the next kernel comes up, and what happens to devices on the way. */
export const BOOT_PATHS = ['firmware', 'kexec', 'kdump'] as const;
export type BootPath = (typeof BOOT_PATHS)[number];

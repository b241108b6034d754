/**
 * The fixed layout of the uniforms drawn for one crash or planned reboot. Every
 * job draws the same number of uniforms from its keyed stream and each purpose
 * has its own position, so every strategy reads the very same numbers (common
 * random numbers) and a change in one stage never shifts the draws of another.
 */

/** Uniforms at the head of a crash's block. */
export const enum CrashSlot {
  Cause = 0,
  Detection = 1,
  UndetectedHang = 2,
  CaptureKernelLoaded = 3,
  CrashKexec = 4,
  StaleCpu = 5,
  CpuStop = 6,
  StaleCpuBreaksCapture = 7,
  PurgatoryMismatch = 8,
  CaptureKernelBoot = 9,
  DumpPercent = 10,
  DumpRate = 11,
  FirmwarePost = 12,
  KernelBoot = 13,
  StaleKexecParameters = 14,
  BackupRegionLost = 15,
}
/** Uniforms before the per-device ones. */
const HEAD = 16;
export const HEAD_SLOTS = HEAD;

/**
 * Uniforms per device, after the head. Distribution slot `j` of
 * {@link DevDist} reads `DeviceSlot.Init + j`.
 */
export const enum DeviceSlot {
  State = 0,
  Reaction = 1,
  Init = 2,
  ResetDevicesInit = 3,
  HardeningInit = 4,
  ProbeTimeout = 5,
  DeviceSpecificTime = 6,
  FlrTime = 7,
  PmTime = 8,
  ConfigRestoreTime = 9,
  DeviceSpecificRecovers = 10,
  FlrRecovers = 11,
  PmRecovers = 12,
  ConfigRestoreRecovers = 13,
  BusResetRecovers = 14,
  DmarFault = 15,
  ShutdownQuiesce = 16,
  DriverResetRecovers = 17,
  /** Whether an interrupt it left pending hangs a capture kernel without irqpoll. */
  InterruptStorm = 18,
  /** Return to production by kexec after the dump: its shutdown method quiesced it or not, */
  ReturnShutdown = 19,
  /** ... the dirty state it left, */
  ReturnState = 20,
  /** ... and the production driver's reaction to it. */
  ReturnReaction = 21,
}
const PER_DEVICE = 22;
export const DEVICE_SLOTS = PER_DEVICE;

/** Uniforms a job of a profile with this many devices and buses draws. */
export function uniformsPerJob(deviceCount: number, busCount: number): number {
  return HEAD + deviceCount * PER_DEVICE + busCount;
}

/** Offset of device `d`'s uniforms. */
export function deviceBase(d: number): number {
  return HEAD + d * PER_DEVICE;
}

/** Offset of bus `b`'s reset-duration uniform. */
export function busSlot(deviceCount: number, b: number): number {
  return HEAD + deviceCount * PER_DEVICE + b;
}

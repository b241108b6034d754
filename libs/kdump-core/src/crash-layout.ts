/**
 * The fixed layout of the uniforms drawn for one crash or planned reboot. Every
 * job draws the same number of uniforms from its keyed stream and each purpose
 * has its own position, so every strategy reads the very same numbers (common
 * random numbers) and a change in one stage never shifts the draws of another.
 */

/** Uniforms at the head of a crash's block. */
export const CrashSlot = {
  Cause: 0,
  Detection: 1,
  UndetectedHang: 2,
  CaptureKernelLoaded: 3,
  CrashKexec: 4,
  StaleCpu: 5,
  CpuStop: 6,
  StaleCpuBreaksCapture: 7,
  PurgatoryMismatch: 8,
  CaptureKernelBoot: 9,
  DumpPercent: 10,
  DumpRate: 11,
  FirmwarePost: 12,
  KernelBoot: 13,
} as const;
/** Uniforms before the per-device ones. */
export const HEAD_SLOTS = 14;

/**
 * Uniforms per device, after the head. Distribution slot `j` of
 * {@link DevDist} reads `DeviceSlot.Init + j`.
 */
export const DeviceSlot = {
  State: 0,
  Reaction: 1,
  Init: 2,
  ResetDevicesInit: 3,
  HardeningInit: 4,
  ProbeTimeout: 5,
  DeviceSpecificTime: 6,
  FlrTime: 7,
  PmTime: 8,
  ConfigRestoreTime: 9,
  DeviceSpecificRecovers: 10,
  FlrRecovers: 11,
  PmRecovers: 12,
  ConfigRestoreRecovers: 13,
  BusResetRecovers: 14,
  DmarFault: 15,
  ShutdownQuiesce: 16,
  DriverResetRecovers: 17,
} as const;
export const DEVICE_SLOTS = 18;

/** Uniforms a job of a profile with this many devices and buses draws. */
export function uniformsPerJob(deviceCount: number, busCount: number): number {
  return HEAD_SLOTS + deviceCount * DEVICE_SLOTS + busCount;
}

/** Offset of device `d`'s uniforms. */
export function deviceBase(d: number): number {
  return HEAD_SLOTS + d * DEVICE_SLOTS;
}

/** Offset of bus `b`'s reset-duration uniform. */
export function busSlot(deviceCount: number, b: number): number {
  return HEAD_SLOTS + deviceCount * DEVICE_SLOTS + b;
}

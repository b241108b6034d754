/**
 * Traces of single jobs: what one crash or reboot of one server did, stage by
 * stage and strategy by strategy, for ops who fire one job and look, and for
 * exact-trace tests. Read from the job's {@link JobOutcome} after the rooms
 * filled it. Times in milliseconds (simulated), rounded to the µs.
 */
import {
  Step,
  type CompiledExperiment,
  type CompiledProfile,
  type CompiledStrategy,
} from './compile';
import { DRIVER_RESET_BIT, MAX_DEVICES } from './device-bring-up';
import { RETURN_TO_SERVICE, type JobOutcome } from './job-outcome';
import {
  DEVICE_STATES,
  FAILURE_REASONS,
  Reason,
  type BootPath,
  type DeviceState,
  type FailureReason,
  type JobKind,
} from './outcome';

/** What happened to one device under one strategy. */
export interface DeviceTrace {
  name: string;
  /** Driver loaded in the (capture) kernel. */
  loaded: boolean;
  /** Resets it went through, in kernel order of the phases. */
  resets: ('config-restore' | 'device-specific' | 'flr' | 'pm' | 'bus-reset' | 'driver-reset')[];
  /** State after the resets and the driver's own reset, as probe found it. */
  stateAtProbe: DeviceState;
  probed: boolean;
  present: boolean;
  reinitMs: number;
}

/** One strategy's outcome of the job. */
export interface StrategyTrace {
  strategy: string;
  /** `captured` (crash), `in-service` (reboot), or the failure reason. */
  outcome: 'captured' | 'in-service' | FailureReason;
  /**
   * Device whose driver ended the kernel (panic, oops, OOM, DMAR fault, interrupt
   * storm), or the dump target that went missing; null otherwise.
   */
  culprit: string | null;
  /** The culprit's driver, or null. */
  culpritDriver: string | null;
  /** The capture kernel's command line as this strategy sets it (crash jobs), or null. */
  commandLine: string | null;
  /** CPUs the capture kernel brought up (nr_cpus), or null for a planned reboot. */
  captureCpus: number | null;
  kernelBootMs: number | null;
  dumpMs: number | null;
  /**
   * How the server went back to production after the capture kernel: `firmware`,
   * `kexec`, or `kexec-then-firmware` (the kexec'd kernel panicked on a device the
   * capture kernel left dirty); null when the capture kernel died or for a reboot.
   */
  returnToService: 'firmware' | 'kexec' | 'kexec-then-firmware' | null;
  downtimeMs: number;
  devices: DeviceTrace[];
}

/** A whole job. Stage times are null where the job never got there. */
export interface JobTrace {
  server: number;
  profile: string;
  kind: JobKind;
  event: number;
  /** Crash cause, or null for a planned reboot. */
  cause: string | null;
  /** Boot path of the next kernel: kdump after a crash, kexec or firmware for a reboot. */
  bootPath: BootPath;
  stages: {
    detectionMs: number | null;
    crashKexecMs: number | null;
    machineShutdownMs: number | null;
    staleCpu: boolean;
    purgatoryMs: number | null;
    /** Firmware POST: after a crash, on the way back through firmware; null on a kexec reboot. */
    firmwarePostMs: number | null;
    kernelBootMs: number;
    /** A memory or CPU hotplug since kexec -p left the capture kernel's elfcorehdr stale. */
    staleKexecParameters: boolean;
    /** Low memory purgatory copied to the backup region (0: reserved, nothing to copy). */
    backupRegionKiB: number;
    /** The backup region was lost: the dump would be incomplete. */
    backupRegionLost: boolean;
  };
  /** Device states the previous kernel left: after the crash, or after kexec's shutdown methods. */
  initialStates: Record<string, DeviceState>;
  strategies: StrategyTrace[];
}

const ms = (us: number): number | null => (us < 0 ? null : Math.round(us) / 1000);

const STEP_NAMES: [number, DeviceTrace['resets'][number]][] = [
  [1 << Step.ConfigRestore, 'config-restore'],
  [1 << Step.DeviceSpecific, 'device-specific'],
  [1 << Step.Flr, 'flr'],
  [1 << Step.Pm, 'pm'],
  [1 << Step.BusReset, 'bus-reset'],
  [DRIVER_RESET_BIT, 'driver-reset'],
];

/** The capture kernel command-line parameters a strategy sets (of those the model knows). */
export function captureCommandLine(strategy: CompiledStrategy): string {
  const words = [];
  if (strategy.irqpoll) {
    words.push('irqpoll');
  }
  words.push(`nr_cpus=${strategy.nrCpus}`);
  if (strategy.resetDevices) {
    words.push('reset_devices');
  }
  if (strategy.nousb) {
    words.push('nousb');
  }
  return words.join(' ');
}

/**
 * The trace of one job, read from its outcome: the trace observes what the rooms
 * recorded, it does not take part in the simulation.
 * @param out the job's outcome, filled with its per-device detail
 *   ({@link JobOutcome.keepDevices})
 */
export function jobTrace(m: CompiledExperiment, out: JobOutcome): JobTrace {
  if (!out.keepDevices) {
    throw new RangeError('a job trace needs an outcome that keeps the per-device detail');
  }
  const p = m.profiles[out.profile]!;
  const crash = out.kind === 'crash';
  const initialStates: Record<string, DeviceState> = {};
  if (out.hasInitialStates) {
    for (let d = 0; d < p.deviceCount; d++) {
      initialStates[p.deviceNames[d]!] = DEVICE_STATES[out.initialStates[d]!]!;
    }
  }
  const strategies: StrategyTrace[] = [];
  for (let s = 0; s < m.strategies.length; s++) {
    strategies.push(
      out.common >= 0 ? commonOutcome(m.strategies[s]!, s, out) : strategyOutcome(p, m, s, out),
    );
  }
  return {
    server: out.server,
    profile: p.name,
    kind: out.kind,
    event: out.event,
    cause: crash ? m.causeNames[out.cause]! : null,
    bootPath: out.bootPath,
    stages: {
      detectionMs: ms(out.detectionUs),
      crashKexecMs: ms(out.crashKexecUs),
      machineShutdownMs: ms(out.machineShutdownUs),
      staleCpu: out.staleCpu,
      purgatoryMs: ms(out.purgatoryUs),
      firmwarePostMs: ms(out.firmwarePostUs),
      kernelBootMs: ms(out.kernelBootUs)!,
      staleKexecParameters: out.staleKexecParameters,
      backupRegionKiB: out.backupRegionKiB,
      backupRegionLost: out.backupRegionLost,
    },
    initialStates,
    strategies,
  };
}

/** A failure every strategy shares (the job never reached device bring-up). */
function commonOutcome(strategy: CompiledStrategy, s: number, out: JobOutcome): StrategyTrace {
  return {
    strategy: strategy.name,
    outcome: FAILURE_REASONS[out.common]!,
    culprit: null,
    culpritDriver: null,
    commandLine: null,
    captureCpus: null,
    kernelBootMs: null,
    dumpMs: null,
    returnToService: null,
    downtimeMs: ms(out.downtimeUs[s]!)!,
    devices: [],
  };
}

/** Strategy `s`'s outcome, devices included. */
function strategyOutcome(
  p: CompiledProfile,
  m: CompiledExperiment,
  s: number,
  out: JobOutcome,
): StrategyTrace {
  const strategy = m.strategies[s]!;
  const loadedBase = out.loadedBase[s]!;
  const devices: DeviceTrace[] = [];
  for (let d = 0, at = s * MAX_DEVICES; d < p.deviceCount; d++) {
    const resets = out.deviceResets[at + d]!;
    devices.push({
      name: p.deviceNames[d]!,
      loaded: loadedBase < 0 || p.loaded[loadedBase + d] === 1,
      resets: STEP_NAMES.filter(([bit]) => (resets & bit) !== 0).map(([, n]) => n),
      stateAtProbe: DEVICE_STATES[out.deviceState[at + d]!]!,
      probed: out.deviceProbed[at + d] === 1,
      present: out.devicePresent[at + d] === 1,
      reinitMs: ms(out.deviceReinitUs[at + d]!)!,
    });
  }
  const reason = out.reason[s]!;
  const culprit = out.culprit[s]!;
  const named = reason >= 0 && reason !== Reason.DeviceMissing && culprit >= 0;
  const crash = out.kind === 'crash';
  return {
    strategy: strategy.name,
    outcome: reason < 0 ? (crash ? 'captured' : 'in-service') : FAILURE_REASONS[reason]!,
    culprit: named ? p.deviceNames[culprit]! : null,
    culpritDriver: named ? p.driverNames[culprit]! : null,
    commandLine: crash ? captureCommandLine(strategy) : null,
    captureCpus: crash ? out.captureCpus[s]! : null,
    kernelBootMs: ms(out.bootUs[s]!),
    dumpMs: ms(out.dumpUs[s]!),
    returnToService: RETURN_TO_SERVICE[out.returnToService[s]!]!,
    downtimeMs: ms(out.downtimeUs[s]!)!,
    devices,
  };
}

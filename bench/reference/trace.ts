/**
 * Traces of single jobs: what one crash or reboot of one server did, stage by
 * stage and strategy by strategy, for ops who fire one job and look, and for
 * exact-trace tests. Times in milliseconds (simulated), rounded to the µs.
 */
import {
  Step,
  type CompiledProfile,
  type CompiledStrategy,
} from '../../libs/kdump-core/src/compile';
import { DRIVER_RESET_BIT, type DeviceBringUp } from './device-bring-up';
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

/** Collects a trace while the engine simulates one job. */
export class JobTraceBuilder {
  private readonly trace: JobTrace;

  constructor(server: number, profile: string, kind: JobKind, event: number) {
    this.trace = {
      server,
      profile,
      kind,
      event,
      cause: null,
      bootPath: kind === 'crash' ? 'kdump' : 'kexec',
      stages: {
        detectionMs: null,
        crashKexecMs: null,
        machineShutdownMs: null,
        staleCpu: false,
        purgatoryMs: null,
        firmwarePostMs: 0,
        kernelBootMs: 0,
        staleKexecParameters: false,
        backupRegionKiB: 0,
        backupRegionLost: false,
      },
      initialStates: {},
      strategies: [],
    };
  }

  crashStages(
    cause: string,
    t: {
      detectionUs: number;
      crashKexecUs: number;
      machineShutdownUs: number;
      staleCpu: boolean;
      purgatoryUs: number;
      firmwarePostUs: number;
      kernelBootUs: number;
      staleKexecParameters: boolean;
      backupRegionKiB: number;
      backupRegionLost: boolean;
    },
  ): void {
    this.trace.cause = cause;
    this.trace.stages = {
      detectionMs: ms(t.detectionUs),
      crashKexecMs: ms(t.crashKexecUs),
      machineShutdownMs: ms(t.machineShutdownUs),
      staleCpu: t.staleCpu,
      purgatoryMs: ms(t.purgatoryUs),
      firmwarePostMs: ms(t.firmwarePostUs)!,
      kernelBootMs: ms(t.kernelBootUs)!,
      staleKexecParameters: t.staleKexecParameters,
      backupRegionKiB: t.backupRegionKiB,
      backupRegionLost: t.backupRegionLost,
    };
  }

  rebootStages(path: 'kexec' | 'firmware', postUs: number, bootUs: number): void {
    this.trace.bootPath = path;
    this.trace.stages.firmwarePostMs = ms(postUs);
    this.trace.stages.kernelBootMs = ms(bootUs)!;
  }

  initialStates(p: CompiledProfile, states: Int32Array): void {
    for (let d = 0; d < p.deviceCount; d++) {
      this.trace.initialStates[p.deviceNames[d]!] = DEVICE_STATES[states[d]!]!;
    }
  }

  /** A failure every strategy shares (the job never reached device bring-up). */
  commonOutcome(strategy: string, reason: number, downtimeUs: number): void {
    this.trace.strategies.push({
      strategy,
      outcome: FAILURE_REASONS[reason]!,
      culprit: null,
      culpritDriver: null,
      commandLine: null,
      captureCpus: null,
      kernelBootMs: null,
      dumpMs: null,
      returnToService: null,
      downtimeMs: ms(downtimeUs)!,
      devices: [],
    });
  }

  /**
   * One strategy's outcome, at its place in the spec's strategy order (the engine
   * brings strategies with identical bring-ups up together, out of that order).
   */
  strategyOutcome(
    p: CompiledProfile,
    index: number,
    strategy: CompiledStrategy,
    loadedBase: number,
    b: DeviceBringUp,
    reason: number,
    culprit: number,
    t: {
      kernelBootUs: number;
      dumpUs: number;
      downtimeUs: number;
      captureCpus: number;
      returnToService: StrategyTrace['returnToService'];
    },
  ): void {
    const devices: DeviceTrace[] = [];
    for (let d = 0; d < p.deviceCount; d++) {
      devices.push({
        name: p.deviceNames[d]!,
        loaded: loadedBase < 0 || p.loaded[loadedBase + d] === 1,
        resets: STEP_NAMES.filter(([bit]) => (b.resetsApplied[d]! & bit) !== 0).map(([, n]) => n),
        stateAtProbe: DEVICE_STATES[b.state[d]!]!,
        probed: b.probed[d] === 1,
        present: b.present[d] === 1,
        reinitMs: ms(b.reinitUs[d]!)!,
      });
    }
    const named = reason >= 0 && reason !== Reason.DeviceMissing && culprit >= 0;
    const crash = this.trace.kind === 'crash';
    this.trace.strategies[index] = {
      strategy: strategy.name,
      outcome:
        reason < 0
          ? this.trace.kind === 'crash'
            ? 'captured'
            : 'in-service'
          : FAILURE_REASONS[reason]!,
      culprit: named ? p.deviceNames[culprit]! : null,
      culpritDriver: named ? p.driverNames[culprit]! : null,
      commandLine: crash ? captureCommandLine(strategy) : null,
      captureCpus: crash ? t.captureCpus : null,
      kernelBootMs: ms(t.kernelBootUs),
      dumpMs: ms(t.dumpUs),
      returnToService: t.returnToService,
      downtimeMs: ms(t.downtimeUs)!,
      devices,
    };
  }

  result(): JobTrace {
    return this.trace;
  }
}

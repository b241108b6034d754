/**
 * The outcome of one job (one crash or one planned reboot of one server), as the
 * rooms fill it: the crash path (crash-path.ts), the capture kernel
 * (capture-kernel.ts) and the planned reboot (planned-reboot.ts). The engine
 * records it into the aggregate; a trace (trace.ts) reads it; a time-domain
 * simulation reads it through the per-strategy accessors.
 *
 * One instance is reused job after job: every array is allocated once, for the
 * experiment's strategies and at most {@link MAX_DEVICES} devices, and a job
 * overwrites every field it reports (the per-device detail only when
 * {@link JobOutcome.keepDevices} is set). Read it before the next job.
 * Times are integer µs; -1 means "never happened" (the stage was not reached,
 * the kernel never came up, nothing was dumped).
 */
import { MAX_DEVICES, type DeviceRecordTable } from './device-bring-up';
import type { BootPath, JobKind } from './outcome';

/** How a server went back to production after the capture kernel. */
export const enum ReturnToService {
  /** Not by the capture kernel's way: it died (or the job was a planned reboot). */
  None = 0,
  /** Through firmware: POST resets every device. */
  Firmware = 1,
  /** By kexec into the production kernel, which came up. */
  Kexec = 2,
  /** By kexec, whose kernel panicked on a device left dirty: then through firmware. */
  KexecThenFirmware = 3,
}

/** {@link ReturnToService} codes as the trace and reports spell them. */
export const RETURN_TO_SERVICE = [null, 'firmware', 'kexec', 'kexec-then-firmware'] as const;

/** Module-local copy: an imported constant is a property load on every use. */
const DEVICES = MAX_DEVICES;

/** The device times of a strategy that never probed a device. */
const NO_TIMES = new Float64Array(0);

/** One job's outcome, strategy by strategy. See the module comment. */
export class JobOutcome implements DeviceRecordTable {
  /** Server index in the fleet. */
  server = -1;
  /** Profile index in the compiled experiment. */
  profile = -1;
  kind: JobKind = 'crash';
  /** Event index of that server. */
  event = -1;
  /** Boot path of the next kernel: kdump after a crash, kexec or firmware for a reboot. */
  bootPath: BootPath = 'kdump';

  // The crash path (crash jobs; left at -1 / false by a planned reboot).
  /** Crash cause index (`CompiledExperiment.causeNames`), or -1 for a planned reboot. */
  cause = -1;
  /** From the fault to crash_kexec (or to the point where it was not called). */
  detectionUs = -1;
  crashKexecUs = -1;
  machineShutdownUs = -1;
  /** A CPU ignored the NMI shootdown. */
  staleCpu = false;
  purgatoryUs = -1;
  /** From the fault until the capture kernel starts (0 when it never does). */
  beforeCaptureUs = 0;
  /** A hotplug since kexec -p left the capture kernel's elfcorehdr stale. */
  staleKexecParameters = false;
  /** Low memory purgatory saved in the backup region (0: none reserved). */
  backupRegionKiB = 0;
  /** The backup region was lost: the dump is incomplete. */
  backupRegionLost = false;

  // The way back to production, drawn for every job.
  /** Firmware POST on a firmware boot, or -1 on a planned kexec reboot. */
  firmwarePostUs = -1;
  /** The production kernel's boot, devices excluded. */
  kernelBootUs = 0;
  /** Back to production through firmware: POST, kernel boot, every device's clean init. */
  firmwareReturnUs = 0;

  /**
   * A failure every strategy shares, the job never reaching device bring-up
   * (hang undetected, no capture kernel loaded, stale CPU, purgatory), or -1.
   */
  common = -1;
  /** Whether {@link initialStates} holds the states the previous kernel left. */
  hasInitialStates = false;
  /** Device states the previous kernel left: after the crash, or after kexec's shutdown methods. */
  readonly initialStates = new Int32Array(DEVICES);
  /** Size of the dump written, MiB (the same for every strategy that dumped). */
  dumpMiB = -1;

  // Per strategy, indexed by strategy.
  /** {@link Reason} code, or -1 for success (captured, or back in service). */
  readonly reason: Int32Array;
  /** Device whose driver ended the kernel, or the dump target that went missing, or -1. */
  readonly culprit: Int32Array;
  /** The (capture) kernel's boot including device bring-up, or -1 before bring-up. */
  readonly bootUs: Float64Array;
  /** 1 when the kernel came up (its boot time counts in the boot histogram). */
  readonly kernelUp: Uint8Array;
  /** Filtering and writing the dump, or -1 when nothing was dumped. */
  readonly dumpUs: Float64Array;
  /** From the fault (or the planned reboot) until back in service. */
  readonly downtimeUs: Float64Array;
  /** {@link ReturnToService} code. */
  readonly returnToService: Uint8Array;
  /** CPUs the capture kernel brought up (nr_cpus); 0 for a planned reboot or before bring-up. */
  readonly captureCpus: Int32Array;
  /**
   * The table holding the strategy's device reinitialisation times (its bring-up
   * class's leader's, in the bring-up), from offset {@link reinitAt}: read them with
   * {@link reinitMicros}. Valid until the next job.
   */
  readonly reinitFrom: Float64Array[];
  /** Offset of the strategy's device times in {@link reinitFrom}'s table. */
  readonly reinitAt: Int32Array;
  /** The loaded devices below this index were probed (0 when bring-up never ran). */
  readonly probedUntil: Int32Array;
  /** Offset of the strategy's row in the profile's `loaded`, or -1 when every driver loaded. */
  readonly loadedBase: Int32Array;

  // Per strategy and device, `[s * MAX_DEVICES + d]`, only with {@link keepDevices}.
  /** State as probe found it (after the resets and the driver's own reset). */
  readonly deviceState: Uint8Array;
  /** Resets it went through: bit `1 << Step.*`, and `DRIVER_RESET_BIT`. */
  readonly deviceResets: Uint8Array;
  /** 1 when its driver loaded and probe ran. */
  readonly deviceProbed: Uint8Array;
  /** 1 when it works after probe. */
  readonly devicePresent: Uint8Array;
  /** Its whole reinitialisation time: resets, bus reset share, driver reset, probe. */
  readonly deviceReinitUs: Float64Array;

  /**
   * @param strategies how many strategies the experiment has
   * @param keepDevices also fill the per-device detail of every strategy (a
   *   trace); the shard path leaves it off and pays nothing for it
   */
  constructor(
    readonly strategies: number,
    readonly keepDevices = false,
  ) {
    this.reason = new Int32Array(strategies);
    this.culprit = new Int32Array(strategies);
    this.bootUs = new Float64Array(strategies);
    this.kernelUp = new Uint8Array(strategies);
    this.dumpUs = new Float64Array(strategies);
    this.downtimeUs = new Float64Array(strategies);
    this.returnToService = new Uint8Array(strategies);
    this.captureCpus = new Int32Array(strategies);
    this.reinitFrom = new Array<Float64Array>(strategies).fill(NO_TIMES);
    this.reinitAt = new Int32Array(strategies);
    this.probedUntil = new Int32Array(strategies);
    this.loadedBase = new Int32Array(strategies);
    const detail = keepDevices ? strategies * DEVICES : 0;
    this.deviceState = new Uint8Array(detail);
    this.deviceResets = new Uint8Array(detail);
    this.deviceProbed = new Uint8Array(detail);
    this.devicePresent = new Uint8Array(detail);
    this.deviceReinitUs = new Float64Array(detail);
  }

  /** Starts a job: identity set, the crash path's stages back to "not reached". */
  begin(server: number, profile: number, kind: JobKind, event: number): void {
    this.server = server;
    this.profile = profile;
    this.kind = kind;
    this.event = event;
    this.bootPath = kind === 'crash' ? 'kdump' : 'kexec';
    this.cause = -1;
    this.detectionUs = -1;
    this.crashKexecUs = -1;
    this.machineShutdownUs = -1;
    this.staleCpu = false;
    this.purgatoryUs = -1;
    this.beforeCaptureUs = 0;
    this.staleKexecParameters = false;
    this.backupRegionKiB = 0;
    this.backupRegionLost = false;
    this.firmwarePostUs = -1;
    this.kernelBootUs = 0;
    this.firmwareReturnUs = 0;
    this.common = -1;
    this.hasInitialStates = false;
    this.dumpMiB = -1;
  }

  /**
   * Every strategy fails for the same `reason` before device bring-up, the server
   * down for `downtimeUs`.
   */
  failAll(reason: number, downtimeUs: number): void {
    this.common = reason;
    for (let s = 0; s < this.strategies; s++) {
      this.reason[s] = reason;
      this.culprit[s] = -1;
      this.bootUs[s] = -1;
      this.kernelUp[s] = 0;
      this.dumpUs[s] = -1;
      this.downtimeUs[s] = downtimeUs;
      this.returnToService[s] = ReturnToService.None;
      this.captureCpus[s] = 0;
      this.reinitFrom[s] = NO_TIMES;
      this.reinitAt[s] = 0;
      this.probedUntil[s] = 0;
      this.loadedBase[s] = -1;
    }
  }

  /**
   * Writes strategy `s`'s outcome: the rooms call it for every strategy of a
   * bring-up class, with the class's one bring-up (its device times at
   * `reinitTable[reinitOffset + d]`, the loaded devices below `probedUntil` probed).
   */
  setOutcome(
    s: number,
    reason: number,
    culprit: number,
    bootUs: number,
    up: boolean,
    dumpUs: number,
    downtimeUs: number,
    back: number,
    captureCpus: number,
    reinitTable: Float64Array,
    reinitOffset: number,
    probedUntil: number,
    loadedBase: number,
  ): void {
    this.reason[s] = reason;
    this.culprit[s] = culprit;
    this.bootUs[s] = bootUs;
    this.kernelUp[s] = up ? 1 : 0;
    this.dumpUs[s] = dumpUs;
    this.downtimeUs[s] = downtimeUs;
    this.returnToService[s] = back;
    this.captureCpus[s] = captureCpus;
    this.reinitFrom[s] = reinitTable;
    this.reinitAt[s] = reinitOffset;
    this.probedUntil[s] = probedUntil;
    this.loadedBase[s] = loadedBase;
  }

  /** Strategy `s`'s reinitialisation time of device `d`, µs: a device it probed (below {@link probedUntil}). */
  reinitMicros(s: number, d: number): number {
    return this.reinitFrom[s]![this.reinitAt[s]! + d]!;
  }

  /** Whether strategy `s` wrote a dump (complete, or incomplete for stale parameters or a lost backup region). */
  dumped(s: number): boolean {
    return this.dumpUs[s]! >= 0;
  }

  /** Strategy `s`'s {@link Reason} code, or -1 when it captured the dump (or came back in service). */
  reasonOf(s: number): number {
    return this.reason[s]!;
  }

  /** From the fault until strategy `s`'s capture kernel starts writing the dump, µs; -1 without a dump. */
  crashToDumpStartUs(s: number): number {
    return this.dumpUs[s]! >= 0 ? this.beforeCaptureUs + this.bootUs[s]! : -1;
  }

  /** Strategy `s`'s dump time (filtering and writing), µs; -1 without a dump. */
  dumpMicros(s: number): number {
    return this.dumpUs[s]!;
  }

  /** Size of strategy `s`'s dump, MiB; -1 without a dump. */
  dumpSizeMiB(s: number): number {
    return this.dumpUs[s]! >= 0 ? this.dumpMiB : -1;
  }

  /** From the fault (or the planned reboot) until strategy `s` has the server back in service, µs. */
  backInServiceUs(s: number): number {
    return this.downtimeUs[s]!;
  }
}

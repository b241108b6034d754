/**
 * The file contract between the kdump lab (`lab/`) and `fleetsim calibrate`: one
 * JSON observation per QEMU cycle (crash → capture kernel → makedumpfile), made
 * from the serial console log. Times are milliseconds; kernel times come from
 * the kernel's own printk timestamps, host times from when QEMU's serial line
 * reached the runner.
 */
import { z } from 'zod';

/** How a lab cycle ended. */
export const LabOutcomeSchema = z.enum([
  'captured',
  /** kexec -p could not load the capture kernel into the crashkernel= reservation. */
  'kexec-load-failed',
  /** The capture kernel ran out of its reservation (e.g. "System is deadlocked on memory"). */
  'capture-kernel-oom',
  /** The capture kernel panicked or oopsed for another reason. */
  'capture-kernel-panic',
  /** The NVMe dump disk never appeared in the capture kernel. */
  'dump-target-missing',
  /** makedumpfile or the write to the dump disk failed. */
  'dump-failed',
  /**
   * The crash never reached the capture kernel: a hang after the panic (purgatory
   * loops forever when a loaded segment changed) or QEMU gave up.
   */
  'capture-kernel-never-started',
  /** The cycle did not end before the runner's hard timeout. */
  'timeout',
]);
export type LabOutcome = z.infer<typeof LabOutcomeSchema>;

export const LabDriverObservationSchema = z.strictObject({
  driver: z.string(),
  /** probed: its PCI device probe returned 0; failed: non-zero; not-reached: the kernel died first. */
  outcome: z.enum(['probed', 'failed', 'not-reached']),
  /** `probe of <pci device> returned … after N usecs` (initcall_debug), in ms; null when not seen. */
  probeMs: z.number().nullable(),
  /** Loading the driver's modules (insmod of it and its dependencies), kernel time, ms. */
  loadMs: z.number().nullable(),
  /** MemAvailable just before its modules were loaded minus just after, KiB (null when not seen). */
  memoryKiB: z.number().nullable(),
});
export type LabDriverObservation = z.infer<typeof LabDriverObservationSchema>;

export const LabObservationSchema = z.strictObject({
  schema: z.literal('kdump-lab-observation/1'),
  id: z.string(),
  kernel: z.string(),
  accel: z.literal('tcg'),
  config: z.strictObject({
    crashkernelMiB: z.number(),
    resetDevices: z.boolean(),
    irqpoll: z.boolean(),
    devices: z.array(z.string()),
    busyAtCrash: z.boolean(),
    dumpLevel: z.number().int(),
    ramGiB: z.number(),
    /** An edu device DMAed into the loaded capture kernel before the crash. */
    strayDma: z.boolean().optional(),
  }),
  outcome: LabOutcomeSchema,
  /** The line that tells why the cycle failed; null when captured. */
  failure: z
    .strictObject({ reason: LabOutcomeSchema, line: z.string(), driver: z.string().nullable() })
    .nullable(),
  stages: z.strictObject({
    /** Host time from QEMU start to the crash (sysrq). */
    crashAtHostMs: z.number().nullable(),
    /** Host time from the crash to the capture kernel's first line (crash_kexec, purgatory). */
    crashToCaptureKernelMs: z.number().nullable(),
    /** Capture kernel boot until its init runs (kernel time), devices excluded. */
    captureKernelBootMs: z.number().nullable(),
    /** All drivers' loads (kernel time). */
    deviceInitMs: z.number().nullable(),
    /** makedumpfile start to end (kernel time). */
    dumpMs: z.number().nullable(),
    /** Host time from the crash to the end of the dump (or the failure). */
    crashToEndMs: z.number().nullable(),
  }),
  /** Memory the capture kernel saw (MemTotal, KiB). */
  captureMemTotalKiB: z.number().nullable(),
  drivers: z.array(LabDriverObservationSchema),
  dump: z
    .strictObject({
      level: z.number().int(),
      bytes: z.number().nullable(),
    })
    .nullable(),
  /** Kernel lines that speak of errors, timeouts, faults or warnings (first 40). */
  errors: z.array(z.string()),
  /** The serial log the observation was parsed from (relative to the repository). */
  serialLog: z.string(),
});
export type LabObservation = z.infer<typeof LabObservationSchema>;

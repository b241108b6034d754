/**
 * The experiment spec: its schema (zod, exported as JSON Schema for editors) and
 * the types of every catalogue entry. Units are in field names.
 */
import { z } from 'zod';
import { RolloutSchema } from './rollout-spec';

const probability = z.number().min(0).max(1);
const positive = z.number().positive();
const nonNegative = z.number().min(0);
const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.+-]*$/, 'names are lowercase letters, digits and _ . + -');

/**
 * The shortest time a shifted distribution can draw: what the mechanism always
 * takes (the 100 ms the PCIe spec requires after an FLR), below its variable part.
 */
const shiftMinMs = nonNegative
  .optional()
  .describe(
    'shortest possible time: draws are minMs plus a variable part, and the median, p95 or mean stated are of the whole time',
  );

/** A time distribution in milliseconds; every draw inverts one uniform. */
export const TimeDistributionSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('constant'), ms: nonNegative }),
    z.strictObject({ kind: z.literal('uniform'), minMs: nonNegative, maxMs: nonNegative }),
    z.strictObject({ kind: z.literal('exponential'), meanMs: positive, minMs: shiftMinMs }),
    z.strictObject({
      kind: z.literal('lognormal'),
      medianMs: positive,
      p95Ms: positive,
      minMs: shiftMinMs,
    }),
    z.strictObject({
      kind: z.literal('empirical'),
      valuesMs: z.array(nonNegative).min(1),
    }),
  ])
  .describe('A duration distribution in milliseconds.');

/** Where a default comes from: a citation of its primary source (kernel file and function, spec, distribution file, vendor document, thread), or "assumption: …". */
const source = z.string().min(1).describe('Where the figures come from, or "assumption: ..."');

/**
 * Where each field's figure comes from, by field name (or a dotted path into a
 * nested field): a citation (file and function, document and section), or
 * "assumption: …" where no public figure exists.
 */
const sources = z
  .record(z.string().min(1), z.string().min(1))
  .optional()
  .describe('per field: where its figure comes from, or "assumption: ..."');

/** Post-crash device states other than quiescent; quiescent takes the rest. */
export const DeviceStateOddsSchema = z
  .strictObject({
    inFlightDma: probability.describe('still doing DMA into the dead kernel'),
    pendingInterrupt: probability.describe('an interrupt raised in the old kernel is pending'),
    staleRing: probability.describe('queue/ring state from the old kernel context'),
    wedged: probability.describe('does not respond until reset'),
  })
  .refine((s) => s.inFlightDma + s.pendingInterrupt + s.staleRing + s.wedged <= 1 + 1e-9, {
    message: 'state probabilities add up to more than 1',
  });

/** What a driver does when probe finds its device in a state it did not expect. */
export const DriverReactionSchema = z
  .strictObject({
    cope: probability,
    failProbe: probability,
    oops: probability,
    panic: probability,
  })
  .refine((r) => Math.abs(r.cope + r.failProbe + r.oops + r.panic - 1) < 1e-9, {
    message: 'cope + failProbe + oops + panic must add up to 1',
  });

/**
 * What a reset does to each post-crash state: the odds that a device found in
 * that state is quiescent afterwards (otherwise it stays as it was). A broken
 * reset that takes its time and does nothing has every odds at 0.
 */
export const ResetEffectSchema = z
  .strictObject({
    inFlightDma: probability.describe('odds it stops DMA still running from the old kernel'),
    pendingInterrupt: probability.describe(
      'odds it clears an interrupt pending from the old kernel',
    ),
    staleRing: probability.describe("odds it clears queue/ring state of the old kernel's context"),
    wedged: probability.describe('odds it brings back a device that does not answer'),
  })
  .describe('per post-crash state: odds that the reset leaves the device quiescent');

/** A reset mechanism a device offers, with its duration and its effect on each state. */
export const ResetMethodSchema = z.strictObject({
  durationMs: TimeDistributionSchema,
  clears: ResetEffectSchema,
});

export const DriverMethodSchema = z.enum([
  'probe',
  'remove',
  'shutdown',
  'suspend',
  'resume',
  'save_state',
  'preinit',
]);

export const DriverSchema = z.strictObject({
  description: z.string().optional(),
  methods: z.array(DriverMethodSchema).describe('the driver method table'),
  honoursResetDevices: z
    .boolean()
    .describe('resets its device in init when the reset_devices parameter is given'),
  resetDevicesInitMs: TimeDistributionSchema.describe(
    "duration of the driver's own reset in init under reset_devices",
  ),
  resetDevicesClears: ResetEffectSchema.describe(
    "what the driver's own reset under reset_devices does to each state",
  ),
  kdumpAware: z
    .boolean()
    .describe('checks is_kdump_kernel() and uses minimal queues/rings in the capture kernel'),
  memoryMiB: nonNegative.describe('memory it needs in the capture kernel with default rings'),
  minimalMemoryMiB: nonNegative.describe(
    'memory with minimal rings (kdump-aware or reset_devices)',
  ),
  onUnexpectedState: DriverReactionSchema,
  hardenedReaction: DriverReactionSchema.describe('reaction once hardened'),
  hardeningInitMs: TimeDistributionSchema.describe('extra probe time of the hardened init code'),
  probeTimeoutMs: TimeDistributionSchema.describe('how long probe waits on a wedged device'),
  shutdownFailsToQuiesce: probability.describe(
    'kexec reboot: odds that its shutdown method leaves the device dirty',
  ),
  knownKdumpProblems: z.boolean().describe('on the built-in blacklist'),
  usbHostController: z
    .boolean()
    .optional()
    .describe('a USB host controller driver: not loaded under nousb (default false)'),
  source,
  sources,
});

export const DeviceModelSchema = z.strictObject({
  description: z.string().optional(),
  class: name.describe('device class used as a report key and metric label'),
  driver: name,
  initMs: TimeDistributionSchema.describe('probe and initialisation of a quiescent device'),
  postCrashState: DeviceStateOddsSchema,
  deviceSpecificReset: ResetMethodSchema.nullable(),
  flr: ResetMethodSchema.nullable().describe('PCIe function-level reset; null when absent'),
  pmReset: ResetMethodSchema.nullable().describe('D3hot to D0; null when No_Soft_Reset is set'),
  busResetClears: ResetEffectSchema.describe(
    'what a secondary bus reset of its bridge does to each state of this device',
  ),
  configRestoreClears: ResetEffectSchema.describe(
    'what preinit from the configuration saved in the first kernel does to each state',
  ),
  configRestoreMs: TimeDistributionSchema,
  behindIommu: z.boolean(),
  dmarFaultFatal: probability.describe(
    'odds that in-flight DMA left unstopped ends the capture kernel through DMAR faults / SERR',
  ),
  interruptStormHangs: probability
    .optional()
    .describe(
      'odds that an interrupt left pending (or screaming) by the old kernel hangs a capture kernel booted without irqpoll (default 0)',
    ),
  source,
  sources,
});

export const BusSchema = z.strictObject({
  name,
  secondaryBusReset: z
    .boolean()
    .describe('false on the root bus (integrated endpoints) and bridges flagged NO_BUS_RESET'),
  busResetMs: TimeDistributionSchema,
  devices: z.array(z.strictObject({ name, model: name })).min(1),
});

export const KdumpConfigSchema = z.strictObject({
  captureKernelLoaded: probability.describe('odds a capture kernel is loaded (kdump service up)'),
  crashKexecMs: TimeDistributionSchema,
  cpuStopMs: TimeDistributionSchema.describe('NMI shootdown when every CPU stops'),
  nmiShootdownLimitMs: positive.describe('how long machine_crash_shutdown waits for CPUs'),
  staleCpuBreaksCapture: probability,
  purgatoryDigestMiBPerSecond: positive,
  loadedSegmentsMiB: positive.describe('capture kernel + initramfs checked by purgatory'),
  purgatoryDigestMismatch: probability,
  captureKernelBaseMiB: nonNegative.describe('kernel + modules + initramfs + runtime'),
  captureKernelBootMs: TimeDistributionSchema.describe('capture kernel boot, devices excluded'),
  panicOnOops: z.boolean().describe('capture kernel panics on an oops'),
  panicRebootMs: nonNegative.describe('panic=N on the capture kernel command line'),
  hangWatchdogMs: positive.describe('until a hardware/BMC watchdog resets a hung machine'),
  rebootPath: z.enum(['firmware', 'kexec']).describe('back to production after the dump'),
  perCpuMiB: nonNegative
    .optional()
    .describe('capture kernel memory per CPU it brings up beyond the first (default 0)'),
  irqpollSlowdownPercent: nonNegative
    .max(1000)
    .optional()
    .describe('irqpoll: extra capture kernel boot and bring-up time, percent (default 0)'),
  staleKexecParameters: probability
    .optional()
    .describe(
      'odds that a memory or CPU hotplug since the capture kernel was loaded left its elfcorehdr stale (default 0)',
    ),
  backupRegionKiB: nonNegative
    .optional()
    .describe(
      'low memory purgatory copies to the backup region before the capture kernel reuses it (0: the low 1 MiB stays reserved, as on x86 today)',
    ),
  backupRegionLost: probability
    .optional()
    .describe(
      'odds that the backup region copy is missing or wrong: an incomplete dump (default 0)',
    ),
});

export const PercentDistributionSchema = z.strictObject({
  medianPercent: positive.max(100),
  p95Percent: positive.max(100),
});

export const ServerProfileSchema = z.strictObject({
  description: z.string().optional(),
  ramGiB: positive,
  crashkernelMiB: positive.describe('crashkernel= reservation'),
  buses: z.array(BusSchema).min(1),
  dumpTarget: name.describe('device the dump is written through (disk HBA, NVMe, or NIC)'),
  dumpMsPerGiB: TimeDistributionSchema.describe('write time per GiB through the dump target'),
  dumpPercentOfRam: PercentDistributionSchema.describe('dump size after makedumpfile filtering'),
  filterMsPerTiB: nonNegative.describe('makedumpfile filtering time per TiB of RAM'),
  firmwarePostMs: TimeDistributionSchema,
  kernelBootMs: TimeDistributionSchema.describe(
    'production kernel boot to service, device initialisation excluded (the model adds each device)',
  ),
  cpus: z
    .number()
    .int()
    .min(1)
    .max(8192)
    .optional()
    .describe('logical CPUs: the most a capture kernel without nr_cpus=1 brings up (default 1)'),
  kdump: KdumpConfigSchema,
  source,
  sources,
});

export const CrashCauseSchema = z.strictObject({
  description: z.string().optional(),
  detectionMs: TimeDistributionSchema.describe('from the fault to crash_kexec'),
  undetectedHang: probability.describe('odds nothing calls crash_kexec (hang until the watchdog)'),
  staleCpu: probability.describe('odds a CPU ignores the NMI shootdown'),
  extraWedged: probability.describe('added odds that each device is wedged'),
  source,
  sources,
});

export const ResetStepSchema = z.enum([
  'config-restore',
  'device-specific',
  'flr',
  'pm',
  'bus-reset',
  'device-reset',
]);

export const StrategyDefinitionSchema = z.strictObject({
  description: z.string().optional(),
  extends: name.optional().describe('a strategy whose settings this one starts from'),
  blacklist: z
    .union([z.literal('known-problems'), z.array(name)])
    .optional()
    .describe('drivers the capture kernel does not load'),
  whitelist: z
    .union([z.literal('dump-target'), z.array(name)])
    .optional()
    .describe('the only drivers the capture kernel loads'),
  resetDevices: z.boolean().optional().describe('reset_devices on the capture kernel command line'),
  hardening: z.boolean().optional().describe('drivers run their hardened init'),
  resets: z
    .array(ResetStepSchema)
    .optional()
    .describe('ordered fallbacks tried on every device before probe'),
  irqpoll: z
    .boolean()
    .optional()
    .describe('irqpoll on the capture kernel command line: every handler polled on each interrupt'),
  nousb: z
    .boolean()
    .optional()
    .describe('nousb on the capture kernel command line: USB host controllers stay unbound'),
  nrCpus: z
    .number()
    .int()
    .min(1)
    .max(8192)
    .optional()
    .describe(
      "nr_cpus=N on the capture kernel command line (default 1; capped at the profile's cpus)",
    ),
  source: z.string().min(1).optional().describe('where the strategy comes from'),
});

/**
 * A sweep: the same experiment at many values of one or more spec values, on
 * the same crashes (`fleetsim sweep`; `fleetsim run` runs the spec as written).
 */
export const SweepSchema = z
  .strictObject({
    mode: z
      .enum(['cartesian', 'zip'])
      .optional()
      .describe('cartesian: every combination (default); zip: the i-th value of each together'),
    parameters: z
      .array(
        z.strictObject({
          path: z
            .string()
            .min(1)
            .describe(
              'a spec value: catalogue.profiles.gpu-node.crashkernelMiB, events.crash.ratePerServerYear, ...',
            ),
          values: z
            .array(z.union([z.number(), z.string(), z.boolean()]))
            .min(1)
            .max(1000),
        }),
      )
      .min(1)
      .max(8),
    target: z
      .strictObject({
        captureRateAtLeast: probability.describe('the capture rate a point must reach'),
        minimise: z
          .string()
          .min(1)
          .optional()
          .describe('the parameter path to make smallest (default: the first parameter)'),
        bound: z
          .enum(['value', 'lower'])
          .optional()
          .describe('compare the observed rate (default) or its 95 % Wilson lower bound'),
      })
      .optional(),
  })
  .describe('run the experiment at every point of these values, on the same crashes');

const countOrRate = {
  perServer: z.number().int().min(0).max(1000).optional(),
  ratePerServerYear: nonNegative.max(1000).optional(),
  horizonDays: positive.max(36500).optional(),
};

/**
 * A shared dump target: the NFS export or SSH server `kdump.conf` names
 * (`nfs host:/export`, `ssh user@host`), which every client in its failure
 * domains dumps to. Each domain has its own server of this kind.
 */
export const DumpTargetSchema = z.strictObject({
  protocol: z.enum(['nfs', 'ssh']).describe('kdump.conf target: nfs or ssh'),
  sessions: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .describe('dumps the server takes at once (NFS/SSH sessions); the others wait'),
  sessionMiBps: positive.describe('bandwidth of one dump session, MiB/s'),
  linkMiBps: positive
    .optional()
    .describe(
      'the server link, shared by the sessions: each gets min(sessionMiBps, linkMiBps / sessions)',
    ),
  networkWaitMs: TimeDistributionSchema.optional().describe(
    'the capture kernel bringing its network up before the dump (link carrier, rd.net.timeout.carrier, DHCP); default none',
  ),
  waitLimitS: positive
    .optional()
    .describe(
      'a capture kernel that waits this long for a session gives up and the dump is lost; default: waits forever',
    ),
  failureAction: z
    .enum(['reboot', 'halt', 'poweroff'])
    .optional()
    .describe(
      'kdump.conf failure_action after a lost dump (default reboot): halt and poweroff stay down operatorMinutes',
    ),
  operatorMinutes: nonNegative
    .optional()
    .describe('how long a halted or powered-off server waits for an operator (default 60)'),
  transferMs: TimeDistributionSchema.optional().describe(
    'measured transfer times of this server, replacing dump size / session bandwidth',
  ),
  source: z.string().optional(),
});

/** Consecutive servers of the fleet that share a dump server (a rack, a cluster). */
export const FailureDomainSchema = z.strictObject({
  name,
  servers: z.number().int().min(1).max(100_000_000).describe('servers in one domain'),
  count: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .optional()
    .describe('this many consecutive domains of that size (default 1)'),
  dumpTarget: name.describe(
    'the dumpTargets entry each of these domains dumps to (one server each)',
  ),
});

/** A crash storm: a share of some domains crashes within a window. */
export const CrashStormSchema = z.strictObject({
  name,
  atHours: nonNegative
    .optional()
    .describe('when the storm starts, hours from the start of the horizon (or give ratePerYear)'),
  ratePerYear: positive
    .optional()
    .describe(
      'storms per domain-year instead of atHours: each domain it hits has its own Poisson stream of storms over the horizon',
    ),
  windowMinutes: positive.describe('the crashes spread uniformly over this window'),
  share: probability.describe("share of each domain's servers that crash"),
  domains: z
    .array(name)
    .min(1)
    .optional()
    .describe('domain names (every domain of an entry); default every domain'),
  causes: z
    .record(name, nonNegative)
    .describe(
      "relative weights of the storm's crash causes (a bad kernel: panic, oops; a power event: machine-check)",
    ),
  observeMinutes: positive
    .optional()
    .describe('how long after its start the storm is charted (default 60)'),
});

export const ExperimentSpecSchema = z.strictObject({
  name: name.describe('experiment name'),
  description: z.string().optional(),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  fleet: z
    .array(z.strictObject({ profile: name, count: z.number().int().min(1).max(100_000_000) }))
    .min(1),
  events: z.strictObject({
    crash: z
      .strictObject({
        ...countOrRate,
        assumedRatePerServerYear: positive
          .max(1000)
          .optional()
          .describe(
            'with perServer: the crashes per server-year your fleet sees, for the per-year figures (the simulated crashes then stand for servers × perServer ÷ this rate server-years)',
          ),
        causes: z.record(name, nonNegative).describe('relative weights of crash causes'),
      })
      .optional(),
    reboot: z
      .strictObject({
        ...countOrRate,
        path: z.enum(['kexec', 'firmware']),
      })
      .optional(),
  }),
  strategies: z
    .array(z.union([name, StrategyDefinitionSchema.extend({ name })]))
    .min(1)
    .max(32),
  baseline: name
    .optional()
    .describe(
      'the strategy every other is compared against in the verdict (default: the first strategy)',
    ),
  thresholds: z
    .array(z.string().min(1))
    .optional()
    .describe(
      'fail-if conditions, METRIC(STRATEGY[, PROFILE]) OP VALUE, e.g. "capture(whitelist) < 0.95": fleetsim run exits 3 when one holds',
    ),
  catalogue: z
    .strictObject({
      devices: z.record(name, DeviceModelSchema.partial().extend({ extends: name.optional() })),
      drivers: z.record(name, DriverSchema.partial().extend({ extends: name.optional() })),
      profiles: z.record(name, ServerProfileSchema.partial().extend({ extends: name.optional() })),
      crashCauses: z.record(name, CrashCauseSchema.partial().extend({ extends: name.optional() })),
    })
    .partial()
    .optional()
    .describe('overrides of and additions to the built-in catalogue; nested objects replace whole'),
  sweep: SweepSchema.optional(),
  rollout: RolloutSchema.optional(),
  dumpTargets: z
    .record(name, DumpTargetSchema)
    .optional()
    .describe('shared dump targets (NFS/SSH servers) by name, for failure domains'),
  domains: z
    .array(FailureDomainSchema)
    .min(1)
    .max(1000)
    .optional()
    .describe('failure domains: consecutive servers from the first, sharing one dump server each'),
  storms: z
    .array(CrashStormSchema)
    .min(1)
    .max(64)
    .optional()
    .describe('crash storms over failure domains (at most 64: each compiles its cause mix)'),
  run: z
    .strictObject({
      shardSize: z.number().int().min(1).optional().describe('servers per shard'),
    })
    .optional(),
});

export type TimeDistributionSpec = z.infer<typeof TimeDistributionSchema>;
export type DeviceStateOdds = z.infer<typeof DeviceStateOddsSchema>;
export type DriverReaction = z.infer<typeof DriverReactionSchema>;
export type ResetMethod = z.infer<typeof ResetMethodSchema>;
export type DriverMethod = z.infer<typeof DriverMethodSchema>;
export type Driver = z.infer<typeof DriverSchema>;
export type DeviceModel = z.infer<typeof DeviceModelSchema>;
export type Bus = z.infer<typeof BusSchema>;
export type KdumpConfig = z.infer<typeof KdumpConfigSchema>;
export type ServerProfile = z.infer<typeof ServerProfileSchema>;
export type CrashCause = z.infer<typeof CrashCauseSchema>;
export type ResetStep = z.infer<typeof ResetStepSchema>;
export type StrategyDefinition = z.infer<typeof StrategyDefinitionSchema>;
export type ExperimentSpec = z.infer<typeof ExperimentSpecSchema>;
export type SweepDefinition = z.infer<typeof SweepSchema>;
export type DumpTargetSpec = z.infer<typeof DumpTargetSchema>;
export type FailureDomainSpec = z.infer<typeof FailureDomainSchema>;
export type CrashStormSpec = z.infer<typeof CrashStormSchema>;

/** The spec's JSON Schema (draft 2020-12), for editors. */
export function specJsonSchema(): unknown {
  return z.toJSONSchema(ExperimentSpecSchema, { io: 'input', unrepresentable: 'any' });
}

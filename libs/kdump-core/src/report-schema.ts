/**
 * The report's documented schema. Everything in a report except `run` is a pure
 * function of the spec and its seed.
 */
import { z } from 'zod';
import { FAILURE_REASONS } from './outcome';
import { RolloutReportSchema } from './rollout-report';

const nullableNumber = z.number().nullable();

export const RateIntervalSchema = z
  .strictObject({
    value: nullableNumber.describe('the observed rate, 0..1 (null without jobs)'),
    lower: nullableNumber.describe('95 % Wilson interval, lower bound'),
    upper: nullableNumber.describe('95 % Wilson interval, upper bound'),
  })
  .describe('a rate with its 95 % Wilson score interval');

export const TimeSummarySchema = z
  .strictObject({
    count: z.number().int().min(0),
    meanSeconds: nullableNumber,
    p50Seconds: nullableNumber,
    p95Seconds: nullableNumber,
    p99Seconds: nullableNumber,
    cdfSeconds: z
      .array(z.number())
      .describe(
        "the distribution function: the nearest-rank quantile at each of the report's cdfLevels (level 0 the smallest value, 1 the largest), so (cdfSeconds[i], cdfLevels[i]) are points of the CDF; empty when count is 0",
      ),
  })
  .describe(
    'simulated seconds; quantiles from a log-scale histogram, within 1.6 % of the exact order statistic; mean exact to the microsecond',
  );

const failureReasons = z
  .partialRecord(z.enum(FAILURE_REASONS), z.number().int().min(1))
  .describe('jobs that failed, by reason (reasons with no job are left out)');

const failureCulprits = z
  .partialRecord(z.enum(FAILURE_REASONS), z.record(z.string(), z.number().int().min(1)))
  .describe(
    'failures of the reasons that name a device, by culprit `device (driver)`: the driver that ended the kernel, or the dump target that went missing',
  );

export const BasisFieldSchema = z.strictObject({
  path: z.string().describe('catalogue field, e.g. drivers.nvidia.memoryMiB'),
  value: z.string().describe('its value, as JSON'),
  basis: z
    .enum(['source', 'assumption', 'spec'])
    .describe(
      'source: a cited figure; assumption: its source says it is (in any part) an assumption; spec: a value the spec set',
    ),
  source: z.string(),
});

export const FailureBasisSchema = z
  .strictObject({
    kind: z.enum(['crash', 'reboot']),
    reason: z.enum(FAILURE_REASONS),
    meaning: z.string(),
    culprit: z.string().nullable(),
    jobs: z.number().int().min(1).describe('failures for this reason and culprit, all strategies'),
    fields: z.array(BasisFieldSchema),
  })
  .describe('the catalogue figures a failure rests on, each with where it comes from');

export const CrashStrategyResultSchema = z.strictObject({
  strategy: z.string(),
  jobs: z.number().int().min(0),
  captured: z.number().int().min(0),
  captureRate: RateIntervalSchema,
  failureReasons,
  failureCulprits,
  captureKernelBootSeconds: TimeSummarySchema.describe(
    'capture kernel boot incl. resets and device initialisation, when it came up',
  ),
  dumpSeconds: TimeSummarySchema,
  downtimeSeconds: TimeSummarySchema.describe('from the fault until back in service'),
  deviceReinitSeconds: z
    .record(z.string(), TimeSummarySchema)
    .describe('per device class: resets plus probe, for devices whose driver loaded'),
});

export const RebootStrategyResultSchema = z.strictObject({
  strategy: z.string(),
  jobs: z.number().int().min(0),
  inService: z.number().int().min(0).describe('jobs where every device came back'),
  inServiceRate: RateIntervalSchema,
  failureReasons,
  failureCulprits,
  kernelBootSeconds: TimeSummarySchema,
  downtimeSeconds: TimeSummarySchema,
  deviceReinitSeconds: z.record(z.string(), TimeSummarySchema),
});

export const PairSchema = z
  .strictObject({
    a: z.string(),
    b: z.string(),
    aOnly: z.number().int().min(0).describe('jobs where only a succeeded'),
    bOnly: z.number().int().min(0).describe('jobs where only b succeeded'),
    difference: nullableNumber.describe('rate(a) - rate(b) on the same jobs'),
    lower: nullableNumber.describe('95 % interval (Newcombe, paired)'),
    upper: nullableNumber,
  })
  .describe('paired comparison: both strategies met exactly the same jobs');

const DifferenceSchema = z
  .strictObject({
    difference: nullableNumber.describe('rate(strategy) - rate(baseline) on the same jobs'),
    lower: nullableNumber.describe('95 % interval (Newcombe, paired)'),
    upper: nullableNumber,
  })
  .describe('paired difference of two rates');

export const MeanDifferenceSchema = z
  .strictObject({
    pairs: z.number().int().min(0).describe('jobs where both strategies have the time'),
    meanSeconds: nullableNumber.describe('mean of time(strategy) - time(baseline) over those jobs'),
    lower: nullableNumber.describe('95 % interval (normal, from the exact paired sums)'),
    upper: nullableNumber,
  })
  .describe('paired difference of mean times, seconds: both strategies met the same jobs');

export const VerdictEntrySchema = z.strictObject({
  strategy: z.string(),
  rank: z.number().int().min(1).describe('position by rate, highest first (ties in spec order)'),
  rate: RateIntervalSchema.describe('capture rate (crashes) or in-service rate (reboots)'),
  best: z.boolean().describe('the highest rate'),
  tiedWithBest: z
    .boolean()
    .describe('the paired interval of best minus this strategy contains 0 (true for the best)'),
  baseline: z.boolean(),
  vsBaseline: z
    .strictObject({
      rate: DifferenceSchema,
      downtimeSeconds: MeanDifferenceSchema,
      kernelBootSeconds: MeanDifferenceSchema.describe(
        'capture kernel boot (crashes) or next kernel boot (reboots), over jobs where both booted',
      ),
    })
    .describe('what this strategy costs or buys against the baseline, on the same jobs'),
  failureShares: z
    .array(
      z.strictObject({
        reason: z.enum(FAILURE_REASONS),
        jobs: z.number().int().min(1),
        share: z.number().describe('of all jobs of this kind'),
      }),
    )
    .describe('failures by reason as shares of jobs, most frequent first'),
});

export const VerdictSchema = z
  .strictObject({
    baseline: z.string(),
    best: z.string(),
    tiedWithBest: z.array(z.string()).describe('strategies not distinguishable from the best'),
    ranking: z.array(VerdictEntrySchema),
    meanings: z
      .partialRecord(z.enum(FAILURE_REASONS), z.string())
      .describe('what each failure reason that occurred means'),
  })
  .describe('which strategy, and what it costs against the baseline');

export const ProfileStrategySchema = z.strictObject({
  strategy: z.string(),
  jobs: z.number().int().min(0),
  successes: z.number().int().min(0).describe('captured (crashes) or in service (reboots)'),
  rate: RateIntervalSchema,
  failureReasons,
  kernelBootSeconds: TimeSummarySchema,
  downtimeSeconds: TimeSummarySchema,
});

export const ProfileResultSchema = z
  .strictObject({
    profile: z.string(),
    jobs: z.number().int().min(0).describe('jobs of this kind on servers of this profile'),
    strategies: z.array(ProfileStrategySchema),
  })
  .describe('results of the servers of one profile; jobs over profiles sum to the fleet-wide');

const EstimateSchema = z
  .strictObject({ value: z.number(), lower: z.number(), upper: z.number() })
  .describe('an estimate with its 95 % interval');

export const PerYearStrategySchema = z.strictObject({
  strategy: z.string(),
  crashes: EstimateSchema.describe('crashes per 1,000 servers per year (Poisson interval)'),
  captured: EstimateSchema.describe('dumps captured per 1,000 servers per year (Poisson)'),
  lost: EstimateSchema.describe('crashes without a dump per 1,000 servers per year (Poisson)'),
  downtimeHours: EstimateSchema.describe(
    'crash downtime, hours per 1,000 servers per year (compound Poisson: z·√Σx², Σx² from the histogram)',
  ),
  availability: EstimateSchema.describe(
    "a server's availability counting crash downtime only, 0..1 (from downtimeHours)",
  ),
  nines: z
    .strictObject({ value: nullableNumber, lower: nullableNumber, upper: nullableNumber })
    .describe('-log10(1 - availability); null where no downtime at all'),
});

export const PerYearSchema = z
  .strictObject({
    ratePerServerYear: z.number().describe("the spec's crash rate, taken as exact"),
    from: z
      .enum(['rate', 'assumed-rate'])
      .describe(
        'rate: a rate spec (ratePerServerYear × horizonDays; crash counts are Poisson); assumed-rate: a perServer spec with events.crash.assumedRatePerServerYear (crashes are exactly rate × 1,000; captured and lost from the Wilson interval of the capture rate)',
      ),
    serverYears: z
      .number()
      .describe(
        'server-years the simulated crashes stand for: servers × horizonDays / 365 (rate), or servers × perServer / assumedRatePerServerYear',
      ),
    strategies: z.array(PerYearStrategySchema),
  })
  .describe(
    'what each strategy gives per 1,000 servers per year, from the simulated crashes of a rate spec; intervals cover simulation noise only',
  );

/** One strategy's results over every crash in a failure domain, with the shared dump targets. */
export const CouplingStrategySchema = z.strictObject({
  strategy: z.string(),
  crashes: z.number().int().describe('crashes of servers in failure domains, background and storm'),
  dumps: z
    .number()
    .int()
    .describe('capture kernels that reached the shared target with a dump to write'),
  captured: z
    .number()
    .int()
    .describe('dumps transferred of captures the independent model calls captured'),
  captureRate: RateIntervalSchema.describe('captured / crashes, with its Wilson interval'),
  lostToContention: z
    .number()
    .int()
    .describe(
      'dumps whose capture kernel gave up waiting for a session (waitLimitS), then failure_action',
    ),
  waited: z
    .number()
    .int()
    .describe('dumps that got a session after waiting for one (lost dumps not counted)'),
  waitSeconds: TimeSummarySchema.describe('wait for a session of every dump that got one'),
  downtimeSeconds: TimeSummarySchema.describe(
    'fault to back in service of every crash in a domain, with the wait and the transfer at the shared target',
  ),
  peakWaiting: z.number().int().describe('most dumps waiting at one dump server at once'),
});

/** A crash storm: its crashes per strategy and its course over simulated time. */
export const StormResultSchema = z.strictObject({
  name: z.string(),
  atHours: z.number().optional().describe('a storm at a fixed time: when it started'),
  ratePerYear: z
    .number()
    .optional()
    .describe('a storm at a rate: storms per domain-year (a Poisson stream in each domain)'),
  occurrences: z
    .number()
    .int()
    .optional()
    .describe('a storm at a rate: how many times it struck a domain over the horizon'),
  windowMinutes: z.number(),
  share: z.number(),
  domains: z.array(z.string()),
  binSeconds: z.number().describe('width of one point of the series'),
  strategies: z.array(
    z.strictObject({
      strategy: z.string(),
      crashes: z.number().int(),
      dumps: z.number().int(),
      captured: z.number().int(),
      lostToContention: z.number().int(),
      lastCaptureSeconds: nullableNumber.describe(
        "from the storm's start until its last dump was captured (a storm at a rate: the worst occurrence, each from its own start); null when none was",
      ),
      waitingSeries: z
        .array(z.number().int())
        .describe(
          "dumps waiting for a session at the storm's dump servers at the start of each bin",
        ),
      capturedSeries: z
        .array(z.number().int())
        .describe(
          'dumps captured since the storm started, at the end of each bin (every crash of its domains)',
        ),
    }),
  ),
});

/** Failure domains, crash storms and shared dump targets: only for a spec with domains. */
export const CouplingReportSchema = z
  .strictObject({
    serversInDomains: z.number().int(),
    domains: z.array(
      z.strictObject({
        name: z.string(),
        servers: z.number().int(),
        count: z.number().int(),
        dumpTarget: z.string(),
      }),
    ),
    dumpTargets: z.array(
      z.strictObject({
        name: z.string(),
        protocol: z.enum(['nfs', 'ssh']),
        sessions: z.number().int(),
        sessionMiBps: z
          .number()
          .describe('bandwidth each session gets (the link shared by the sessions)'),
        waitLimitSeconds: nullableNumber.describe('null: capture kernels wait forever'),
        failureAction: z.enum(['reboot', 'halt', 'poweroff']),
        transfer: z
          .enum(['size', 'measured'])
          .describe("size / bandwidth, or the spec's transferMs"),
      }),
    ),
    strategies: z.array(CouplingStrategySchema),
    storms: z.array(StormResultSchema),
  })
  .describe(
    "failure domains simulated in event-time order: crashes queue for their domain's shared dump target; the fleet-wide sections above keep the independent model",
  );

export const ReportSchema = z.strictObject({
  schemaVersion: z.literal(3),
  experiment: z.strictObject({
    name: z.string(),
    description: z.string().nullable(),
    seed: z.number().int(),
    servers: z.number().int(),
    fleet: z.array(z.strictObject({ profile: z.string(), count: z.number().int() })),
    strategies: z.array(z.string()),
    baseline: z.string().describe('the strategy the verdict compares against'),
    deviceClasses: z.array(z.string()),
  }),
  assumptions: z
    .array(z.string())
    .describe('defaults in use that are assumptions, not published figures'),
  basis: z
    .array(FailureBasisSchema)
    .describe('every failure that happened, by reason and culprit, most frequent first'),
  cdfLevels: z
    .array(z.number().min(0).max(1))
    .describe(
      'probability levels, increasing, of every cdfSeconds series (the same list in every report: every 5 % plus 0, 0.01, 0.99, 0.999 and 1)',
    ),
  crash: z
    .strictObject({
      jobs: z.number().int(),
      verdict: VerdictSchema,
      strategies: z.array(CrashStrategyResultSchema),
      byProfile: z.array(ProfileResultSchema),
      perYear: PerYearSchema.nullable().describe(
        'null when the spec gives crashes per server (perServer) without events.crash.assumedRatePerServerYear: per-year figures need a rate',
      ),
      pairs: z.array(PairSchema),
    })
    .nullable(),
  reboot: z
    .strictObject({
      path: z.enum(['kexec', 'firmware']),
      jobs: z.number().int(),
      verdict: VerdictSchema,
      strategies: z.array(RebootStrategyResultSchema),
      byProfile: z.array(ProfileResultSchema),
      pairs: z.array(PairSchema),
    })
    .nullable(),
  rollout: RolloutReportSchema.optional().describe(
    'only when the spec has a rollout: block: the planned reboots in waves',
  ),
  coupling: CouplingReportSchema.optional(),
  run: z
    .strictObject({
      wallSeconds: z.number(),
      threads: z.number().int(),
      shards: z.number().int(),
      shardSize: z.number().int(),
      host: z.string(),
      mode: z.enum(['embedded', 'distributed']),
      fleetsimVersion: z.string(),
    })
    .optional()
    .describe('how this run went: the only part that is not a function of spec and seed'),
});

export type RateIntervalJson = z.infer<typeof RateIntervalSchema>;
export type TimeSummaryJson = z.infer<typeof TimeSummarySchema>;
export type CrashStrategyResult = z.infer<typeof CrashStrategyResultSchema>;
export type RebootStrategyResult = z.infer<typeof RebootStrategyResultSchema>;
export type PairResult = z.infer<typeof PairSchema>;
export type MeanDifferenceJson = z.infer<typeof MeanDifferenceSchema>;
export type Verdict = z.infer<typeof VerdictSchema>;
export type VerdictEntry = z.infer<typeof VerdictEntrySchema>;
export type ProfileResult = z.infer<typeof ProfileResultSchema>;
export type PerYear = z.infer<typeof PerYearSchema>;
export type EstimateJson = z.infer<typeof EstimateSchema>;
export type FailureBasis = z.infer<typeof FailureBasisSchema>;
export type Report = z.infer<typeof ReportSchema>;
export type CouplingReport = z.infer<typeof CouplingReportSchema>;
export type RunInfo = NonNullable<Report['run']>;

/** The report's JSON Schema (draft 2020-12). */
export function reportJsonSchema(): unknown {
  return z.toJSONSchema(ReportSchema, { io: 'output' });
}

/**
 * Builds the report from a merged aggregate. A pure function of the aggregate
 * and the compiled experiment, so the same spec and seed give the same report
 * bytes however the fleet was sharded or where it ran.
 */
import { Counter, Hist, type Aggregate } from './aggregate';
import type { CompiledExperiment } from './compile';
import { summarise } from './histogram';
import { FAILURE_REASONS, type FailureReason } from './outcome';
import type {
  CrashStrategyResult,
  PairResult,
  RebootStrategyResult,
  Report,
  RunInfo,
} from './report-schema';
import { pairedDifference, wilson } from './statistics';

const CRASH = 0;
const REBOOT = 1;

/** Every built-in default that is not a published figure, said once. */
const ASSUMPTIONS = [
  'No fleet-wide kdump success rate is published: every failure odds in the catalogue (post-crash device states, driver reactions, reset recovery, DMAR fatality, stale CPUs, purgatory mismatch, capture kernel loaded) is an assumption; override them under catalogue in the spec.',
  'Dump throughput, capture kernel base boot time and driver memory needs are assumptions within the ranges of DOMAIN.md.',
];

/** Builds the report; `run` is attached only when given. */
export function buildReport(model: CompiledExperiment, agg: Aggregate, run?: RunInfo): Report {
  const { spec } = model.resolved;
  const report: Report = {
    schemaVersion: 1,
    experiment: {
      name: spec.name,
      description: spec.description ?? null,
      seed: spec.seed,
      servers: model.servers,
      fleet: spec.fleet.map((f) => ({ profile: f.profile, count: f.count })),
      strategies: model.strategies.map((s) => s.name),
      deviceClasses: [...model.deviceClasses],
    },
    assumptions: [...ASSUMPTIONS],
    crash: model.crashes
      ? {
          jobs: jobs(agg, CRASH),
          strategies: model.strategies.map((_, s) => crashResult(model, agg, s)),
          pairs: pairs(model, agg, CRASH),
        }
      : null,
    reboot: model.reboots
      ? {
          path: model.reboots.viaKexec ? 'kexec' : 'firmware',
          jobs: jobs(agg, REBOOT),
          strategies: model.strategies.map((_, s) => rebootResult(model, agg, s)),
          pairs: pairs(model, agg, REBOOT),
        }
      : null,
  };
  if (run) {
    report.run = run;
  }
  return report;
}

function counter(agg: Aggregate, s: number, kind: number, c: number): number {
  return agg.slots[agg.layout.counter(s, kind, c)]!;
}

function jobs(agg: Aggregate, kind: number): number {
  return agg.layout.strategies.length > 0 ? counter(agg, 0, kind, Counter.Jobs) : 0;
}

function reasons(agg: Aggregate, s: number, kind: number): Partial<Record<FailureReason, number>> {
  const out: Partial<Record<FailureReason, number>> = {};
  FAILURE_REASONS.forEach((r, i) => {
    const v = counter(agg, s, kind, Counter.Reasons + i);
    if (v > 0) {
      out[r] = v;
    }
  });
  return out;
}

function deviceTimes(model: CompiledExperiment, agg: Aggregate, s: number, kind: number) {
  const out: Record<string, ReturnType<typeof summarise>> = {};
  model.deviceClasses.forEach((c, i) => {
    out[c] = summarise(agg.slots, agg.layout.histogram(s, kind, Hist.DeviceReinit + i));
  });
  return out;
}

function crashResult(model: CompiledExperiment, agg: Aggregate, s: number): CrashStrategyResult {
  const n = counter(agg, s, CRASH, Counter.Jobs);
  const ok = counter(agg, s, CRASH, Counter.Successes);
  const h = (hist: number) => summarise(agg.slots, agg.layout.histogram(s, CRASH, hist));
  return {
    strategy: model.strategies[s]!.name,
    jobs: n,
    captured: ok,
    captureRate: wilson(ok, n),
    failureReasons: reasons(agg, s, CRASH),
    captureKernelBootSeconds: h(Hist.KernelBoot),
    dumpSeconds: h(Hist.Dump),
    downtimeSeconds: h(Hist.Downtime),
    deviceReinitSeconds: deviceTimes(model, agg, s, CRASH),
  };
}

function rebootResult(model: CompiledExperiment, agg: Aggregate, s: number): RebootStrategyResult {
  const n = counter(agg, s, REBOOT, Counter.Jobs);
  const ok = counter(agg, s, REBOOT, Counter.Successes);
  const h = (hist: number) => summarise(agg.slots, agg.layout.histogram(s, REBOOT, hist));
  return {
    strategy: model.strategies[s]!.name,
    jobs: n,
    inService: ok,
    inServiceRate: wilson(ok, n),
    failureReasons: reasons(agg, s, REBOOT),
    kernelBootSeconds: h(Hist.KernelBoot),
    downtimeSeconds: h(Hist.Downtime),
    deviceReinitSeconds: deviceTimes(model, agg, s, REBOOT),
  };
}

function pairs(model: CompiledExperiment, agg: Aggregate, kind: number): PairResult[] {
  const out: PairResult[] = [];
  const S = model.strategies.length;
  for (let a = 0; a < S; a++) {
    for (let b = a + 1; b < S; b++) {
      const n = counter(agg, a, kind, Counter.Jobs);
      const aOnly = agg.slots[agg.layout.pair(kind, a, b)]!;
      const bOnly = agg.slots[agg.layout.pair(kind, b, a)]!;
      const d = pairedDifference(
        n,
        counter(agg, a, kind, Counter.Successes),
        counter(agg, b, kind, Counter.Successes),
        aOnly,
        bOnly,
      );
      out.push({
        a: model.strategies[a]!.name,
        b: model.strategies[b]!.name,
        aOnly,
        bOnly,
        difference: d.difference,
        lower: d.lower,
        upper: d.upper,
      });
    }
  }
  return out;
}

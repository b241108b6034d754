/**
 * "How much crashkernel?": per profile and strategy, the smallest `crashkernel=`
 * reservation whose capture-kernel OOM rate is below a target with 95 %
 * confidence (the Wilson upper bound below the target), found by bisection
 * with a real run of the profile's servers per candidate, so the answer stays
 * right if memory needs gain randomness. Beside it: what a `kdumpctl
 * estimate`-style sum gives (captureKernelBaseMiB: kernel + modules +
 * initramfs + runtime), and the loaded drivers' memory that sum leaves out.
 */
import {
  runStepsHere,
  type DecisionSteps,
  type PointRequest,
  type PointValue,
} from './decision-runs';
import type { Report } from './report-schema';
import { accepted, refused, type Refusable } from './refusal';
import type { ResolvedSpec } from './spec';
import { wilson, Z_95 } from './statistics';

/** The search's answer for one profile and strategy. */
export interface CrashkernelStrategyAnswer {
  strategy: string;
  /** Smallest reservation (MiB, a multiple of the step) that meets the target; null when none does. */
  crashkernelMiB: number | null;
  /** Why there is no answer, when there is none. */
  note: string | null;
  /** At the answer: OOM failures, crash jobs, and the 95 % Wilson upper bound of the OOM rate. */
  oom: number;
  jobs: number;
  oomUpper: number | null;
  /** One step below the answer (the last failing candidate): its OOM failures, or null. */
  oomBelow: number | null;
  /** Capture kernel memory by the catalogue's arithmetic (what the model's OOM check adds up). */
  modelMemoryMiB: number;
  /** Memory of the drivers this strategy loads, by driver (summed over devices). */
  driversMiB: Record<string, number>;
  /** Per-CPU areas beyond the first CPU (perCpuMiB × (CPUs brought up − 1)). */
  perCpuMiB: number;
  /**
   * Reservations this search looked at (each a whole experiment of the
   * profile's servers; one run serves every strategy, so searches share runs).
   */
  runs: number;
}

export interface CrashkernelProfileAnswer {
  profile: string;
  ramGiB: number;
  /** The reservation the spec gives the profile now. */
  specCrashkernelMiB: number;
  /** The kdumpctl-style sum: kernel + modules + initramfs + runtime (kdump.captureKernelBaseMiB). */
  kdumpctlMiB: number;
  /** Servers simulated for the profile (raised so the target can be shown at 95 %). */
  servers: number;
  strategies: CrashkernelStrategyAnswer[];
}

/** The `fleetsim crashkernel` document. */
export interface CrashkernelReport {
  kind: 'fleetsim-crashkernel';
  schemaVersion: 1;
  experiment: { name: string; seed: number };
  targetOom: number;
  stepMiB: number;
  /** Least crash jobs per profile for zero OOMs to show the target at 95 %. */
  jobsNeeded: number;
  profiles: CrashkernelProfileAnswer[];
  /** Per strategy: one `crashkernel=` value for the whole fleet (range syntax by RAM). */
  commandLines: { strategy: string; crashkernel: string | null }[];
}

export interface CrashkernelOptions {
  /** OOM rate the reservation must stay below with 95 % confidence (default 0.001). */
  targetOom?: number;
  /** Granularity of the answer in MiB (default 1). */
  stepMiB?: number;
}

/** Crash jobs needed for zero failures to put the 95 % Wilson upper bound below `target`. */
export function jobsNeededFor(target: number): number {
  // Wilson upper bound with 0 failures in n jobs is z² / (n + z²).
  const z2 = Z_95 * Z_95;
  return Math.floor((z2 * (1 - target)) / target) + 1;
}

/** Crashes per server the spec expects (perServer, or rate × horizon). */
function crashesPerServer(resolved: ResolvedSpec): number {
  const c = resolved.spec.events.crash;
  if (!c) {
    return 0;
  }
  return c.perServer ?? ((c.ratePerServerYear ?? 0) * (c.horizonDays ?? 0)) / 365;
}

/**
 * The model's capture kernel memory for a profile and strategy, by the same
 * arithmetic as compile.ts: base + per-CPU areas + every loaded driver (minimal
 * rings when kdump-aware, or under reset_devices when honoured).
 */
export function captureKernelMemory(
  resolved: ResolvedSpec,
  profileName: string,
  strategyName: string,
): { totalMiB: number; driversMiB: Record<string, number>; perCpuMiB: number } {
  const p = resolved.profiles[profileName]!;
  const s = resolved.strategies.find((x) => x.name === strategyName)!;
  const devices = p.buses.flatMap((b) => b.devices);
  const dumpDriver = resolved.devices[devices.find((d) => d.name === p.dumpTarget)!.model]!.driver;
  const driversMiB: Record<string, number> = {};
  let total = 0;
  for (const d of devices) {
    const name = resolved.devices[d.model]!.driver;
    const drv = resolved.drivers[name]!;
    let load = !(s.nousb && drv.usbHostController === true);
    if (!load) {
      // nousb: host controllers stay unbound.
    } else if (s.blacklist === 'known-problems') {
      load = !drv.knownKdumpProblems;
    } else if (Array.isArray(s.blacklist)) {
      load = !s.blacklist.includes(name);
    } else if (s.whitelist === 'dump-target') {
      load = name === dumpDriver;
    } else if (Array.isArray(s.whitelist)) {
      load = s.whitelist.includes(name);
    }
    if (!load) {
      continue;
    }
    const minimal = drv.kdumpAware || (s.resetDevices && drv.honoursResetDevices);
    const mib = minimal ? drv.minimalMemoryMiB : drv.memoryMiB;
    driversMiB[name] = (driversMiB[name] ?? 0) + mib;
    total += mib;
  }
  const cpus = Math.min(s.nrCpus, p.cpus ?? 1);
  const perCpuMiB = (p.kdump.perCpuMiB ?? 0) * (cpus - 1);
  return { totalMiB: p.kdump.captureKernelBaseMiB + perCpuMiB + total, driversMiB, perCpuMiB };
}

/** One profile's servers at one reservation, as a point of the search. */
function crashkernelPoint(profile: string, servers: number, mib: number): PointRequest {
  const values: PointValue[] = [
    { path: 'fleet', value: [{ profile, count: servers }] },
    { path: `catalogue.profiles.${profile}.crashkernelMiB`, value: mib },
  ];
  return { label: `${profile} crashkernel=${mib}M`, values };
}

type RunResult = Map<string, { oom: number; jobs: number }>;

/**
 * The search for one profile and strategy: yields the reservation whose run it
 * needs next, gets back that run's OOM failures and jobs for the strategy.
 */
function* searchOne(
  ramMiB: number,
  start: number,
  stepMiB: number,
  passes: (r: { oom: number; jobs: number }) => boolean,
): Generator<
  number,
  { answer: number | null; looked: Set<number> },
  { oom: number; jobs: number }
> {
  const looked = new Set<number>();
  const at = function* (mib: number) {
    looked.add(mib);
    return passes(yield mib);
  };
  // Grow from the spec's reservation until a candidate passes; then bisect.
  let lo = 0; // a candidate known to fail (0: nothing reserved)
  let hi = start;
  let answer: number | null = null;
  while (hi <= ramMiB) {
    if (yield* at(hi)) {
      answer = hi;
      break;
    }
    lo = hi;
    hi = hi * 2;
  }
  if (answer === null && lo < ramMiB && (yield* at(ramMiB))) {
    answer = ramMiB;
  }
  if (answer !== null) {
    hi = answer;
    while (hi - lo > stepMiB) {
      const mid = Math.floor((lo + hi) / 2 / stepMiB) * stepMiB;
      if (mid <= lo || mid >= hi) {
        break;
      }
      if (yield* at(mid)) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    answer = hi;
  }
  return { answer, looked };
}

/**
 * The options of a sizing, with their defaults, or the refusal of one out of
 * range (`invalid-option`) or of a spec without crashes (`no-crash-events`).
 */
export function checkCrashkernelOptions(
  resolved: ResolvedSpec,
  options: CrashkernelOptions = {},
): Refusable<{ targetOom: number; stepMiB: number }> {
  const targetOom = options.targetOom ?? 0.001;
  const stepMiB = options.stepMiB ?? 1;
  if (!(targetOom > 0 && targetOom < 1)) {
    return refused({
      code: 'invalid-option',
      message: `target OOM rate must be between 0 and 1 (exclusive), got ${targetOom}`,
      path: 'targetOom',
    });
  }
  if (!(Number.isInteger(stepMiB) && stepMiB >= 1)) {
    return refused({
      code: 'invalid-option',
      message: `step must be a whole number of MiB >= 1, got ${stepMiB}`,
      path: 'stepMiB',
    });
  }
  if (!resolved.spec.events.crash) {
    return refused({
      code: 'no-crash-events',
      message: 'the spec has no crash events: nothing runs the capture kernel',
      path: 'events.crash',
    });
  }
  return accepted({ targetOom, stepMiB });
}

/**
 * Finds the smallest reservation per profile and strategy by bisection over
 * multiples of `stepMiB`, one real run of the profile's servers per candidate
 * (a run serves every strategy at once; runs are cached). Every search of
 * every profile moves in lockstep: each batch holds the candidates all
 * searches need next (see decision-runs.ts). Assumes, as the model has it,
 * that a larger reservation never adds OOMs.
 * @throws RangeError for options {@link checkCrashkernelOptions} refuses
 */
export function* crashkernelSteps(
  resolved: ResolvedSpec,
  options: CrashkernelOptions = {},
): DecisionSteps<CrashkernelReport> {
  const checked = checkCrashkernelOptions(resolved, options);
  if (!checked.ok) {
    throw new RangeError(checked.refusal.message);
  }
  const { targetOom, stepMiB } = checked.value;
  const needed = jobsNeededFor(targetOom);
  const perServer = crashesPerServer(resolved);
  const profileNames = [...new Set(resolved.spec.fleet.map((f) => f.profile))];
  const passes = (r: { oom: number; jobs: number }) =>
    r.jobs > 0 && wilson(r.oom, r.jobs).upper! < targetOom;
  const setups = profileNames.map((profile) => {
    const p = resolved.profiles[profile]!;
    const specCount = resolved.spec.fleet
      .filter((f) => f.profile === profile)
      .reduce((t, f) => t + f.count, 0);
    // Enough servers that a clean run can show the target (with a little margin
    // for rate-based crash counts, which vary).
    const servers = Math.max(
      specCount,
      perServer > 0 ? Math.ceil((needed * 1.1) / perServer) : specCount,
    );
    const ramMiB = Math.floor((p.ramGiB * 1024) / stepMiB) * stepMiB;
    const start = Math.max(stepMiB, Math.ceil(p.crashkernelMiB / stepMiB) * stepMiB);
    return { profile, p, servers, ramMiB, start, cache: new Map<number, RunResult>() };
  });
  // Runs of a batch of (profile, reservation) pairs not run yet.
  function* runAll(wanted: readonly { setup: (typeof setups)[number]; mib: number }[]) {
    const fresh = wanted.filter(
      (w, i) =>
        !w.setup.cache.has(w.mib) &&
        wanted.findIndex((x) => x.setup === w.setup && x.mib === w.mib) === i,
    );
    if (fresh.length === 0) {
      return;
    }
    const reports: readonly Report[] = yield fresh.map((w) =>
      crashkernelPoint(w.setup.profile, w.setup.servers, w.mib),
    );
    fresh.forEach((w, i) => {
      w.setup.cache.set(
        w.mib,
        new Map(
          reports[i]!.crash!.strategies.map((s) => [
            s.strategy,
            { oom: s.failureReasons['capture-kernel-oom'] ?? 0, jobs: s.jobs },
          ]),
        ),
      );
    });
  }
  const searches = setups.flatMap((setup) =>
    resolved.strategies.map(({ name }) => {
      const gen = searchOne(setup.ramMiB, setup.start, stepMiB, passes);
      return { setup, name, gen, next: gen.next() };
    }),
  );
  for (;;) {
    const waiting = searches.filter((s) => !s.next.done);
    if (waiting.length === 0) {
      break;
    }
    yield* runAll(waiting.map((s) => ({ setup: s.setup, mib: s.next.value as number })));
    for (const s of waiting) {
      s.next = s.gen.next(s.setup.cache.get(s.next.value as number)!.get(s.name)!);
    }
  }
  // The runs the answers are read from: at, one step below, and all RAM for no answer.
  yield* runAll(
    searches.flatMap((s) => {
      const { answer } = s.next.value as { answer: number | null };
      if (answer === null) {
        return [{ setup: s.setup, mib: s.setup.ramMiB }];
      }
      return answer - stepMiB > 0
        ? [
            { setup: s.setup, mib: answer },
            { setup: s.setup, mib: answer - stepMiB },
          ]
        : [{ setup: s.setup, mib: answer }];
    }),
  );
  const profiles = setups.map((setup) => {
    const { profile, p, cache } = setup;
    const strategies = searches
      .filter((s) => s.setup === setup)
      .map((s): CrashkernelStrategyAnswer => {
        const name = s.name;
        const { answer, looked } = s.next.value as { answer: number | null; looked: Set<number> };
        const memory = captureKernelMemory(resolved, profile, name);
        const at = answer !== null ? cache.get(answer)!.get(name)! : null;
        const below =
          answer !== null && answer - stepMiB > 0 ? cache.get(answer - stepMiB)!.get(name)! : null;
        let note: string | null = null;
        if (answer === null) {
          const top = cache.get(setup.ramMiB)!.get(name)!;
          note =
            top.oom > 0
              ? `OOM even with all ${p.ramGiB} GiB reserved`
              : `${top.jobs} crash jobs cannot show an OOM rate below ${targetOom} at 95 % (need ${needed})`;
        }
        return {
          strategy: name,
          crashkernelMiB: answer,
          note,
          oom: at?.oom ?? 0,
          jobs: at?.jobs ?? 0,
          oomUpper: at && at.jobs > 0 ? wilson(at.oom, at.jobs).upper : null,
          oomBelow: below?.oom ?? null,
          modelMemoryMiB: memory.totalMiB,
          driversMiB: memory.driversMiB,
          perCpuMiB: memory.perCpuMiB,
          runs: looked.size,
        };
      });
    return {
      profile,
      ramGiB: p.ramGiB,
      specCrashkernelMiB: p.crashkernelMiB,
      kdumpctlMiB: p.kdump.captureKernelBaseMiB,
      servers: setup.servers,
      strategies,
    };
  });
  return {
    kind: 'fleetsim-crashkernel',
    schemaVersion: 1,
    experiment: { name: resolved.spec.name, seed: resolved.spec.seed },
    targetOom,
    stepMiB,
    jobsNeeded: needed,
    profiles,
    commandLines: resolved.strategies.map(({ name }) => ({
      strategy: name,
      crashkernel: crashkernelParameter(
        profiles.map((p) => ({
          ramGiB: p.ramGiB,
          mib: p.strategies.find((s) => s.strategy === name)!.crashkernelMiB,
        })),
      ),
    })),
  };
}

/**
 * Finds the smallest reservation per profile and strategy in this thread.
 * @param onRun called after each run with the point's label
 */
export function sizeCrashkernel(
  resolved: ResolvedSpec,
  options: CrashkernelOptions & { onRun?: (label: string, done: number) => void } = {},
): CrashkernelReport {
  return runStepsHere(resolved, crashkernelSteps(resolved, options), (request, done) =>
    options.onRun?.(request.label, done),
  );
}

function size(mib: number): string {
  return mib % 1024 === 0 ? `${mib / 1024}G` : `${mib}M`;
}

/**
 * One `crashkernel=` value for profiles of different RAM: a plain size when all
 * agree, else range syntax (`crashkernel=1G-64G:256M,64G-:512M`). A boundary
 * between two RAM sizes sits half-way (whole GiB), as the kernel compares the
 * RAM it sees, a little below the nominal size. Profiles of the same RAM take
 * the larger answer. Null when a profile has no answer.
 */
export function crashkernelParameter(
  profiles: readonly { ramGiB: number; mib: number | null }[],
): string | null {
  if (profiles.length === 0 || profiles.some((p) => p.mib === null)) {
    return null;
  }
  const byRam = new Map<number, number>();
  for (const p of profiles) {
    byRam.set(p.ramGiB, Math.max(byRam.get(p.ramGiB) ?? 0, p.mib!));
  }
  const rams = [...byRam.keys()].sort((a, b) => a - b);
  const sizes = rams.map((r) => byRam.get(r)!);
  if (sizes.every((s) => s === sizes[0])) {
    return `crashkernel=${size(sizes[0]!)}`;
  }
  const ranges: { start: number; end: number | null; mib: number }[] = [];
  let start = rams[0]! > 1 ? 1 : 0;
  rams.forEach((ram, i) => {
    const next = rams[i + 1];
    const end = next === undefined ? null : Math.max(start + 1, Math.floor((ram + next) / 2));
    const last = ranges[ranges.length - 1];
    if (last && last.mib === sizes[i]) {
      last.end = end;
    } else {
      ranges.push({ start, end, mib: sizes[i]! });
    }
    start = end ?? start;
  });
  return `crashkernel=${ranges
    .map((r) => `${r.start}G-${r.end === null ? '' : `${r.end}G`}:${size(r.mib)}`)
    .join(',')}`;
}

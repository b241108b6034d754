/**
 * Failure domains in simulated time: the servers of a domain (a rack, a
 * cluster, one dump server's clients) crash at their own times (background
 * crashes uniform over the horizon; crash storms within their window), each
 * crash goes down the kdump path as the independent model has it
 * (domain-crash-outcome.ts), and every capture kernel that has a dump to write
 * queues for the domain's shared dump target (dump-server.ts). The wait adds
 * to the downtime; a capture kernel that waits past the target's limit gives
 * up and the dump is lost (kdump's `failure_action`).
 *
 * Draws stay keyed by (seed, server, event, purpose): a server's luck never
 * depends on its neighbours; only the queue couples them. A domain is run by
 * one shard (the plan never cuts one), in event-time order, so the results are
 * the same bytes at any thread or worker count.
 *
 * The dump at a shared target: its size is the profile's RAM × its dump
 * percent after makedumpfile filtering (the same draw the local dump model
 * uses), and it holds one session for size / session bandwidth (the network is
 * the bottleneck; makedumpfile filters while it streams). That transfer
 * replaces the local dump time. A target's `transferMs` replaces the size
 * model with measured times. Every strategy meets the same crashes, network
 * waits and transfers (common random numbers) and has its own queue: its
 * capture kernels come up at their own times.
 */
import type { Aggregate } from './aggregate';
import type { CompiledExperiment } from './compile';
import {
  CouplingCounter,
  CouplingHist,
  CouplingLayout,
  emptyCouplingAggregate,
  SERIES_BINS,
  StormCounter,
  type CouplingAggregate,
} from './coupling-aggregate';
import { compileDistribution, sampleMicros, type CompiledDistribution } from './distribution';
import {
  CrashOutcomeSource,
  emptyCrashOutcomes,
  STORM_EVENT_BASE,
  type CrashOutcomes,
} from './domain-crash-outcome';
import { domainServers, domainsStartingIn, type DomainInstance } from './domain-layout';
import { DumpServer } from './dump-server';
import type { FleetEngine, ShardTask } from './engine';
import { recordMicros } from './histogram';
import { FAILURE_REASONS, type FailureReason } from './outcome';
import { KeyedStream, StreamPurpose } from './prng';

/** A shared dump target, compiled. */
export interface CompiledDumpTarget {
  name: string;
  protocol: 'nfs' | 'ssh';
  sessions: number;
  /** Bandwidth one session gets: min(sessionMiBps, linkMiBps / sessions). */
  sessionMiBps: number;
  networkWait: CompiledDistribution | null;
  /** Infinity: waits forever. */
  waitLimitUs: number;
  failureAction: 'reboot' | 'halt' | 'poweroff';
  /** Down after a lost dump, before the way back, for halt and poweroff; 0 for reboot. */
  operatorUs: number;
  transfer: CompiledDistribution | null;
}

/** A crash storm, compiled. */
export interface CompiledStorm {
  name: string;
  /** Its start (`atHours`); -1 for a storm given by a rate. */
  startUs: number;
  /** Storms per domain-year (`ratePerYear`), or 0 for a storm at a fixed time. */
  ratePerYear: number;
  windowUs: number;
  share: number;
  /** Per domain entry: does the storm hit its domains? */
  hits: boolean[];
  /** Width of one bin of its time series, µs. */
  binUs: number;
  /** Its crashes under every strategy, with its cause mix. */
  source: CrashOutcomeSource;
}

/** The coupling part of an experiment. */
export interface CompiledCoupling {
  model: CompiledExperiment;
  horizonUs: number;
  /** Per domain entry: its target's index. */
  entryTarget: number[];
  entryNames: string[];
  targets: CompiledDumpTarget[];
  storms: CompiledStorm[];
  layout: CouplingLayout;
  background: CrashOutcomeSource;
  /** Servers the domains hold (from the first server). */
  servers: number;
}

const US_PER_MINUTE = 60_000_000;
/** A year of the rates (`ratePerServerYear`, a storm's `ratePerYear`): 365 days. */
const US_PER_YEAR = 365 * 24 * 60 * US_PER_MINUTE;
/** Most occurrences of one storm in one domain (the spec check keeps the mean far below). */
export const MAX_STORM_OCCURRENCES = 100_000;

/**
 * When a storm strikes one domain: its `atHours`, or for a storm given by a
 * rate a Poisson process over the horizon (exponential gaps of mean 1 /
 * ratePerYear), drawn from the stream keyed by (seed, the domain's first
 * server, STORM_EVENT_BASE + storm, StormTime), so a domain's storms never
 * depend on the shard that runs it. Returns the count written to `out`.
 */
export function stormStarts(
  stream: KeyedStream,
  seed: number,
  coupling: CompiledCoupling,
  t: number,
  domainFirstServer: number,
  out: number[],
): number {
  const storm = coupling.storms[t]!;
  out.length = 0;
  if (storm.ratePerYear <= 0) {
    out.push(storm.startUs);
    return 1;
  }
  const s = stream.rekey(seed, domainFirstServer, STORM_EVENT_BASE + t, StreamPurpose.StormTime);
  const meanGapUs = US_PER_YEAR / storm.ratePerYear;
  let at = 0;
  for (;;) {
    at += -Math.log(1 - s.nextUniform()) * meanGapUs;
    if (!(at < coupling.horizonUs) || out.length >= MAX_STORM_OCCURRENCES) {
      return out.length;
    }
    out.push(Math.floor(at));
  }
}

/** Compiles a validated spec's domains, storms and dump targets; null when it has none. */
export function compileCoupling(model: CompiledExperiment): CompiledCoupling | null {
  const spec = model.resolved.spec;
  if (!spec.domains) {
    return null;
  }
  const targetNames = Object.keys(spec.dumpTargets ?? {});
  const targets = targetNames.map((name): CompiledDumpTarget => {
    const t = spec.dumpTargets![name]!;
    const action = t.failureAction ?? 'reboot';
    return {
      name,
      protocol: t.protocol,
      sessions: t.sessions,
      sessionMiBps: Math.min(t.sessionMiBps, (t.linkMiBps ?? Infinity) / t.sessions),
      networkWait: t.networkWaitMs
        ? compileDistribution(t.networkWaitMs, `dumpTargets.${name}.networkWaitMs`)
        : null,
      waitLimitUs: t.waitLimitS === undefined ? Infinity : Math.round(t.waitLimitS * 1e6),
      failureAction: action,
      operatorUs: action === 'reboot' ? 0 : Math.round((t.operatorMinutes ?? 60) * US_PER_MINUTE),
      transfer: t.transferMs
        ? compileDistribution(t.transferMs, `dumpTargets.${name}.transferMs`)
        : null,
    };
  });
  const storms = (spec.storms ?? []).map((s): CompiledStorm => ({
    name: s.name,
    startUs: s.atHours === undefined ? -1 : Math.round(s.atHours * 60 * US_PER_MINUTE),
    ratePerYear: s.ratePerYear ?? 0,
    windowUs: Math.round(s.windowMinutes * US_PER_MINUTE),
    share: s.share,
    hits: spec.domains!.map((d) => s.domains === undefined || s.domains.includes(d.name)),
    binUs: Math.round(((s.observeMinutes ?? 60) * US_PER_MINUTE) / SERIES_BINS),
    source: new CrashOutcomeSource(model, s.causes),
  }));
  return {
    model,
    horizonUs: Math.round((spec.events.crash?.horizonDays ?? 0) * 24 * 60 * US_PER_MINUTE),
    entryTarget: spec.domains.map((d) => targetNames.indexOf(d.dumpTarget)),
    entryNames: spec.domains.map((d) => d.name),
    targets,
    storms,
    layout: new CouplingLayout(
      model.strategies.map((s) => s.name),
      storms.map((s) => s.name),
      storms.some((s) => s.ratePerYear > 0),
    ),
    background: new CrashOutcomeSource(model),
    servers: domainServers(spec.domains),
  };
}

/** What one domain run decided for one crash under one strategy (for traces and tests). */
export interface DomainDumpRecord {
  server: number;
  event: number;
  /** -1 for a background crash, else the storm index. */
  storm: number;
  crashUs: number;
  /** When the capture kernel reached the target (-1: it had no dump to write). */
  arrivalUs: number;
  startUs: number;
  endUs: number;
  /**
   * `captured`, `lost-to-contention` (waited past the target's limit), or the
   * independent model's failure reason (the capture kernel never had a dump to
   * write, or wrote one that cannot be used).
   */
  outcome: 'captured' | 'lost-to-contention' | FailureReason;
  downtimeUs: number;
}

/** Grows a Float64Array to at least `n` entries. */
function grown(a: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> {
  if (a.length >= n) {
    return a;
  }
  const b = new Float64Array(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}

/** Runs the failure domains of shards. Reusable; not shareable across threads. */
export class DomainSimulator {
  readonly layout: CouplingLayout;
  private readonly stream = new KeyedStream();
  private readonly dumpServer = new DumpServer();
  private readonly outcome: CrashOutcomes;
  private readonly strategies: number;
  // Per crash of the domain under way.
  private server: Float64Array<ArrayBuffer> = new Float64Array(256);
  private event: Float64Array<ArrayBuffer> = new Float64Array(256);
  private storm: Float64Array<ArrayBuffer> = new Float64Array(256);
  private crashUs: Float64Array<ArrayBuffer> = new Float64Array(256);
  /** Start of the storm occurrence a crash belongs to (background: 0). */
  private occurrenceUs: Float64Array<ArrayBuffer> = new Float64Array(256);
  /** Per storm: its starts in the domain under way. */
  private starts: number[][] = [];
  private networkUs: Float64Array<ArrayBuffer> = new Float64Array(256);
  private transferUs: Float64Array<ArrayBuffer> = new Float64Array(256);
  // Per crash × strategy.
  private reason: Float64Array<ArrayBuffer> = new Float64Array(256);
  private dumps: Float64Array<ArrayBuffer> = new Float64Array(256);
  private preUs: Float64Array<ArrayBuffer> = new Float64Array(256);
  private afterUs: Float64Array<ArrayBuffer> = new Float64Array(256);
  private downUs: Float64Array<ArrayBuffer> = new Float64Array(256);
  // Per dump of one strategy's queue.
  private arrival: Float64Array<ArrayBuffer> = new Float64Array(256);
  private transfer: Float64Array<ArrayBuffer> = new Float64Array(256);
  private start: Float64Array<ArrayBuffer> = new Float64Array(256);
  private end: Float64Array<ArrayBuffer> = new Float64Array(256);
  private crashOf: Float64Array<ArrayBuffer> = new Float64Array(256);
  /** Crash jobs simulated (background and storm), for progress and the benchmark. */
  crashJobs = 0;

  constructor(readonly coupling: CompiledCoupling) {
    this.layout = coupling.layout;
    this.strategies = coupling.model.strategies.length;
    this.outcome = emptyCrashOutcomes(this.strategies);
  }

  /**
   * Simulates every domain that starts in the shard into `into`. The shard must
   * hold its domains whole (the plan's shards do).
   * @param engine the fleet engine of the same experiment (for the servers' event counts)
   * @param record called for every crash × strategy, in crash order (exact-trace tests)
   */
  runShard(
    engine: FleetEngine,
    task: ShardTask,
    into: CouplingAggregate = emptyCouplingAggregate(this.layout),
    record?: (strategy: number, r: DomainDumpRecord) => void,
  ): CouplingAggregate {
    const spec = this.coupling.model.resolved.spec;
    for (const d of domainsStartingIn(spec.domains, task.serverStart, task.serverEnd)) {
      if (d.serverEnd > task.serverEnd) {
        throw new RangeError(
          `shard ${task.index} [${task.serverStart}, ${task.serverEnd}) cuts failure domain ${spec.domains![d.entry]!.name} #${d.index} [${d.serverStart}, ${d.serverEnd}): a domain runs in one shard`,
        );
      }
      this.runDomain(engine, d, into, record);
    }
    if (
      task.serverStart < this.coupling.servers &&
      domainsStartingIn(spec.domains, task.serverStart, task.serverStart + 1).length === 0
    ) {
      throw new RangeError(
        `shard ${task.index} starts at server ${task.serverStart}, inside a failure domain: a domain runs in one shard`,
      );
    }
    return into;
  }

  private ensureCrashes(n: number): void {
    if (this.server.length >= n) {
      return;
    }
    this.server = grown(this.server, n);
    this.event = grown(this.event, n);
    this.storm = grown(this.storm, n);
    this.crashUs = grown(this.crashUs, n);
    this.occurrenceUs = grown(this.occurrenceUs, n);
    this.networkUs = grown(this.networkUs, n);
    this.transferUs = grown(this.transferUs, n);
    this.arrival = grown(this.arrival, n);
    this.transfer = grown(this.transfer, n);
    this.start = grown(this.start, n);
    this.end = grown(this.end, n);
    this.crashOf = grown(this.crashOf, n);
  }

  private ensurePerStrategy(n: number): void {
    const m = n * this.strategies;
    this.reason = grown(this.reason, m);
    this.dumps = grown(this.dumps, m);
    this.preUs = grown(this.preUs, m);
    this.afterUs = grown(this.afterUs, m);
    this.downUs = grown(this.downUs, m);
  }

  /** One domain: its crashes in time, then one queue per strategy at its dump server. */
  private runDomain(
    engine: FleetEngine,
    d: DomainInstance,
    into: CouplingAggregate,
    record?: (strategy: number, r: DomainDumpRecord) => void,
  ): void {
    const c = this.coupling;
    const m = c.model;
    const target = c.targets[c.entryTarget[d.entry]!]!;
    const slots = into.slots;
    const layout = this.layout;
    slots[layout.serversSlot]! += d.serverEnd - d.serverStart;
    slots[layout.domainsSlot]! += 1;

    // When each storm strikes the domain (a storm at a fixed time: once).
    const storms = c.storms;
    let occurrences = 0;
    for (let t = 0; t < storms.length; t++) {
      const starts = (this.starts[t] ??= []);
      if (!storms[t]!.hits[d.entry]) {
        starts.length = 0;
        continue;
      }
      occurrences += stormStarts(this.stream, m.seed, c, t, d.serverStart, starts);
      if (layout.hasOccurrences) {
        slots[layout.occurrences(t)]! += starts.length;
      }
    }

    // The domain's crashes, in (server, event) order: background, then each
    // storm's occurrences (occurrence k of storm t is event STORM_EVENT_BASE + t + k × storms).
    let n = 0;
    for (let server = d.serverStart; server < d.serverEnd; server++) {
      const count = engine.eventCount(server, 'crash');
      this.ensureCrashes(n + count + occurrences);
      for (let e = 0; e < count; e++) {
        const u = this.stream.rekey(m.seed, server, e, StreamPurpose.CrashTime).nextUniform();
        this.server[n] = server;
        this.event[n] = e;
        this.storm[n] = -1;
        this.crashUs[n] = Math.floor(u * c.horizonUs);
        this.occurrenceUs[n] = 0;
        n++;
      }
      for (let t = 0; t < storms.length; t++) {
        const storm = storms[t]!;
        const starts = this.starts[t]!;
        for (let k = 0; k < starts.length; k++) {
          const event = STORM_EVENT_BASE + t + k * storms.length;
          const s = this.stream.rekey(m.seed, server, event, StreamPurpose.StormMember);
          if (s.nextUniform() < storm.share) {
            this.server[n] = server;
            this.event[n] = event;
            this.storm[n] = t;
            this.occurrenceUs[n] = starts[k]!;
            this.crashUs[n] = starts[k]! + Math.floor(s.nextUniform() * storm.windowUs);
            n++;
          }
        }
      }
    }
    this.crashJobs += n;

    // Each crash under every strategy, its network wait and its transfer.
    const S = this.strategies;
    this.ensurePerStrategy(n);
    const o = this.outcome;
    for (let i = 0; i < n; i++) {
      const t = this.storm[i]!;
      const source = t < 0 ? c.background : storms[t]!.source;
      source.outcome(this.server[i]!, this.event[i]!, o);
      for (let s = 0; s < S; s++) {
        const k = i * S + s;
        this.reason[k] = o.reason[s]!;
        this.dumps[k] = o.dumps[s]!;
        this.preUs[k] = o.preDumpUs[s]!;
        this.afterUs[k] = o.afterDumpUs[s]!;
        this.downUs[k] = o.downtimeUs[s]!;
      }
      const shared = this.stream.rekey(
        m.seed,
        this.server[i]!,
        this.event[i]!,
        StreamPurpose.SharedDump,
      );
      const uNetwork = shared.nextUniform();
      const uTransfer = shared.nextUniform();
      this.networkUs[i] = target.networkWait ? sampleMicros(target.networkWait, uNetwork) : 0;
      this.transferUs[i] = target.transfer
        ? sampleMicros(target.transfer, uTransfer)
        : Math.round(((o.dumpGiB * 1024) / target.sessionMiBps) * 1e6);
    }

    // One queue per strategy: its capture kernels reach the target at their own times.
    for (let s = 0; s < S; s++) {
      let dumps = 0;
      for (let i = 0; i < n; i++) {
        const k = i * S + s;
        if (this.dumps[k] === 1) {
          this.arrival[dumps] = this.crashUs[i]! + this.preUs[k]! + this.networkUs[i]!;
          this.transfer[dumps] = this.transferUs[i]!;
          this.crashOf[dumps] = i;
          dumps++;
        }
      }
      const run = this.dumpServer.run(
        { sessions: target.sessions, waitLimitUs: target.waitLimitUs },
        this.arrival,
        this.transfer,
        dumps,
        { startUs: this.start, endUs: this.end },
      );
      const peak = layout.peakWaiting(s);
      if (run.peakWaiting > slots[peak]!) {
        slots[peak] = run.peakWaiting;
      }
      let j = 0;
      for (let i = 0; i < n; i++) {
        const k = i * S + s;
        const t = this.storm[i]!;
        const reason = this.reason[k]!;
        let downtime = this.downUs[k]!;
        let lost = false;
        let arrivalUs = -1;
        let startUs = -1;
        let endUs = -1;
        slots[layout.counter(s, CouplingCounter.Crashes)]! += 1;
        if (t >= 0) {
          slots[layout.stormCounter(t, s, StormCounter.Crashes)]! += 1;
        }
        if (this.dumps[k] === 1) {
          // The dumps were queued in crash order: the j-th dump is this crash's.
          arrivalUs = this.arrival[j]!;
          startUs = this.start[j]!;
          endUs = this.end[j]!;
          j++;
          slots[layout.counter(s, CouplingCounter.Dumps)]! += 1;
          if (t >= 0) {
            slots[layout.stormCounter(t, s, StormCounter.Dumps)]! += 1;
          }
          if (startUs < 0) {
            lost = true;
            downtime = endUs - this.crashUs[i]! + target.operatorUs + this.afterUs[k]!;
            slots[layout.counter(s, CouplingCounter.Lost)]! += 1;
            if (t >= 0) {
              slots[layout.stormCounter(t, s, StormCounter.Lost)]! += 1;
            }
          } else {
            const wait = startUs - arrivalUs;
            downtime = endUs - this.crashUs[i]! + this.afterUs[k]!;
            recordMicros(slots, layout.histogram(s, CouplingHist.Wait), wait);
            if (wait > 0) {
              slots[layout.counter(s, CouplingCounter.Waited)]! += 1;
            }
            if (reason < 0) {
              slots[layout.counter(s, CouplingCounter.Captured)]! += 1;
              if (t >= 0) {
                slots[layout.stormCounter(t, s, StormCounter.Captured)]! += 1;
                const last = layout.lastCapture(t, s);
                const since = endUs - this.occurrenceUs[i]! + 1;
                if (since > slots[last]!) {
                  slots[last] = since;
                }
              }
            }
          }
        }
        recordMicros(slots, layout.histogram(s, CouplingHist.Downtime), downtime);
        record?.(s, {
          server: this.server[i]!,
          event: this.event[i]!,
          storm: t,
          crashUs: this.crashUs[i]!,
          arrivalUs,
          startUs,
          endUs,
          outcome: lost ? 'lost-to-contention' : reason < 0 ? 'captured' : FAILURE_REASONS[reason]!,
          downtimeUs: downtime,
        });
      }
      this.recordSeries(s, dumps, slots);
    }
  }

  /** Each storm over this domain: dumps waiting at each bin's start, dumps captured in each bin. */
  private recordSeries(s: number, dumps: number, slots: Float64Array): void {
    const c = this.coupling;
    for (let t = 0; t < c.storms.length; t++) {
      const storm = c.storms[t]!;
      const waiting = this.layout.waitingSeries(t, s);
      const captured = this.layout.capturedSeries(t, s);
      const bin = storm.binUs;
      // Summed over its occurrences in the domain, each from its own start.
      for (const t0 of this.starts[t]!) {
        this.recordOccurrence(t0, bin, waiting, captured, s, dumps, slots);
      }
    }
  }

  /** One storm occurrence from `t0`: every dump of the domain waiting at each bin's start, captured in each bin. */
  private recordOccurrence(
    t0: number,
    bin: number,
    waiting: number,
    captured: number,
    s: number,
    dumps: number,
    slots: Float64Array,
  ): void {
    const S = this.strategies;
    {
      const horizon = t0 + bin * SERIES_BINS;
      for (let j = 0; j < dumps; j++) {
        const a = this.arrival[j]!;
        const started = this.start[j]!;
        const leave = started >= 0 ? started : this.end[j]!;
        if (leave > a && a < horizon && leave > t0) {
          // Bins k whose start t0 + k·bin lies in [a, leave).
          const k0 = Math.max(0, Math.ceil((a - t0) / bin));
          const k1 = Math.min(SERIES_BINS - 1, Math.ceil((leave - t0) / bin) - 1);
          for (let k = k0; k <= k1; k++) {
            slots[waiting + k]! += 1;
          }
        }
        const i = this.crashOf[j]!;
        if (started >= 0 && this.reason[i * S + s]! < 0) {
          const k = Math.floor((this.end[j]! - t0) / bin);
          if (k >= 0 && k < SERIES_BINS) {
            slots[captured + k]! += 1;
          }
        }
      }
    }
  }
}

/** The layout of a spec's coupling aggregate, or null when it has no domains (cheap: names only). */
export function couplingLayout(model: CompiledExperiment): CouplingLayout | null {
  const spec = model.resolved.spec;
  return spec.domains
    ? new CouplingLayout(
        model.strategies.map((s) => s.name),
        (spec.storms ?? []).map((s) => s.name),
        (spec.storms ?? []).some((s) => s.ratePerYear !== undefined),
      )
    : null;
}

/**
 * Simulates one shard: its servers' independent jobs (the fleet engine, exactly
 * as without domains) and, for a spec with domains, its failure domains into
 * the aggregate's coupling section.
 */
export function simulateShard(
  engine: FleetEngine,
  domains: DomainSimulator | null,
  task: ShardTask,
  into?: Aggregate,
): Aggregate {
  const agg = engine.runShard(task, into);
  if (domains) {
    agg.coupling ??= emptyCouplingAggregate(domains.layout);
    domains.runShard(engine, task, agg.coupling);
  }
  return agg;
}

/** A domain simulator for a model with domains, else null. */
export function domainSimulatorFor(model: CompiledExperiment): DomainSimulator | null {
  const c = compileCoupling(model);
  return c ? new DomainSimulator(c) : null;
}

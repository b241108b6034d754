/**
 * The mergeable aggregate of failure domains, crash storms and shared dump
 * targets, kept beside the fleet aggregate (aggregate.ts) so a spec without
 * domains has exactly the aggregate it always had. One Float64Array of integer
 * slots: counters, log-scale histograms (histogram.ts) and time series are
 * added when shards merge; peaks and "last dump captured" times are maxima,
 * merged by max. Both are exact, commutative and associative, so shards merged
 * in any order give the same bytes (a domain never spans shards).
 */
import { HISTOGRAM_STRIDE, normaliseSum } from './histogram';

/** Points of a storm's time series: waiting dumps and dumps captured, per bin. */
export const SERIES_BINS = 120;

/** Counters per strategy over every crash in a failure domain. */
export const enum CouplingCounter {
  /** Crashes of servers in domains (background and storm). */
  Crashes = 0,
  /** Capture kernels that reached the shared target with a dump to write. */
  Dumps = 1,
  /** Dumps captured (transferred, and the capture kernel's outcome was `captured`). */
  Captured = 2,
  /** Dumps lost to contention: the capture kernel gave up waiting for a session. */
  Lost = 3,
  /** Dumps that had to wait for a session at all. */
  Waited = 4,
}
const COUNTERS = 5;

/** Histograms per strategy. */
export const enum CouplingHist {
  /** Wait for a session of every dump that got one, µs. */
  Wait = 0,
  /** Fault → back in service of every crash in a domain, with the shared target, µs. */
  Downtime = 1,
}
const HISTS = 2;

/** Counters per storm and strategy, before its series. */
export const enum StormCounter {
  Crashes = 0,
  Dumps = 1,
  Captured = 2,
  Lost = 3,
}
const STORM_COUNTERS = 4;

/** Where everything lives in a coupling aggregate. */
export class CouplingLayout {
  /** Slot of the servers in failure domains; the next one counts domains. */
  readonly serversSlot = 0;
  readonly domainsSlot = 1;
  private readonly strategyStride = HISTS * HISTOGRAM_STRIDE + COUNTERS;
  private readonly stormStride = STORM_COUNTERS + 2 * SERIES_BINS;
  private readonly stormsBase: number;
  private readonly occurrencesBase: number;
  /** Start of the slots merged by max. */
  readonly maxBase: number;
  readonly size: number;

  /**
   * @param hasOccurrences whether a storm is given by a rate: then one summed
   *   slot per storm counts its occurrences (without, the layout is the one it always was)
   */
  constructor(
    readonly strategies: readonly string[],
    readonly storms: readonly string[],
    readonly hasOccurrences = false,
  ) {
    this.stormsBase = 2 + strategies.length * this.strategyStride;
    this.occurrencesBase = this.stormsBase + storms.length * strategies.length * this.stormStride;
    this.maxBase = this.occurrencesBase + (hasOccurrences ? storms.length : 0);
    this.size = this.maxBase + strategies.length + storms.length * strategies.length;
  }

  /** Start of histogram `h` of strategy `s`. */
  histogram(s: number, h: CouplingHist): number {
    return 2 + s * this.strategyStride + h * HISTOGRAM_STRIDE;
  }

  /** Slot of counter `c` of strategy `s`. */
  counter(s: number, c: CouplingCounter): number {
    return 2 + s * this.strategyStride + HISTS * HISTOGRAM_STRIDE + c;
  }

  /** Slot of counter `c` of storm `t`, strategy `s`. */
  stormCounter(t: number, s: number, c: StormCounter): number {
    return this.stormsBase + (t * this.strategies.length + s) * this.stormStride + c;
  }

  /** First of the {@link SERIES_BINS} slots of dumps waiting at each bin's start (storm t, strategy s). */
  waitingSeries(t: number, s: number): number {
    return this.stormCounter(t, s, STORM_COUNTERS as StormCounter);
  }

  /** First of the slots of dumps captured within each bin. */
  capturedSeries(t: number, s: number): number {
    return this.waitingSeries(t, s) + SERIES_BINS;
  }

  /** Slot of storm `t`'s occurrences (a storm striking one domain), when the layout has them. */
  occurrences(t: number): number {
    if (!this.hasOccurrences) {
      throw new RangeError('this coupling layout counts no storm occurrences');
    }
    return this.occurrencesBase + t;
  }

  /** Max slot: the most dumps waiting at one domain's target at once, strategy `s`. */
  peakWaiting(s: number): number {
    return this.maxBase + s;
  }

  /**
   * Max slot: 1 + µs from storm `t`'s start to its last dump captured (0: none
   * captured); over several occurrences, the worst occurrence (each from its own start).
   */
  lastCapture(t: number, s: number): number {
    return this.maxBase + this.strategies.length + t * this.strategies.length + s;
  }
}

/** A coupling aggregate: its layout and slots. */
export interface CouplingAggregate {
  layout: CouplingLayout;
  slots: Float64Array;
}

export function emptyCouplingAggregate(layout: CouplingLayout): CouplingAggregate {
  return { layout, slots: new Float64Array(layout.size) };
}

/** Merges `from` into `into`: sums below {@link CouplingLayout.maxBase}, maxima from it. */
export function mergeCoupling(into: CouplingAggregate, from: CouplingAggregate): CouplingAggregate {
  const a = into.slots;
  const b = from.slots;
  if (a.length !== b.length || into.layout.maxBase !== from.layout.maxBase) {
    throw new RangeError(
      `cannot merge coupling aggregates of ${a.length} and ${b.length} slots (strategies or storms differ)`,
    );
  }
  const maxBase = into.layout.maxBase;
  for (let i = 0; i < maxBase; i++) {
    a[i]! += b[i]!;
  }
  for (let i = maxBase; i < a.length; i++) {
    if (b[i]! > a[i]!) {
      a[i] = b[i]!;
    }
  }
  normaliseCoupling(into);
  return into;
}

/** Moves every histogram sum's whole multiples of 2^32 into its high limb. */
export function normaliseCoupling(agg: CouplingAggregate): void {
  for (let s = 0; s < agg.layout.strategies.length; s++) {
    normaliseSum(agg.slots, agg.layout.histogram(s, CouplingHist.Wait));
    normaliseSum(agg.slots, agg.layout.histogram(s, CouplingHist.Downtime));
  }
}

/** `[index, value, ...]` of the non-zero slots, in index order (JSON-safe, canonical). */
export function encodeCoupling(agg: CouplingAggregate): number[] {
  const out: number[] = [];
  agg.slots.forEach((v, i) => {
    if (v !== 0) {
      out.push(i, v);
    }
  });
  return out;
}

/** Inverse of {@link encodeCoupling}; checks every index and value. */
export function decodeCoupling(
  layout: CouplingLayout,
  sparse: readonly number[],
): CouplingAggregate {
  if (!Array.isArray(sparse) || sparse.length % 2 !== 0) {
    throw new RangeError('a sparse coupling aggregate is an array of index, value pairs');
  }
  const agg = emptyCouplingAggregate(layout);
  let previous = -1;
  for (let i = 0; i < sparse.length; i += 2) {
    const index = sparse[i]!;
    const value = sparse[i + 1]!;
    if (!Number.isInteger(index) || index <= previous || index >= layout.size) {
      throw new RangeError(
        `coupling aggregate index ${index} out of order or outside [0, ${layout.size})`,
      );
    }
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`coupling aggregate slot ${index} holds ${value}, not a count`);
    }
    previous = index;
    agg.slots[index] = value;
  }
  return agg;
}

/**
 * Mergeable aggregates of simulated outcomes. An aggregate is one Float64Array of
 * integer slots (counters, histogram buckets, microsecond sums in 32-bit limbs)
 * laid out by {@link AggregateLayout}. Merging adds slot by slot; every slot is an
 * integer below 2^53, so a merge is exact, commutative and associative: shards
 * merged in any order give the same bytes.
 */
import {
  emptyCouplingAggregate,
  mergeCoupling,
  type CouplingAggregate,
  type CouplingLayout,
} from './coupling-aggregate';
import { HISTOGRAM_STRIDE, normaliseSum } from './histogram';
import { FAILURE_REASONS, JOB_KINDS, Reason } from './outcome';
import { mergeTally, type RolloutTally } from './rollout-waves';

/**
 * Failure reasons that name a culprit device (its driver ended the kernel, or it
 * was the dump target that went missing), in the order of their culprit counters.
 */
export const CULPRIT_REASONS: readonly number[] = Object.freeze([
  Reason.DmarFault,
  Reason.CaptureKernelOom,
  Reason.CaptureKernelPanic,
  Reason.CaptureKernelOops,
  Reason.DumpTargetMissing,
  Reason.KexecBootPanic,
  Reason.InterruptStorm,
]);

/** Index of each reason in {@link CULPRIT_REASONS}, or -1. */
const CULPRIT_INDEX = FAILURE_REASONS.map((_, r) => CULPRIT_REASONS.indexOf(r));

/** Histograms kept per strategy and job kind, before the per-device-class ones. */
export const enum Hist {
  /** Crash: capture kernel boot incl. device init. Reboot: next kernel boot incl. devices. */
  KernelBoot = 0,
  /** Crash: filtering and writing the dump. */
  Dump = 1,
  /** From the fault (or the planned reboot) until back in service. */
  Downtime = 2,
  /** First of the per-device-class reinitialisation histograms. */
  DeviceReinit = 3,
}

/** Times whose paired differences against the baseline are summed per job. */
export const enum Paired {
  /** {@link Hist.Downtime}: every job has one for every strategy. */
  Downtime = 0,
  /** {@link Hist.KernelBoot}: summed over the jobs where both kernels came up. */
  KernelBoot = 1,
}

const PAIRED_METRICS = 2;

/**
 * The slots of one paired sum: jobs paired, then Σd⁺, Σd⁻ (the positive and
 * negated negative differences) and Σd², each as two 32-bit limbs (low, high) of
 * integer microseconds (µs² for Σd²), so every slot stays a non-negative integer.
 */
export const enum PairedSlot {
  Count = 0,
  PlusLo = 1,
  PlusHi = 2,
  MinusLo = 3,
  MinusHi = 4,
  SquareLo = 5,
  SquareHi = 6,
}

/** Slots one paired sum occupies. */
export const PAIRED_STRIDE = 7;

/** Counters per strategy and job kind, before the failure reasons. */
export const enum Counter {
  Jobs = 0,
  Successes = 1,
  /** First of the failure-reason counters, in {@link FAILURE_REASONS} order. */
  Reasons = 2,
}

// Module-local copies for the engine's hot path (imported constants are property loads).
const KINDS = JOB_KINDS.length;
const STRIDE = HISTOGRAM_STRIDE;

/** Where everything lives in an aggregate's slots. */
export class AggregateLayout {
  readonly counterCount = Counter.Reasons + FAILURE_REASONS.length;
  readonly histogramCount: number;
  /** Offset of the counters inside a block, after its histograms. */
  readonly countersOffset: number;
  /** Slots per (strategy, job kind) block. */
  readonly blockSize: number;
  /** Start of the pair-discordance matrices: one S×S matrix per job kind. */
  readonly pairsBase: number;
  /** Start of the culprit counters: per (strategy, job kind, culprit reason, culprit). */
  readonly culpritsBase: number;
  /** Start of the fleet-level counters (servers simulated). */
  readonly fleetBase: number;
  /**
   * Start of the per-profile blocks: per (profile, strategy, job kind) the
   * histograms before {@link Hist.DeviceReinit} and the counters.
   */
  readonly profilesBase: number;
  /** Slots per (profile, strategy, job kind) block. */
  readonly profileBlockSize: number;
  /**
   * Start of the paired sums against the baseline: per (job kind, strategy,
   * {@link Paired} metric) the {@link PAIRED_STRIDE} slots of {@link PairedSlot}.
   */
  readonly pairedBase: number;
  readonly size: number;

  /**
   * @param culprits culprit names (`device (driver)`) failures are counted against
   * @param profiles server profile names: results are kept per profile too
   * @param baseline index of the strategy paired time differences are taken against
   */
  constructor(
    readonly strategies: readonly string[],
    readonly deviceClasses: readonly string[],
    readonly culprits: readonly string[] = [],
    readonly profiles: readonly string[] = [],
    readonly baseline = 0,
  ) {
    if (!(
      Number.isInteger(baseline) &&
      baseline >= 0 &&
      baseline < Math.max(1, strategies.length)
    )) {
      throw new RangeError(`baseline ${baseline} is not a strategy index of ${strategies.length}`);
    }
    this.histogramCount = Hist.DeviceReinit + deviceClasses.length;
    // Histograms first so each starts on a fixed stride.
    this.countersOffset = this.histogramCount * HISTOGRAM_STRIDE;
    this.blockSize = this.countersOffset + this.counterCount;
    this.pairsBase = strategies.length * JOB_KINDS.length * this.blockSize;
    this.culpritsBase = this.pairsBase + JOB_KINDS.length * strategies.length * strategies.length;
    this.fleetBase =
      this.culpritsBase +
      strategies.length * JOB_KINDS.length * CULPRIT_REASONS.length * culprits.length;
    this.profilesBase = this.fleetBase + 1;
    this.profileBlockSize = Hist.DeviceReinit * HISTOGRAM_STRIDE + this.counterCount;
    this.pairedBase =
      this.profilesBase +
      profiles.length * strategies.length * JOB_KINDS.length * this.profileBlockSize;
    this.size =
      this.pairedBase + JOB_KINDS.length * strategies.length * PAIRED_METRICS * PAIRED_STRIDE;
  }

  /**
   * Start of the block of profile `p` that shadows the fleet-wide block at `block`
   * (a value of {@link block}): same histograms (but the per-device-class ones) and counters.
   */
  profileBlock(p: number, block: number): number {
    return (
      this.profilesBase +
      (p * this.strategies.length * KINDS + block / this.blockSize) * this.profileBlockSize
    );
  }

  /** Start of histogram `h` (below {@link Hist.DeviceReinit}) of profile `p` in block (s, k). */
  profileHistogram(p: number, s: number, k: number, h: number): number {
    return this.profileBlock(p, this.block(s, k)) + h * STRIDE;
  }

  /** Slot of counter `c` of profile `p` in block (s, k). */
  profileCounter(p: number, s: number, k: number, c: number): number {
    return this.profileBlock(p, this.block(s, k)) + Hist.DeviceReinit * STRIDE + c;
  }

  /** Start of the paired sums of strategy `s` minus the baseline for `metric`, job kind `k`. */
  paired(k: number, s: number, metric: number): number {
    return (
      this.pairedBase + ((k * this.strategies.length + s) * PAIRED_METRICS + metric) * PAIRED_STRIDE
    );
  }

  /**
   * Slot counting failures for `reason` whose culprit is `culprit` in block (s, k),
   * or -1 when the reason names no culprit.
   */
  culpritSlot(s: number, k: number, reason: number, culprit: number): number {
    const r = CULPRIT_INDEX[reason]!;
    if (r < 0 || culprit < 0) {
      return -1;
    }
    return (
      this.culpritsBase +
      ((s * KINDS + k) * CULPRIT_REASONS.length + r) * this.culprits.length +
      culprit
    );
  }

  /** Start of the block of strategy `s`, job kind `k` (0 crash, 1 reboot). */
  block(s: number, k: number): number {
    return (s * KINDS + k) * this.blockSize;
  }

  /** Start of histogram `h` in block (s, k). */
  histogram(s: number, k: number, h: number): number {
    return this.block(s, k) + h * STRIDE;
  }

  /** Slot of counter `c` in block (s, k). */
  counter(s: number, k: number, c: number): number {
    return this.block(s, k) + this.countersOffset + c;
  }

  /** Slot counting jobs where strategy a succeeded and strategy b did not. */
  pair(k: number, a: number, b: number): number {
    const n = this.strategies.length;
    return this.pairsBase + (k * n + a) * n + b;
  }

  /** Slot counting servers simulated. */
  get serversSlot(): number {
    return this.fleetBase;
  }
}

/** An aggregate: a layout and its slots. */
export interface Aggregate {
  layout: AggregateLayout;
  slots: Float64Array;
  /** Per-wave results of the spec's roll-out (rollout-waves.ts), when it has one. */
  rollout?: RolloutTally;
  /**
   * Failure domains, crash storms and shared dump targets (coupling-aggregate.ts),
   * only for a spec that has domains: absent, the aggregate is what it always was.
   */
  coupling?: CouplingAggregate;
}

export function emptyAggregate(layout: AggregateLayout): Aggregate {
  return { layout, slots: new Float64Array(layout.size) };
}

function sameLayout(a: AggregateLayout, b: AggregateLayout): boolean {
  return (
    a === b ||
    (a.strategies.join('\n') === b.strategies.join('\n') &&
      a.deviceClasses.join('\n') === b.deviceClasses.join('\n') &&
      a.culprits.join('\n') === b.culprits.join('\n') &&
      a.profiles.join('\n') === b.profiles.join('\n') &&
      a.baseline === b.baseline)
  );
}

/** Adds `from` into `into` (same layout), then normalises sums. Exact for integer slots. */
export function mergeInto(into: Aggregate, from: Aggregate): Aggregate {
  if (!sameLayout(into.layout, from.layout) || into.slots.length !== from.slots.length) {
    throw new RangeError(
      `cannot merge aggregates of different layouts (strategies ${into.layout.strategies.join(',')} / ${from.layout.strategies.join(',')}; classes ${into.layout.deviceClasses.join(',')} / ${from.layout.deviceClasses.join(',')})`,
    );
  }
  const a = into.slots;
  const b = from.slots;
  for (let i = 0; i < a.length; i++) {
    a[i]! += b[i]!;
  }
  if (from.rollout) {
    into.rollout = into.rollout
      ? mergeTally(into.rollout, from.rollout)
      : { ...from.rollout, slots: from.rollout.slots.slice() };
  }
  normaliseAll(into);
  if (from.coupling) {
    into.coupling ??= emptyCouplingAggregate(from.coupling.layout);
    mergeCoupling(into.coupling, from.coupling);
  }
  return into;
}

/**
 * Writes every block's fleet-wide histograms before {@link Hist.DeviceReinit} and
 * its counters as the sum of the block's profile blocks, which hold the same times
 * and counts split by server profile. The engine records those into the profile
 * blocks only (one insert per time instead of two) and derives the fleet-wide ones
 * at the end of each shard; sums stay exact and normalised, so the slots are the
 * very ones recording both would have written. A layout without profiles is left as is.
 */
export function fleetFromProfiles(agg: Aggregate): void {
  const { layout, slots } = agg;
  const profiles = layout.profiles.length;
  if (profiles === 0) {
    return;
  }
  const histSlots = Hist.DeviceReinit * STRIDE;
  const counters = layout.counterCount;
  for (let block = 0; block < layout.pairsBase; block += layout.blockSize) {
    const fleetCounters = block + layout.countersOffset;
    let first = true;
    for (let p = 0; p < profiles; p++) {
      const pb = layout.profileBlock(p, block);
      if (slots[pb + histSlots + Counter.Jobs] === 0) {
        continue; // every time and count of a block goes with a job: nothing here
      }
      if (first) {
        slots.copyWithin(block, pb, pb + histSlots);
        slots.copyWithin(fleetCounters, pb + histSlots, pb + histSlots + counters);
        first = false;
      } else {
        for (let i = 0; i < histSlots; i++) {
          slots[block + i]! += slots[pb + i]!;
        }
        for (let c = 0; c < counters; c++) {
          slots[fleetCounters + c]! += slots[pb + histSlots + c]!;
        }
      }
    }
    if (first) {
      slots.fill(0, block, block + histSlots);
      slots.fill(0, fleetCounters, fleetCounters + counters);
    } else {
      for (let h = 0; h < Hist.DeviceReinit; h++) {
        normaliseSum(slots, block + h * STRIDE);
      }
    }
  }
}

/** Moves every sum's whole multiples of 2^32 into its high limb. */
export function normaliseAll(agg: Aggregate): void {
  const { layout, slots } = agg;
  for (let s = 0; s < layout.strategies.length; s++) {
    for (let k = 0; k < JOB_KINDS.length; k++) {
      for (let h = 0; h < layout.histogramCount; h++) {
        normaliseSum(slots, layout.histogram(s, k, h));
      }
      for (let p = 0; p < layout.profiles.length; p++) {
        for (let h = 0; h < Hist.DeviceReinit; h++) {
          normaliseSum(slots, layout.profileHistogram(p, s, k, h));
        }
      }
      for (let m = 0; m < PAIRED_METRICS; m++) {
        const base = layout.paired(k, s, m);
        carry(slots, base + PairedSlot.PlusLo);
        carry(slots, base + PairedSlot.MinusLo);
        carry(slots, base + PairedSlot.SquareLo);
      }
    }
  }
}

const LIMB = 4294967296;

/** Moves whole multiples of 2^32 of the low limb at `lo` into the high limb after it. */
function carry(slots: Float64Array, lo: number): void {
  const over = Math.floor(slots[lo]! / LIMB);
  if (over > 0) {
    slots[lo]! -= over * LIMB;
    slots[lo + 1]! += over;
  }
  if (slots[lo + 1]! > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`paired sum at slot ${lo} overflows: high limb ${slots[lo + 1]}`);
  }
}

/** Adds the integer `v` (0 <= v < 2^53) to the limbs at `lo`, `lo + 1`. */
function addLimbs(slots: Float64Array, lo: number, v: number): void {
  const hi = Math.floor(v / LIMB);
  slots[lo]! += v - hi * LIMB;
  slots[lo + 1]! += hi;
  if (slots[lo]! >= LIMB) {
    slots[lo]! -= LIMB;
    slots[lo + 1]! += 1;
  }
}

/**
 * Adds many jobs' paired differences at once to the paired sum at `base`, from
 * exact partial sums a caller kept (job-record.ts): `count` differences, Σd⁺ =
 * `plus`, Σd⁻ = `minus`, and Σd² as its 20-bit halves (each |d| = h·2^20 + l):
 * `hh` = Σh², `hl` = Σh·l, `ll` = Σl². Every argument must be an integer below
 * 2^53 (at most 8,192 differences of |d| < 2^40 keep them there). The slots end
 * exactly as adding the differences one at a time ({@link addPairedDifference}) would leave them.
 */
export function addPairedSums(
  slots: Float64Array,
  base: number,
  count: number,
  plus: number,
  minus: number,
  hh: number,
  hl: number,
  ll: number,
): void {
  slots[base + PairedSlot.Count]! += count;
  addLimbs(slots, base + PairedSlot.PlusLo, plus);
  addLimbs(slots, base + PairedSlot.MinusLo, minus);
  // Σd² = hh·2^40 + 2·hl·2^20 + ll, each part split into the 2^32 limbs exactly.
  const sq = base + PairedSlot.SquareLo;
  slots[sq + 1]! += hh * 256;
  const t = 2 * hl;
  const tHigh = Math.floor(t / 4096);
  slots[sq + 1]! += tHigh;
  addLimbs(slots, sq, (t - tHigh * 4096) * 1048576);
  addLimbs(slots, sq, ll);
}

/**
 * Adds one job's paired difference `d` (integer µs, any sign, |d| < 2^40) to the
 * paired sum at `base`: its count, Σd⁺ or Σd⁻, and Σd² exactly (split into 20-bit halves).
 */
export function addPairedDifference(slots: Float64Array, base: number, d: number): void {
  const a = Math.abs(d);
  // a = h·2^20 + l: a² = h²·2^40 + 2hl·2^20 + l², which addPairedSums splits into the limbs exactly.
  const h = Math.floor(a / 1048576);
  const l = a - h * 1048576;
  addPairedSums(slots, base, 1, d > 0 ? a : 0, d < 0 ? a : 0, h * h, h * l, l * l);
}

/** The exact paired sums at `base`: jobs, Σd (µs) and Σd² (µs²) as bigints. */
export function pairedSums(
  slots: Float64Array,
  base: number,
): { count: number; sum: bigint; sumSquares: bigint } {
  const limbs = (lo: number) => BigInt(slots[lo + 1]!) * 4294967296n + BigInt(slots[lo]!);
  return {
    count: slots[base + PairedSlot.Count]!,
    sum: limbs(base + PairedSlot.PlusLo) - limbs(base + PairedSlot.MinusLo),
    sumSquares: limbs(base + PairedSlot.SquareLo),
  };
}

/**
 * Sparse, JSON-safe encoding: `[index, value, index, value, ...]` of non-zero
 * slots in index order. Identical aggregates encode to identical arrays.
 */
export function encodeSparse(agg: Aggregate): number[] {
  const out: number[] = [];
  const s = agg.slots;
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== 0) {
      out.push(i, s[i]!);
    }
  }
  if (agg.coupling) {
    // The coupling slots follow the fleet's, from index layout.size on.
    const c = agg.coupling.slots;
    for (let i = 0; i < c.length; i++) {
      if (c[i] !== 0) {
        out.push(s.length + i, c[i]!);
      }
    }
  }
  return out;
}

/**
 * Inverse of {@link encodeSparse}; checks every index and value.
 * @param coupling the layout of the experiment's coupling aggregate, when its spec has domains
 */
export function decodeSparse(
  layout: AggregateLayout,
  sparse: readonly number[],
  coupling: CouplingLayout | null = null,
): Aggregate {
  if (sparse.length % 2 !== 0) {
    throw new RangeError(`sparse aggregate has an odd length ${sparse.length}`);
  }
  const agg = emptyAggregate(layout);
  if (coupling) {
    agg.coupling = emptyCouplingAggregate(coupling);
  }
  const end = layout.size + (coupling?.size ?? 0);
  let previous = -1;
  for (let i = 0; i < sparse.length; i += 2) {
    const index = sparse[i]!;
    const value = sparse[i + 1]!;
    if (!Number.isInteger(index) || index < 0 || index >= end) {
      throw new RangeError(`sparse aggregate index ${index} outside [0, ${end})`);
    }
    if (index <= previous) {
      throw new RangeError(`sparse aggregate indices must increase: ${index} after ${previous}`);
    }
    previous = index;
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`sparse aggregate slot ${index} holds ${value}, not a count`);
    }
    if (index < layout.size) {
      agg.slots[index] = value;
    } else {
      agg.coupling!.slots[index - layout.size] = value;
    }
  }
  return agg;
}

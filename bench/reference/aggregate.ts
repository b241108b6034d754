/**
 * Mergeable aggregates of simulated outcomes. An aggregate is one Float64Array of
 * integer slots (counters, histogram buckets, microsecond sums in 32-bit limbs)
 * laid out by {@link AggregateLayout}. Merging adds slot by slot; every slot is an
 * integer below 2^53, so a merge is exact, commutative and associative: shards
 * merged in any order give the same bytes.
 */
import { HISTOGRAM_STRIDE, normaliseSum } from './histogram';
import { FAILURE_REASONS, JOB_KINDS, Reason } from './outcome';

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
  readonly size: number;

  /**
   * @param culprits culprit names (`device (driver)`) failures are counted against
   */
  constructor(
    readonly strategies: readonly string[],
    readonly deviceClasses: readonly string[],
    readonly culprits: readonly string[] = [],
  ) {
    this.histogramCount = Hist.DeviceReinit + deviceClasses.length;
    // Histograms first so each starts on a fixed stride.
    this.countersOffset = this.histogramCount * HISTOGRAM_STRIDE;
    this.blockSize = this.countersOffset + this.counterCount;
    this.pairsBase = strategies.length * JOB_KINDS.length * this.blockSize;
    this.culpritsBase = this.pairsBase + JOB_KINDS.length * strategies.length * strategies.length;
    this.fleetBase =
      this.culpritsBase +
      strategies.length * JOB_KINDS.length * CULPRIT_REASONS.length * culprits.length;
    this.size = this.fleetBase + 1;
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
}

export function emptyAggregate(layout: AggregateLayout): Aggregate {
  return { layout, slots: new Float64Array(layout.size) };
}

function sameLayout(a: AggregateLayout, b: AggregateLayout): boolean {
  return (
    a === b ||
    (a.strategies.join('\n') === b.strategies.join('\n') &&
      a.deviceClasses.join('\n') === b.deviceClasses.join('\n') &&
      a.culprits.join('\n') === b.culprits.join('\n'))
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
  normaliseAll(into);
  return into;
}

/** Moves every sum's whole multiples of 2^32 into its high limb. */
export function normaliseAll(agg: Aggregate): void {
  const { layout, slots } = agg;
  for (let s = 0; s < layout.strategies.length; s++) {
    for (let k = 0; k < JOB_KINDS.length; k++) {
      for (let h = 0; h < layout.histogramCount; h++) {
        normaliseSum(slots, layout.histogram(s, k, h));
      }
    }
  }
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
  return out;
}

/** Inverse of {@link encodeSparse}; checks every index and value. */
export function decodeSparse(layout: AggregateLayout, sparse: readonly number[]): Aggregate {
  if (sparse.length % 2 !== 0) {
    throw new RangeError(`sparse aggregate has an odd length ${sparse.length}`);
  }
  const agg = emptyAggregate(layout);
  let previous = -1;
  for (let i = 0; i < sparse.length; i += 2) {
    const index = sparse[i]!;
    const value = sparse[i + 1]!;
    if (!Number.isInteger(index) || index < 0 || index >= layout.size) {
      throw new RangeError(`sparse aggregate index ${index} outside [0, ${layout.size})`);
    }
    if (index <= previous) {
      throw new RangeError(`sparse aggregate indices must increase: ${index} after ${previous}`);
    }
    previous = index;
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`sparse aggregate slot ${index} holds ${value}, not a count`);
    }
    agg.slots[index] = value;
  }
  return agg;
}

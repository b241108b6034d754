import { describe, it, expect } from 'vitest';
import {
  AggregateLayout,
  Counter,
  decodeSparse,
  emptyAggregate,
  encodeSparse,
  fleetFromProfiles,
  Hist,
  mergeInto,
  normaliseAll,
  PAIRED_STRIDE,
  type Aggregate,
} from './aggregate';
import { HISTOGRAM_STRIDE, recordMicros, SUM_HI, SUM_LO } from './histogram';
import { FAILURE_REASONS, JOB_KINDS } from './outcome';
import { KeyedStream, keyedStream, StreamPurpose } from './prng';

const LIMB = 2 ** 32;
const STRATEGIES = ['none', 'device-reset', 'fallback'];
const CLASSES = ['nic-25g', 'nvme-ssd'];
const PROFILES = ['compute', 'gpu'];

function layout(): AggregateLayout {
  return new AggregateLayout(STRATEGIES, CLASSES, [], PROFILES, 1);
}

function clone(agg: Aggregate): Aggregate {
  return { layout: agg.layout, slots: new Float64Array(agg.slots) };
}

function bytes(agg: Aggregate): Buffer {
  return Buffer.from(agg.slots.buffer, agg.slots.byteOffset, agg.slots.byteLength);
}

function randInt(s: KeyedStream, n: number): number {
  return Math.floor(s.nextUniform() * n);
}

/** Every (s, k, h) histogram start of a layout. */
function histogramStarts(l: AggregateLayout): number[] {
  const out: number[] = [];
  for (let s = 0; s < l.strategies.length; s++) {
    for (let k = 0; k < JOB_KINDS.length; k++) {
      for (let h = 0; h < l.histogramCount; h++) {
        out.push(l.histogram(s, k, h));
      }
    }
  }
  return out;
}

/**
 * A random aggregate: random integer counts in random slots, histogram values
 * recorded the engine's way, and sums whose low limb sits just below 2^32 so
 * that merges carry.
 */
function randomAggregate(l: AggregateLayout, stream: KeyedStream): Aggregate {
  const agg = emptyAggregate(l);
  const slots = agg.slots;
  const starts = histogramStarts(l);
  // Raw counts anywhere except the sum limbs.
  const limbSlots = new Set(starts.flatMap((b) => [b + SUM_LO, b + SUM_HI]));
  for (let i = 0; i < 300; i++) {
    const slot = randInt(stream, l.size);
    if (!limbSlots.has(slot)) {
      slots[slot]! += randInt(stream, 1_000_000);
    }
  }
  // Values recorded through recordMicros (up to ~1 h in µs, some above 2^32).
  for (let i = 0; i < 200; i++) {
    const base = starts[randInt(stream, starts.length)]!;
    recordMicros(slots, base, randInt(stream, 6e9));
  }
  // Sums sitting near the limb: low limb in [2^32 - 1000, 2^32), a few whole limbs.
  for (let i = 0; i < 20; i++) {
    const base = starts[randInt(stream, starts.length)]!;
    slots[base + SUM_LO] = LIMB - 1 - randInt(stream, 1000);
    slots[base + SUM_HI] = randInt(stream, 5);
  }
  return agg;
}

function shuffled<T>(items: readonly T[], stream: KeyedStream): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randInt(stream, i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Left fold of the aggregates, in the given order, into a fresh empty one. */
function foldInOrder(l: AggregateLayout, aggs: readonly Aggregate[]): Aggregate {
  const total = emptyAggregate(l);
  for (const a of aggs) {
    mergeInto(total, a);
  }
  return total;
}

/** Merges random pairs until one is left: a random tree shape (grouping). */
function mergeRandomTree(aggs: readonly Aggregate[], stream: KeyedStream): Aggregate {
  const pool = aggs.map(clone);
  while (pool.length > 1) {
    const i = randInt(stream, pool.length);
    const a = pool.splice(i, 1)[0]!;
    const j = randInt(stream, pool.length);
    const b = pool.splice(j, 1)[0]!;
    // Either side may be the target.
    pool.push(stream.nextUniform() < 0.5 ? mergeInto(a, b) : mergeInto(b, a));
  }
  return pool[0]!;
}

describe('AggregateLayout', () => {
  it('gives every slot exactly one owner, all below size', () => {
    const l = layout();
    const owner: (string | null)[] = new Array<string | null>(l.size).fill(null);
    const problems: string[] = [];
    const claim = (slot: number, what: string) => {
      if (!(Number.isInteger(slot) && slot >= 0 && slot < l.size)) {
        problems.push(`${what} at ${slot} is outside [0, ${l.size})`);
      } else if (owner[slot] !== null) {
        problems.push(`${what} overlaps ${owner[slot]} at ${slot}`);
      } else {
        owner[slot] = what;
      }
    };
    for (let s = 0; s < STRATEGIES.length; s++) {
      for (let k = 0; k < JOB_KINDS.length; k++) {
        expect(l.histogram(s, k, 0)).toBe(l.block(s, k));
        for (let h = 0; h < l.histogramCount; h++) {
          for (let i = 0; i < HISTOGRAM_STRIDE; i++) {
            claim(l.histogram(s, k, h) + i, `hist ${s}/${k}/${h}[${i}]`);
          }
        }
        for (let c = 0; c < l.counterCount; c++) {
          claim(l.counter(s, k, c), `counter ${s}/${k}/${c}`);
        }
      }
    }
    for (let k = 0; k < JOB_KINDS.length; k++) {
      for (let a = 0; a < STRATEGIES.length; a++) {
        for (let b = 0; b < STRATEGIES.length; b++) {
          claim(l.pair(k, a, b), `pair ${k}/${a}/${b}`);
        }
      }
    }
    claim(l.serversSlot, 'servers');
    l.profiles.forEach((_, p) => {
      for (let s = 0; s < STRATEGIES.length; s++) {
        for (let k = 0; k < JOB_KINDS.length; k++) {
          for (let h = 0; h < Hist.DeviceReinit; h++) {
            for (let i = 0; i < HISTOGRAM_STRIDE; i++) {
              claim(l.profileHistogram(p, s, k, h) + i, `profile hist ${p}/${s}/${k}/${h}[${i}]`);
            }
          }
          for (let c = 0; c < l.counterCount; c++) {
            claim(l.profileCounter(p, s, k, c), `profile counter ${p}/${s}/${k}/${c}`);
          }
        }
      }
    });
    for (let k = 0; k < JOB_KINDS.length; k++) {
      for (let s = 0; s < STRATEGIES.length; s++) {
        for (let m = 0; m < 2; m++) {
          for (let i = 0; i < PAIRED_STRIDE; i++) {
            claim(l.paired(k, s, m) + i, `paired ${k}/${s}/${m}[${i}]`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    // Nothing is left unowned: the layout is dense.
    expect(owner.filter((o) => o === null).length).toBe(0);
  });

  it('sizes the blocks from the strategies, classes and failure reasons', () => {
    const l = layout();
    expect(l.histogramCount).toBe(Hist.DeviceReinit + CLASSES.length);
    expect(l.counterCount).toBe(Counter.Reasons + FAILURE_REASONS.length);
    expect(l.blockSize).toBe(l.histogramCount * HISTOGRAM_STRIDE + l.counterCount);
    const blocks = STRATEGIES.length * JOB_KINDS.length;
    expect(l.profileBlockSize).toBe(Hist.DeviceReinit * HISTOGRAM_STRIDE + l.counterCount);
    expect(l.size).toBe(
      blocks * l.blockSize +
        JOB_KINDS.length * STRATEGIES.length ** 2 +
        1 +
        PROFILES.length * blocks * l.profileBlockSize +
        blocks * 2 * PAIRED_STRIDE,
    );
    expect(l.serversSlot).toBe(l.profilesBase - 1);
  });
});

describe('mergeInto', () => {
  it('adds slot by slot and returns the target', () => {
    const l = layout();
    const a = emptyAggregate(l);
    const b = emptyAggregate(l);
    a.slots[l.counter(1, 0, Counter.Jobs)] = 5;
    b.slots[l.counter(1, 0, Counter.Jobs)] = 7;
    b.slots[l.serversSlot] = 3;
    expect(mergeInto(a, b)).toBe(a);
    expect(a.slots[l.counter(1, 0, Counter.Jobs)]).toBe(12);
    expect(a.slots[l.serversSlot]).toBe(3);
    expect(b.slots[l.counter(1, 0, Counter.Jobs)]).toBe(7);
  });

  it('carries sums across the 2^32 limb', () => {
    const l = layout();
    const base = l.histogram(2, 1, Hist.Downtime);
    const a = emptyAggregate(l);
    const b = emptyAggregate(l);
    a.slots[base + SUM_LO] = LIMB - 10;
    b.slots[base + SUM_LO] = LIMB - 20;
    b.slots[base + SUM_HI] = 1;
    mergeInto(a, b);
    expect(a.slots[base + SUM_LO]).toBe(LIMB - 30);
    expect(a.slots[base + SUM_HI]).toBe(2);
  });

  it('is commutative and associative: any order and grouping gives the same bytes', () => {
    const l = layout();
    const stream = keyedStream(20260101, 0, 0, StreamPurpose.Crash);
    const aggs = Array.from({ length: 10 }, () => randomAggregate(l, stream));
    const originals = aggs.map((a) => bytes(clone(a)));

    const reference = bytes(foldInOrder(l, aggs));
    // Exactness: each histogram's total equals the exact sum of the parts.
    const total = foldInOrder(l, aggs);
    for (const base of histogramStarts(l)) {
      const exact = aggs.reduce(
        (acc, a) =>
          acc + BigInt(a.slots[base + SUM_HI]!) * BigInt(LIMB) + BigInt(a.slots[base + SUM_LO]!),
        0n,
      );
      const merged =
        BigInt(total.slots[base + SUM_HI]!) * BigInt(LIMB) + BigInt(total.slots[base + SUM_LO]!);
      expect(merged).toBe(exact);
      expect(total.slots[base + SUM_LO]).toBeLessThan(LIMB);
    }

    // Orders: 25 random permutations, plus the reversed order.
    const orders = [
      [...aggs].reverse(),
      ...Array.from({ length: 25 }, () => shuffled(aggs, stream)),
    ];
    for (const order of orders) {
      expect(bytes(foldInOrder(l, order)).equals(reference)).toBe(true);
    }
    // Groupings: 25 random merge trees.
    for (let i = 0; i < 25; i++) {
      expect(bytes(mergeRandomTree(aggs, stream)).equals(reference)).toBe(true);
    }
    // Two halves merged separately, then together, both ways round.
    const left = foldInOrder(l, aggs.slice(0, 4));
    const right = foldInOrder(l, aggs.slice(4));
    expect(bytes(mergeInto(clone(left), right)).equals(reference)).toBe(true);
    expect(bytes(mergeInto(clone(right), left)).equals(reference)).toBe(true);

    // The inputs were never modified by folding into fresh aggregates.
    aggs.forEach((a, i) => expect(bytes(a).equals(originals[i]!)).toBe(true));
  });

  it('a merge that only differs in carry placement still gives canonical bytes', () => {
    const l = layout();
    const base = l.histogram(0, 0, Hist.KernelBoot);
    // The same total (3 × 2^32 + 5) split differently between the limbs.
    const a = emptyAggregate(l);
    a.slots[base + SUM_LO] = 3 * LIMB + 5;
    const b = emptyAggregate(l);
    b.slots[base + SUM_LO] = 5;
    b.slots[base + SUM_HI] = 3;
    const merged1 = mergeInto(emptyAggregate(l), a);
    const merged2 = mergeInto(emptyAggregate(l), b);
    expect(bytes(merged1).equals(bytes(merged2))).toBe(true);
  });

  it('refuses aggregates of different layouts', () => {
    const a = emptyAggregate(layout());
    const b = emptyAggregate(new AggregateLayout(['none', 'fallback'], CLASSES));
    const c = emptyAggregate(new AggregateLayout(STRATEGIES, ['nic-25g']));
    expect(() => mergeInto(a, b)).toThrow(/different layouts/);
    expect(() => mergeInto(a, c)).toThrow(/different layouts/);
    expect(() => mergeInto(b, a)).toThrow(RangeError);
  });
});

describe('normaliseAll', () => {
  it('normalises every histogram sum and leaves counters alone', () => {
    const l = layout();
    const agg = emptyAggregate(l);
    const counter = l.counter(0, 0, Counter.Jobs);
    agg.slots[counter] = 5 * LIMB; // a counter is never carried
    for (const base of histogramStarts(l)) {
      agg.slots[base + SUM_LO] = 2 * LIMB + 1;
    }
    normaliseAll(agg);
    expect(agg.slots[counter]).toBe(5 * LIMB);
    for (const base of histogramStarts(l)) {
      expect(agg.slots[base + SUM_LO]).toBe(1);
      expect(agg.slots[base + SUM_HI]).toBe(2);
    }
  });
});

describe('encodeSparse / decodeSparse', () => {
  it('round-trips a random aggregate exactly', () => {
    const l = layout();
    const agg = randomAggregate(l, keyedStream(5, 0, 0, StreamPurpose.Crash));
    const sparse = encodeSparse(agg);
    expect(sparse.length % 2).toBe(0);
    const back = decodeSparse(l, sparse);
    expect(bytes(back).equals(bytes(agg))).toBe(true);
    // JSON-safe.
    expect(decodeSparse(l, JSON.parse(JSON.stringify(sparse)) as number[]).slots).toEqual(
      agg.slots,
    );
  });

  it('lists only non-zero slots, in index order', () => {
    const l = layout();
    const agg = emptyAggregate(l);
    agg.slots[l.serversSlot] = 9;
    agg.slots[3] = 1;
    agg.slots[l.counter(0, 1, Counter.Successes)] = 2;
    expect(encodeSparse(agg)).toEqual([
      3,
      1,
      l.counter(0, 1, Counter.Successes),
      2,
      l.serversSlot,
      9,
    ]);
    expect(encodeSparse(emptyAggregate(l))).toEqual([]);
  });

  it('rejects bad indices, non-integers and odd lengths', () => {
    const l = layout();
    expect(() => decodeSparse(l, [1, 2, 3])).toThrow(/odd length 3/);
    expect(() => decodeSparse(l, [-1, 2])).toThrow(/index -1/);
    expect(() => decodeSparse(l, [l.size, 2])).toThrow(new RegExp(`index ${l.size}`));
    expect(() => decodeSparse(l, [1.5, 2])).toThrow(/index 1\.5/);
    expect(() => decodeSparse(l, [Number.NaN, 2])).toThrow(/index NaN/);
    expect(() => decodeSparse(l, [4, 2.5])).toThrow(/slot 4 holds 2\.5/);
    expect(() => decodeSparse(l, [4, -1])).toThrow(/slot 4 holds -1/);
    expect(() => decodeSparse(l, [4, 2 ** 53])).toThrow(/slot 4/);
    expect(() => decodeSparse(l, [4, Infinity])).toThrow(/slot 4/);
  });
});

describe('fleetFromProfiles', () => {
  /** Records random jobs into profile blocks and, for comparison, into the fleet-wide blocks too. */
  function recordBoth(seed: number): { derived: Aggregate; direct: Aggregate } {
    const l = layout();
    const derived = emptyAggregate(l);
    const direct = emptyAggregate(l);
    const s = keyedStream(seed, 0, 0, StreamPurpose.Crash);
    for (let job = 0; job < 3000; job++) {
      const strategy = randInt(s, STRATEGIES.length);
      const k = randInt(s, JOB_KINDS.length);
      // Profile 1 never has a reboot: its reboot blocks stay empty.
      const p = k === 1 ? 0 : randInt(s, PROFILES.length);
      const block = l.block(strategy, k);
      const pb = l.profileBlock(p, block);
      // Times near 2^32 µs push the low limbs over, so the derived sums must carry.
      const us = randInt(s, 2) === 0 ? randInt(s, 5000) : LIMB - 1 - randInt(s, 1000);
      const h = randInt(s, Hist.DeviceReinit);
      const reason = randInt(s, 3) === 0 ? randInt(s, FAILURE_REASONS.length) : -1;
      for (const agg of [derived, direct]) {
        recordMicros(agg.slots, pb + h * HISTOGRAM_STRIDE, us);
        const counters = pb + Hist.DeviceReinit * HISTOGRAM_STRIDE;
        agg.slots[counters + Counter.Jobs]! += 1;
        agg.slots[counters + (reason < 0 ? Counter.Successes : Counter.Reasons + reason)]! += 1;
      }
      recordMicros(direct.slots, block + h * HISTOGRAM_STRIDE, us);
      const fleetCounters = l.counter(strategy, k, 0);
      direct.slots[fleetCounters + Counter.Jobs]! += 1;
      direct.slots[fleetCounters + (reason < 0 ? Counter.Successes : Counter.Reasons + reason)]! +=
        1;
    }
    return { derived, direct };
  }

  it('writes the very slots recording into the fleet-wide blocks as well would have', () => {
    const { derived, direct } = recordBoth(5);
    expect(bytes(derived).equals(bytes(direct))).toBe(false);
    fleetFromProfiles(derived);
    expect(bytes(derived).equals(bytes(direct))).toBe(true);
    // Some sums did carry into the high limb, and some fleet block had several profiles.
    const l = derived.layout;
    const downtime = l.histogram(0, 0, Hist.Downtime);
    expect(derived.slots[downtime + SUM_HI]).toBeGreaterThan(0);
    expect(derived.slots[downtime + SUM_LO]).toBeLessThan(LIMB);
  });

  it('overwrites what the fleet-wide blocks held, so a second call changes nothing', () => {
    const { derived, direct } = recordBoth(9);
    fleetFromProfiles(derived);
    fleetFromProfiles(derived);
    expect(bytes(derived).equals(bytes(direct))).toBe(true);
    // A block whose profiles had no job ends empty, whatever it held before.
    const l = derived.layout;
    const stale = l.histogram(2, 1, Hist.KernelBoot);
    const blank = emptyAggregate(l);
    blank.slots[stale + 3] = 7;
    blank.slots[l.counter(2, 1, Counter.Jobs)] = 4;
    fleetFromProfiles(blank);
    expect(blank.slots.every((v) => v === 0)).toBe(true);
  });

  it('adds up like a merge: derived per shard, then merged, equals derived once', () => {
    const a = recordBoth(1).derived;
    const b = recordBoth(2).derived;
    const once = clone(a);
    mergeInto(once, b);
    fleetFromProfiles(once);
    fleetFromProfiles(a);
    fleetFromProfiles(b);
    mergeInto(a, b);
    expect(bytes(a).equals(bytes(once))).toBe(true);
  });
});

/**
 * Roll-out waves: which wave each server reboots in, and the per-wave tally a
 * shard fills and the coordinator merges.
 *
 * A wave's tally is its servers, the longest time back in service of a firmware
 * reboot of those servers (the comparison), and per strategy the servers not back
 * in service and the longest time back in service. Counts add and longest times
 * take the maximum, so merging shard tallies is exact, commutative and
 * associative: the merged tally has the same bytes however the fleet was cut.
 */
import type { CompiledExperiment } from './compile';
import type { RolloutSpec } from './rollout-spec';
import { rolloutWaveCount } from './rollout-spec';

/** A roll-out as the engine runs it: waves cut in fleet order, times in µs. */
export interface RolloutPlan {
  servers: number;
  /** Servers of the canary wave (wave 0), or 0 without one. */
  canary: number;
  waveSize: number;
  waves: number;
  strategies: number;
  /** Least time from one wave's start to the next one's, µs. */
  intervalUs: number;
  /** Time a wave stays fully back in service before the next starts, µs. */
  soakUs: number;
  /** Halt after a wave whose not-back share exceeds this; null: never. */
  haltShare: number | null;
}

/** The plan of a spec's `rollout:` block for a fleet of `servers` and `strategies`. */
export function rolloutPlan(r: RolloutSpec, servers: number, strategies: number): RolloutPlan {
  return {
    servers,
    canary: r.canary ?? 0,
    waveSize: r.waveSize,
    waves: rolloutWaveCount(r, servers),
    strategies,
    intervalUs: Math.round((r.intervalMinutes ?? 0) * 60e6),
    soakUs: Math.round((r.soakMinutes ?? 0) * 60e6),
    haltShare: r.haltWhenNotBackShareAbove ?? null,
  };
}

/** The plan of a compiled experiment's roll-out, or null when its spec has none. */
export function rolloutPlanOf(model: CompiledExperiment): RolloutPlan | null {
  const r = model.resolved.spec.rollout;
  return r ? rolloutPlan(r, model.servers, model.strategies.length) : null;
}

/** The wave server `server` reboots in. */
export function waveOf(plan: RolloutPlan, server: number): number {
  if (plan.canary > 0) {
    return server < plan.canary ? 0 : 1 + Math.floor((server - plan.canary) / plan.waveSize);
  }
  return Math.floor(server / plan.waveSize);
}

/** First server of wave `w` (inclusive) and the end of the wave (exclusive). */
export function waveServers(plan: RolloutPlan, w: number): { start: number; end: number } {
  if (plan.canary > 0 && w === 0) {
    return { start: 0, end: plan.canary };
  }
  const start = plan.canary > 0 ? plan.canary + (w - 1) * plan.waveSize : w * plan.waveSize;
  return { start, end: Math.min(plan.servers, start + plan.waveSize) };
}

/** Offsets inside one wave's stride of a tally. */
export const enum WaveSlot {
  /** Servers of the wave simulated (a count). */
  Servers = 0,
  /** Longest time back in service of a firmware reboot of those servers, µs (a maximum). */
  FirmwareLongestUs = 1,
  /** Per strategy s, at {@link strategySlot}: servers not back in service (a count). */
  PerStrategy = 2,
}

/** Slots per strategy: not back in service, then longest time back in service (µs). */
const PER_STRATEGY = 2;

/** A tally of per-wave results. */
export interface RolloutTally {
  waves: number;
  strategies: number;
  /** waves × stride slots; integers below 2^53. */
  slots: Float64Array;
}

/** Slots per wave of a tally of `strategies` strategies. */
export function waveStride(strategies: number): number {
  return WaveSlot.PerStrategy + PER_STRATEGY * strategies;
}

/** Slot of strategy `s`'s not-back count of wave `w`; the longest time is the slot after. */
export function strategySlot(t: RolloutTally, w: number, s: number): number {
  return w * waveStride(t.strategies) + WaveSlot.PerStrategy + PER_STRATEGY * s;
}

export function emptyTally(waves: number, strategies: number): RolloutTally {
  return { waves, strategies, slots: new Float64Array(waves * waveStride(strategies)) };
}

/** Adds (counts) and maximises (longest times) `from` into `into`. */
export function mergeTally(into: RolloutTally, from: RolloutTally): RolloutTally {
  if (into.waves !== from.waves || into.strategies !== from.strategies) {
    throw new RangeError(
      `cannot merge roll-out tallies of ${from.waves} waves × ${from.strategies} strategies into ${into.waves} × ${into.strategies}`,
    );
  }
  const stride = waveStride(into.strategies);
  const a = into.slots;
  const b = from.slots;
  for (let i = 0; i < a.length; i++) {
    const o = i % stride;
    const isMax =
      o === WaveSlot.FirmwareLongestUs ||
      (o >= WaveSlot.PerStrategy && (o - WaveSlot.PerStrategy) % PER_STRATEGY === 1);
    a[i] = isMax ? Math.max(a[i]!, b[i]!) : a[i]! + b[i]!;
  }
  return into;
}

/**
 * JSON-safe encoding: `[waves, strategies, w, ...stride slots of w, ...]` for
 * every wave with servers, in wave order. Equal tallies encode equally.
 */
export function encodeTally(t: RolloutTally): number[] {
  const stride = waveStride(t.strategies);
  const out = [t.waves, t.strategies];
  for (let w = 0; w < t.waves; w++) {
    if (t.slots[w * stride + WaveSlot.Servers]! > 0) {
      out.push(w);
      for (let o = 0; o < stride; o++) {
        out.push(t.slots[w * stride + o]!);
      }
    }
  }
  return out;
}

/** Inverse of {@link encodeTally}; checks the shape against what the caller expects. */
export function decodeTally(
  encoded: readonly number[],
  expect: { waves: number; strategies: number },
): RolloutTally {
  if (!Array.isArray(encoded) || encoded.length < 2) {
    throw new RangeError('roll-out tally is not an array [waves, strategies, ...]');
  }
  const [waves, strategies] = encoded as [number, number];
  if (waves !== expect.waves || strategies !== expect.strategies) {
    throw new RangeError(
      `roll-out tally of ${waves} waves × ${strategies} strategies, expected ${expect.waves} × ${expect.strategies}`,
    );
  }
  const t = emptyTally(waves, strategies);
  const stride = waveStride(strategies);
  if ((encoded.length - 2) % (stride + 1) !== 0) {
    throw new RangeError(`roll-out tally has a length ${encoded.length} that is not whole waves`);
  }
  let previous = -1;
  for (let i = 2; i < encoded.length; i += stride + 1) {
    const w = encoded[i]!;
    if (!Number.isInteger(w) || w <= previous || w >= waves) {
      throw new RangeError(`roll-out tally wave ${w} out of order or outside [0, ${waves})`);
    }
    previous = w;
    for (let o = 0; o < stride; o++) {
      const v = encoded[i + 1 + o]!;
      if (!Number.isSafeInteger(v) || v < 0) {
        throw new RangeError(`roll-out tally wave ${w} slot ${o} holds ${v}, not a count or µs`);
      }
      t.slots[w * stride + o] = v;
    }
  }
  return t;
}

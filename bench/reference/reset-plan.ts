/**
 * Reset plans: the reset steps each device can actually take under a strategy, in
 * the strategy's order. A step the device does not have (no FLR, no PM reset, no
 * device-specific reset), a config-restore its driver cannot do (not loaded, or no
 * save_state and preinit) and a bus reset its bridge refuses (root bus,
 * NO_BUS_RESET) are left out once, when the engine is built, instead of being
 * skipped on every crash.
 */
import {
  DevDist,
  STATE_CODES,
  Step,
  type CompiledProfile,
  type CompiledStrategy,
} from '../../libs/kdump-core/src/compile';
import { DeviceSlot } from './crash-layout';

/** One strategy's reset steps on one profile, device by device. */
export interface ResetPlan {
  /** Device `d`'s steps are entries `first[d]` to `first[d + 1] - 1`. */
  first: Int32Array;
  /** The step ({@link Step}). */
  step: Int32Array;
  /** Distribution slot of the step's duration ({@link DevDist}); -1 for a bus reset. */
  durationDist: Int32Array;
  /** Uniform slot of its effect draw ({@link DeviceSlot}). */
  recoverySlot: Int32Array;
  /**
   * Its effect: `clears[k * STATE_CODES + state]` is the odds that step `k` leaves a
   * device found in `state` quiescent.
   */
  clears: Float64Array;
}

/** A plan without any step: a strategy that resets nothing before probe. */
export function emptyResetPlan(deviceCount: number): ResetPlan {
  return {
    first: new Int32Array(deviceCount + 1),
    step: new Int32Array(0),
    durationDist: new Int32Array(0),
    recoverySlot: new Int32Array(0),
    clears: new Float64Array(0),
  };
}

/**
 * The reset plan of a strategy on a profile.
 * @param loadedBase offset of the strategy's row in `p.loaded`, or -1 when every
 *   driver loads (the next kernel of a planned kexec)
 */
export function resetPlan(
  p: CompiledProfile,
  strategy: CompiledStrategy,
  loadedBase: number,
): ResetPlan {
  const n = p.deviceCount;
  const first = new Int32Array(n + 1);
  const step: number[] = [];
  const durationDist: number[] = [];
  const recoverySlot: number[] = [];
  const clears: number[] = [];
  const take = (s: number, dist: number, slot: number, table: Float64Array, d: number) => {
    step.push(s);
    durationDist.push(dist);
    recoverySlot.push(slot);
    for (let state = 0; state < STATE_CODES; state++) {
      clears.push(table[d * STATE_CODES + state]!);
    }
  };
  for (let d = 0; d < n; d++) {
    first[d] = step.length;
    const loaded = loadedBase < 0 || p.loaded[loadedBase + d] === 1;
    for (const s of strategy.steps) {
      switch (s) {
        case Step.ConfigRestore:
          // preinit is a driver method: it needs the driver loaded, and save_state in the first kernel.
          if (loaded && p.canConfigRestore[d] === 1) {
            take(
              s,
              DevDist.ConfigRestore,
              DeviceSlot.ConfigRestoreRecovers,
              p.configRestoreClears,
              d,
            );
          }
          break;
        case Step.BusReset:
          if (p.busSecondaryReset[p.devBus[d]!] !== 0) {
            take(s, -1, DeviceSlot.BusResetRecovers, p.busClears, d);
          }
          break;
        case Step.DeviceSpecific:
          if (p.hasDeviceSpecific[d] === 1) {
            take(
              s,
              DevDist.DeviceSpecific,
              DeviceSlot.DeviceSpecificRecovers,
              p.deviceSpecificClears,
              d,
            );
          }
          break;
        case Step.Flr:
          if (p.hasFlr[d] === 1) {
            take(s, DevDist.Flr, DeviceSlot.FlrRecovers, p.flrClears, d);
          }
          break;
        case Step.Pm:
          if (p.hasPm[d] === 1) {
            take(s, DevDist.Pm, DeviceSlot.PmRecovers, p.pmClears, d);
          }
          break;
        default:
          throw new RangeError(`strategy ${strategy.name}: unknown reset step code ${s}`);
      }
    }
  }
  first[n] = step.length;
  return {
    first,
    step: Int32Array.from(step),
    durationDist: Int32Array.from(durationDist),
    recoverySlot: Int32Array.from(recoverySlot),
    clears: Float64Array.from(clears),
  };
}

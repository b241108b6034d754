/**
 * Resets and what they do to a device the old kernel left behind: device-specific
 * soft reset, PCIe function-level reset (FLR: wait for pending transactions up to
 * 700 ms, the 100 ms the PCIe spec requires, then poll readiness), PM reset
 * (D3hot → D0, 2 × 10 ms, only when No_Soft_Reset is clear), secondary bus reset,
 * configuration restore, and a driver's own reset under reset_devices. Each has
 * explicit odds per post-crash state: in-flight DMA, a pending interrupt, stale
 * ring state, wedged. A reset either leaves the device quiescent or as it was:
 * a broken one (every odds 0) takes its time and changes nothing.
 */
import { State } from './outcome';

/** Entries per device or step in a reset-effect table: one per {@link State} code. */
const STATES = 5;

/**
 * The state a reset leaves a device in.
 * @param clears a reset-effect table: `clears[offset + state]` is the odds that a
 *   device found in `state` is quiescent afterwards
 * @param u the uniform drawn for this reset of this device
 */
export function resetEffect(
  state: number,
  clears: Float64Array,
  offset: number,
  u: number,
): number {
  return state === State.Quiescent || u < clears[offset + state]! ? State.Quiescent : state;
}

/** Offset of row `i` (a device, or a step of a reset plan) in a reset-effect table. */
export function effectRow(i: number): number {
  return i * STATES;
}

/**
 * The devices of one bring-up while resets run before probe: plain arrays indexed
 * by device (buses for `busDone`), owned by the bring-up and handed to each reset.
 */
export interface ResetScratch {
  /** Each device's state so far. */
  readonly state: Int32Array;
  /**
   * Each device's reset time so far, µs: the row of the bring-up's reinitialisation
   * table the strategy under way writes (swapped per strategy by the bring-up).
   */
  reinitUs: Float64Array;
  /** Resets each device went through: bit `1 << Step.*`. */
  readonly applied: Uint8Array;
  /** 1 for the buses already reset (a bus is reset once per bring-up). */
  readonly busDone: Uint8Array;
}

/** Scratch for `devices` devices and as many buses. */
export function resetScratch(devices: number): ResetScratch {
  return {
    state: new Int32Array(devices),
    reinitUs: new Float64Array(devices),
    applied: new Uint8Array(devices),
    busDone: new Uint8Array(devices),
  };
}

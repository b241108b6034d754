/**
 * Per-device resets: device-specific soft reset, PCIe function-level reset (FLR:
 * wait for pending transactions up to 700 ms, 100 ms, then poll readiness), and
 * PM reset (D3hot → D0, 2 × 10 ms, only when No_Soft_Reset is clear). Not every
 * device has each one, and some have one that is broken: it takes its time and
 * resets nothing (modelled as a reset that never recovers a wedged device and
 * leaves any other dirty state as it was).
 */
import { State } from './outcome';

/**
 * The state a device is left in after a reset that recovers a wedged device with
 * odds `recoversWedged`, given the uniform `u` drawn for it.
 */
export function resetRecovers(state: number, recoversWedged: number, u: number): number {
  if (state === State.Quiescent) {
    return State.Quiescent;
  }
  if (recoversWedged === 0) {
    return state; // a broken reset
  }
  if (state === State.Wedged) {
    return u < recoversWedged ? State.Quiescent : State.Wedged;
  }
  return State.Quiescent;
}

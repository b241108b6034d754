/**
 * Secondary bus reset: the bridge asserts reset on its secondary bus (2 ms), then
 * waits 100 ms and polls readiness (up to 1 s; up to 60 s with RRS). It resets
 * every device below the bridge, the siblings of the device that asked included.
 * Refused on the root bus (root-complex integrated endpoints) and on bridges
 * flagged NO_BUS_RESET; the caller checks that before marking a bus.
 */
import { Step, type CompiledProfile } from './compile';
import { deviceBase, DeviceSlot } from './crash-layout';
import type { DeviceBringUp } from './device-bring-up';
import { State } from './outcome';

/**
 * Resets every marked bus once and every device below it: each device pays the
 * bus's reset time; dirty states clear; a wedged device comes back with its
 * model's odds. Clears the marks.
 * @returns the time of all the bus resets, µs (each bus counted once)
 */
export function busReset(bringUp: DeviceBringUp, p: CompiledProfile, u: Float64Array): number {
  let totalUs = 0;
  for (let b = 0; b < p.busCount; b++) {
    if (bringUp.busMarked[b] === 0) {
      continue;
    }
    bringUp.busMarked[b] = 0; // reset once; the next bring-up starts unmarked
    const t = bringUp.busResetTime(p, b);
    totalUs += t;
    for (let d = 0; d < p.deviceCount; d++) {
      if (p.devBus[d] !== b) {
        continue;
      }
      bringUp.reinitUs[d]! += t;
      bringUp.resetsApplied[d]! |= 1 << Step.BusReset;
      const s = bringUp.state[d]!;
      if (s === State.Wedged) {
        if (u[deviceBase(d) + DeviceSlot.BusResetRecovers]! < p.busRecovers[d]!) {
          bringUp.state[d] = State.Quiescent;
        }
      } else {
        bringUp.state[d] = State.Quiescent;
      }
    }
  }
  return totalUs;
}

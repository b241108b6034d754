/**
 * Secondary bus reset: the bridge asserts reset on its secondary bus (2 ms), then
 * waits 100 ms and polls readiness (up to 1 s; up to 60 s with RRS). It resets
 * every device below the bridge, the siblings of the device that asked included.
 * Refused on the root bus (root-complex integrated endpoints) and on bridges
 * flagged NO_BUS_RESET; reset plans leave the step out there.
 */
import { Step, type CompiledProfile } from './compile';
import { deviceBase, DeviceSlot } from './crash-layout';
import { effectRow, resetEffect, type ResetScratch } from './device-reset';

const BUS_RESET_BIT = 1 << Step.BusReset;

/**
 * Resets bus `b` once in this bring-up: every device below it pays the reset
 * time `us` and meets the reset with its model's per-state odds. A bus already
 * reset in this bring-up is left alone.
 * @param scratch the devices' states, reset times and reset bits so far, updated in place
 * @param u the job's uniforms
 * @returns whether the bus was reset now (the kernel pays `us` once)
 */
export function secondaryBusReset(
  p: CompiledProfile,
  b: number,
  us: number,
  scratch: ResetScratch,
  u: Float64Array,
): boolean {
  if (scratch.busDone[b] !== 0) {
    return false;
  }
  scratch.busDone[b] = 1;
  const clears = p.busClears;
  const { state, reinitUs, applied } = scratch;
  for (let d = 0; d < p.deviceCount; d++) {
    if (p.devBus[d] !== b) {
      continue;
    }
    reinitUs[d]! += us;
    applied[d]! |= BUS_RESET_BIT;
    state[d] = resetEffect(
      state[d]!,
      clears,
      effectRow(d),
      u[deviceBase(d) + DeviceSlot.BusResetRecovers]!,
    );
  }
  return true;
}

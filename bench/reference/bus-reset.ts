/**
 * Secondary bus reset: the bridge asserts reset on its secondary bus (2 ms), then
 * waits 100 ms and polls readiness (up to 1 s; up to 60 s with RRS). It resets
 * every device below the bridge, the siblings of the device that asked included.
 * Refused on the root bus (root-complex integrated endpoints) and on bridges
 * flagged NO_BUS_RESET; reset plans leave the step out there.
 */
import type { CompiledProfile } from '../../libs/kdump-core/src/compile';
import { deviceBase, DeviceSlot } from './crash-layout';
import { effectRow, resetEffect } from './device-reset';

/**
 * Resets bus `b` once: every device below it pays the reset time `us` and meets
 * the reset with its model's per-state odds.
 * @param state device states, updated in place
 * @param reinitUs each device's reinitialisation time so far, µs, updated in place
 * @param applied each device's reset bits, updated in place (`bit` is the bus reset's)
 * @param u the job's uniforms
 */
export function secondaryBusReset(
  p: CompiledProfile,
  b: number,
  us: number,
  bit: number,
  state: Int32Array,
  reinitUs: Float64Array,
  applied: Uint8Array,
  u: Float64Array,
): void {
  const clears = p.busClears;
  for (let d = 0; d < p.deviceCount; d++) {
    if (p.devBus[d] !== b) {
      continue;
    }
    reinitUs[d]! += us;
    applied[d]! |= bit;
    state[d] = resetEffect(
      state[d]!,
      clears,
      effectRow(d),
      u[deviceBase(d) + DeviceSlot.BusResetRecovers]!,
    );
  }
}

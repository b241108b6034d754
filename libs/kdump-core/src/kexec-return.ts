/**
 * The return to production by kexec after the dump. The capture kernel reboots
 * into the production kernel with kexec: firmware is skipped, so no POST resets
 * the devices. The capture kernel's drivers run their shutdown methods (which,
 * as on a planned kexec, may fail to quiesce the device); a device whose driver
 * the capture kernel never bound keeps the state the crash and the strategy's
 * resets left. The production kernel then probes every device with plain
 * drivers; one that panics on a dirty device sends the server through panic=N
 * and a firmware reboot after all.
 */
import type { CompiledProfile } from './compile';
import { pickDeviceState } from './crash-detection';
import { deviceBase, DeviceSlot } from './crash-layout';
import type { DeviceBringUp } from './device-bring-up';
import { State } from './outcome';

/**
 * Whether the production kernel, kexec'd after the dump, panics on a device left dirty.
 * @param b the capture kernel's bring-up under this strategy, just run
 * @param loadedBase offset of the strategy's row in `p.loaded`
 * @param u the job's uniforms
 */
export function kexecReturnFails(
  p: CompiledProfile,
  b: DeviceBringUp,
  loadedBase: number,
  u: Float64Array,
): boolean {
  const probedUntil = b.result.probedUntil;
  for (let d = 0; d < p.deviceCount; d++) {
    const base = deviceBase(d);
    let s: number;
    if (p.loaded[loadedBase + d] === 1 && d < probedUntil) {
      if (p.hasShutdown[d] === 0) {
        // No shutdown method: the device stays busy from the dump.
        s = pickDeviceState(p.idleCum, d * 4, u[base + DeviceSlot.ReturnState]!);
      } else if (u[base + DeviceSlot.ReturnShutdown]! < p.shutdownFailsToQuiesce[d]!) {
        s = pickDeviceState(p.dirtyCum, d * 4, u[base + DeviceSlot.ReturnState]!);
      } else {
        s = State.Quiescent;
      }
    } else {
      s = b.stateBeforeProbe(d); // never bound in the capture kernel: nothing shut it down
    }
    if (s === State.Quiescent || s === State.Wedged) {
      continue; // a wedged device times out in probe: missing, but the kernel lives
    }
    // The production driver meets a state it did not expect: it panics above its oops odds.
    if (u[base + DeviceSlot.ReturnReaction]! >= p.reactCum[d * 3 + 2]!) {
      return true;
    }
  }
  return false;
}

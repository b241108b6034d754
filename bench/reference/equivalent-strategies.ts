/**
 * Strategies that bring a profile's devices up identically. Two strategies that
 * load the same drivers, run out of reservation memory at the same device, try
 * the same reset steps and probe with the same driver treatment (hardened init,
 * and the driver's own reset under reset_devices where a loaded driver honours
 * it), boot with the same irqpoll and bring up the same number of CPUs (the
 * dump's filtering time) meet every crash with the very same draws and so the very same outcome:
 * reset_devices is `none` on a profile where no driver honours it. The engine
 * brings such a class up once and records the outcome for each member, which
 * gives exactly the slots of bringing each member up on its own.
 */
import type { CompiledProfile, CompiledStrategy } from '../../libs/kdump-core/src/compile';

/** Strategies grouped by identical bring-up on one profile, for one job kind. */
export interface BringUpClasses {
  /** The first strategy of each strategy's class (itself when it leads the class). */
  leader: Int32Array;
  /** The next strategy of the same class after each one, or -1. */
  nextInClass: Int32Array;
}

function sameSteps(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) {
    return false;
  }
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      return false;
    }
  }
  return true;
}

/** Whether some driver the row loads (every driver when `loadedBase` is -1) honours reset_devices. */
function anyLoadedDriverResets(p: CompiledProfile, loadedBase: number): boolean {
  for (let d = 0; d < p.deviceCount; d++) {
    if ((loadedBase < 0 || p.loaded[loadedBase + d] === 1) && p.honoursResetDevices[d] === 1) {
      return true;
    }
  }
  return false;
}

function sameLoadedRow(p: CompiledProfile, a: number, b: number): boolean {
  const n = p.deviceCount;
  for (let d = 0; d < n; d++) {
    if (p.loaded[a * n + d] !== p.loaded[b * n + d]) {
      return false;
    }
  }
  return true;
}

function group(
  strategies: readonly CompiledStrategy[],
  same: (a: number, b: number) => boolean,
): BringUpClasses {
  const count = strategies.length;
  const leader = new Int32Array(count);
  const nextInClass = new Int32Array(count).fill(-1);
  const last = new Int32Array(count);
  for (let s = 0; s < count; s++) {
    leader[s] = s;
    last[s] = s;
    for (let r = 0; r < s; r++) {
      if (leader[r] === r && same(r, s)) {
        leader[s] = r;
        nextInClass[last[r]!] = s;
        last[r] = s;
        break;
      }
    }
  }
  return { leader, nextInClass };
}

/** Classes of the capture kernel's bring-up after a crash: the loaded drivers matter. */
export function crashBringUpClasses(
  p: CompiledProfile,
  strategies: readonly CompiledStrategy[],
): BringUpClasses {
  const n = p.deviceCount;
  return group(strategies, (a, b) => {
    const sa = strategies[a]!;
    const sb = strategies[b]!;
    return (
      sameLoadedRow(p, a, b) &&
      p.oomAt[a] === p.oomAt[b] &&
      p.captureCpus[a] === p.captureCpus[b] &&
      sa.irqpoll === sb.irqpoll &&
      sa.hardening === sb.hardening &&
      sameSteps(sa.steps, sb.steps) &&
      (sa.resetDevices === sb.resetDevices || !anyLoadedDriverResets(p, a * n))
    );
  });
}

/** Classes of the next kernel's bring-up after a planned kexec: every driver loads. */
export function kexecBringUpClasses(
  p: CompiledProfile,
  strategies: readonly CompiledStrategy[],
): BringUpClasses {
  return group(strategies, (a, b) => {
    const sa = strategies[a]!;
    const sb = strategies[b]!;
    // The next kernel of a planned kexec is the production one: its command line is
    // not the capture kernel's, so irqpoll and nr_cpus play no part.
    return (
      sa.hardening === sb.hardening &&
      sameSteps(sa.steps, sb.steps) &&
      (sa.resetDevices === sb.resetDevices || !anyLoadedDriverResets(p, -1))
    );
  });
}

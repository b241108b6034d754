/**
 * Naming one server of a fleet: the `index`-th server of a profile, counting
 * that profile's servers in fleet order, is a global server index of the spec.
 * The coordinator's `POST /servers/:profile/:index/...` and `fleetsim trace
 * --profile P --index I` both name servers this way.
 */

/** One entry of a spec's `fleet`. */
export interface FleetEntry {
  profile: string;
  count: number;
}

export type FleetServer =
  | { ok: true; server: number }
  | { ok: false; reason: 'unknown-profile' | 'out-of-range'; message: string };

/**
 * The global server index of the `index`-th server (0-based) of `profile`.
 * A profile may appear in several fleet entries; they count in fleet order.
 */
export function fleetServer(
  fleet: readonly FleetEntry[],
  profile: string,
  index: number,
): FleetServer {
  let start = 0;
  let remaining = index;
  let seen = 0;
  for (const entry of fleet) {
    if (entry.profile === profile) {
      if (remaining < entry.count) {
        return { ok: true, server: start + remaining };
      }
      remaining -= entry.count;
      seen += entry.count;
    }
    start += entry.count;
  }
  if (seen === 0) {
    const profiles = [...new Set(fleet.map((f) => f.profile))].join(', ');
    return {
      ok: false,
      reason: 'unknown-profile',
      message: `profile "${profile}" is not in this fleet (its profiles: ${profiles})`,
    };
  }
  return {
    ok: false,
    reason: 'out-of-range',
    message: `profile "${profile}" has ${seen} server(s) in this fleet (indices 0..${seen - 1}); ${index} is out of range`,
  };
}

/** The fleet of a validated spec. */
export function fleetOf(spec: unknown): FleetEntry[] {
  const fleet = (spec as { fleet?: unknown } | null)?.fleet;
  if (!Array.isArray(fleet)) {
    throw new TypeError('spec has no fleet');
  }
  return fleet as FleetEntry[];
}

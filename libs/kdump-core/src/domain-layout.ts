/**
 * Where the failure domains of a spec lie in the fleet: consecutive servers
 * from the first, entry after entry, `count` domains of `servers` each. Pure
 * arithmetic on the spec, shared by the shard plan (which never cuts a domain)
 * and the domain simulation.
 */
import type { FailureDomainSpec } from './spec-schema';

/** One failure domain: servers [serverStart, serverEnd) of the fleet. */
export interface DomainInstance {
  /** Index of its entry in the spec's `domains:` list. */
  entry: number;
  /** Its number within the entry (0 … count − 1). */
  index: number;
  serverStart: number;
  serverEnd: number;
}

/** Servers the domains of `domains` hold together. */
export function domainServers(domains: readonly FailureDomainSpec[] | undefined): number {
  return (domains ?? []).reduce((a, d) => a + d.servers * (d.count ?? 1), 0);
}

/**
 * The smallest domain boundary at or after `server`: `server` itself when no
 * domain holds it strictly inside, else the end of the domain that does.
 */
export function domainBoundaryAtOrAfter(
  domains: readonly FailureDomainSpec[] | undefined,
  server: number,
): number {
  let start = 0;
  for (const d of domains ?? []) {
    const end = start + d.servers * (d.count ?? 1);
    if (server < end) {
      const into = (server - start) % d.servers;
      return into === 0 ? server : server + d.servers - into;
    }
    start = end;
  }
  return server;
}

/** The domains whose first server lies in [serverStart, serverEnd), in fleet order. */
export function domainsStartingIn(
  domains: readonly FailureDomainSpec[] | undefined,
  serverStart: number,
  serverEnd: number,
): DomainInstance[] {
  const out: DomainInstance[] = [];
  let start = 0;
  (domains ?? []).forEach((d, entry) => {
    const count = d.count ?? 1;
    const first = Math.max(0, Math.ceil((serverStart - start) / d.servers));
    for (let k = first; k < count; k++) {
      const a = start + k * d.servers;
      if (a >= serverEnd) {
        break;
      }
      out.push({ entry, index: k, serverStart: a, serverEnd: a + d.servers });
    }
    start += d.servers * count;
  });
  return out;
}

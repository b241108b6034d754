/**
 * Checks of a spec's failure domains, crash storms and shared dump targets
 * that the schema cannot make: names that refer to each other, domains that
 * fit the fleet, storms inside the horizon. Errors name the field path.
 */
import { didYouMean } from './did-you-mean';
import { compileDistribution } from './distribution';
import type { ExperimentSpec } from './spec-schema';

type PathPart = string | number;

/** Does the spec couple servers (domains, storms or shared dump targets)? */
export function specIsCoupled(spec: ExperimentSpec): boolean {
  return spec.domains !== undefined || spec.storms !== undefined || spec.dumpTargets !== undefined;
}

/**
 * Reports every coupling error through `err`.
 * @param crashCauses the crash causes of the spec's catalogue (built-in and added)
 */
export function checkCoupling(
  spec: ExperimentSpec,
  crashCauses: Record<string, unknown>,
  err: (path: PathPart[], message: string) => void,
): void {
  if (!specIsCoupled(spec)) {
    return;
  }
  const targets = Object.keys(spec.dumpTargets ?? {});
  if (targets.length > 1000) {
    err(['dumpTargets'], `${targets.length} dump targets; at most 1000`);
  }
  const servers = spec.fleet.reduce((a, f) => a + f.count, 0);
  const crash = spec.events.crash;
  const horizonDays = crash?.horizonDays;
  if (!spec.domains) {
    err(
      [spec.storms ? 'storms' : 'dumpTargets'],
      `${spec.storms ? 'storms' : 'dumpTargets'} need failure domains: add a domains: list (servers, dumpTarget)`,
    );
  } else {
    if (!crash) {
      err(['domains'], 'failure domains need crash events (events.crash)');
    } else if (horizonDays === undefined) {
      err(
        ['events', 'crash'],
        'failure domains place crashes in time: give events.crash.horizonDays (crashes fall uniformly over it)',
      );
    }
    let covered = 0;
    const seen = new Set<string>();
    spec.domains.forEach((d, i) => {
      if (seen.has(d.name)) {
        err(['domains', i, 'name'], `domain name "${d.name}" is used twice`);
      }
      seen.add(d.name);
      covered += d.servers * (d.count ?? 1);
      if (!targets.includes(d.dumpTarget)) {
        err(
          ['domains', i, 'dumpTarget'],
          `unknown dump target "${d.dumpTarget}"${didYouMean(d.dumpTarget, targets)} (dumpTargets: ${targets.join(', ') || 'none'})`,
        );
      }
    });
    if (covered > servers) {
      err(
        ['domains'],
        `the domains hold ${covered} servers, the fleet has ${servers}: domains take consecutive servers from the first`,
      );
    }
  }
  for (const [name, t] of Object.entries(spec.dumpTargets ?? {})) {
    for (const field of ['networkWaitMs', 'transferMs'] as const) {
      const d = t[field];
      if (d) {
        try {
          compileDistribution(d, `dumpTargets.${name}.${field}`);
        } catch (e) {
          err(['dumpTargets', name, field], (e as Error).message);
        }
      }
    }
    if (t.operatorMinutes !== undefined && (t.failureAction ?? 'reboot') === 'reboot') {
      err(
        ['dumpTargets', name, 'operatorMinutes'],
        'operatorMinutes applies to failureAction halt or poweroff; failureAction is reboot',
      );
    }
  }
  const domainNames = (spec.domains ?? []).map((d) => d.name);
  const causes = Object.keys(crashCauses);
  (spec.storms ?? []).forEach((s, i) => {
    (s.domains ?? []).forEach((d, j) => {
      if (!domainNames.includes(d)) {
        err(
          ['storms', i, 'domains', j],
          `unknown domain "${d}"${didYouMean(d, domainNames)} (domains: ${domainNames.join(', ')})`,
        );
      }
    });
    const weights = Object.entries(s.causes);
    if (weights.length === 0 || weights.every(([, w]) => w === 0)) {
      err(['storms', i, 'causes'], 'give at least one crash cause with a weight above 0');
    }
    for (const [cause] of weights) {
      if (!causes.includes(cause)) {
        err(
          ['storms', i, 'causes', cause],
          `unknown crash cause "${cause}"${didYouMean(cause, causes)} (known: ${causes.join(', ')})`,
        );
      }
    }
    if ((s.atHours === undefined) === (s.ratePerYear === undefined)) {
      err(
        ['storms', i],
        s.atHours === undefined
          ? 'give the storm atHours (when it starts) or ratePerYear (storms per domain-year)'
          : 'give the storm atHours or ratePerYear, not both',
      );
    }
    if (
      s.ratePerYear !== undefined &&
      horizonDays !== undefined &&
      (s.ratePerYear * horizonDays) / 365 > 1000
    ) {
      err(
        ['storms', i, 'ratePerYear'],
        `${s.ratePerYear} storms per domain-year over ${horizonDays} days is ${+((s.ratePerYear * horizonDays) / 365).toPrecision(4)} storms per domain on average; at most 1000`,
      );
    }
    if (horizonDays !== undefined && s.atHours !== undefined && s.atHours > horizonDays * 24) {
      err(
        ['storms', i, 'atHours'],
        `the storm starts at ${s.atHours} h, after the horizon of ${horizonDays} days (${horizonDays * 24} h)`,
      );
    }
  });
}

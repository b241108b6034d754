import { describe, expect, it } from 'vitest';
import { parseSpecText } from './spec';

const BASE = `name: storms
seed: 1
fleet:
  - { profile: compute-2s, count: 100 }
events:
  crash:
    ratePerServerYear: 1
    horizonDays: 30
    causes: { panic: 1 }
strategies: [rhel-default]
`;

function errors(text: string) {
  const r = parseSpecText(text);
  if (r.ok) {
    throw new Error('expected errors');
  }
  return r.errors.map((e) => `${e.path} (line ${e.line}): ${e.message}`);
}

describe('spec checks of domains, storms and dump targets', () => {
  it('accepts a valid coupled spec', () => {
    const r = parseSpecText(
      BASE +
        `dumpTargets:
  nfs: { protocol: nfs, sessions: 4, sessionMiBps: 100 }
domains:
  - { name: rack, servers: 50, count: 2, dumpTarget: nfs }
storms:
  - { name: bad-kernel, atHours: 2, windowMinutes: 5, share: 0.5, causes: { panic: 1 } }
`,
    );
    expect(r.ok).toBe(true);
  });

  it('names the path, the line and what is wrong, with did-you-mean', () => {
    expect(
      errors(
        BASE +
          `dumpTargets:
  nfs: { protocol: nfs, sessions: 4, sessionMiBps: 100, operatorMinutes: 5 }
domains:
  - { name: rack, servers: 60, count: 2, dumpTarget: nsf }
storms:
  - { name: bad-kernel, atHours: 2000, windowMinutes: 5, share: 0.5, domains: [rak], causes: { panik: 1 } }
`,
      ),
    ).toEqual([
      'dumpTargets.nfs.operatorMinutes (line 12): operatorMinutes applies to failureAction halt or poweroff; failureAction is reboot',
      'domains[0].dumpTarget (line 14): unknown dump target "nsf" (did you mean "nfs"?) (dumpTargets: nfs)',
      'domains (line 14): the domains hold 120 servers, the fleet has 100: domains take consecutive servers from the first',
      'storms[0].domains[0] (line 16): unknown domain "rak" (did you mean "rack"?) (domains: rack)',
      'storms[0].causes.panik (line 16): unknown crash cause "panik" (did you mean "panic"?) (known: panic, oops, hard-lockup, machine-check)',
      'storms[0].atHours (line 16): the storm starts at 2000 h, after the horizon of 30 days (720 h)',
    ]);
  });

  it('asks for a horizon to place crashes in time, and for domains behind storms', () => {
    const perServer = BASE.replace('ratePerServerYear: 1\n    horizonDays: 30', 'perServer: 1');
    expect(
      errors(
        perServer +
          `dumpTargets:
  nfs: { protocol: ssh, sessions: 1, sessionMiBps: 100 }
domains:
  - { name: rack, servers: 10, dumpTarget: nfs }
`,
      ),
    ).toEqual([
      'events.crash (line 7): failure domains place crashes in time: give events.crash.horizonDays (crashes fall uniformly over it)',
    ]);
    expect(
      errors(
        BASE +
          `storms:
  - { name: s, atHours: 1, windowMinutes: 5, share: 0.5, causes: { panic: 1 } }
`,
      ),
    ).toEqual([
      'storms (line 12): storms need failure domains: add a domains: list (servers, dumpTarget)',
    ]);
  });

  it('refuses a bad distribution and an unknown field with their paths', () => {
    const e = errors(
      BASE +
        `dumpTargets:
  nfs: { protocol: nfs, sessions: 4, sessionMiBps: 100, networkWaitMs: { kind: uniform, minMs: 9, maxMs: 1 }, bandwith: 3 }
domains:
  - { name: rack, servers: 10, dumpTarget: nfs }
`,
    );
    expect(e.length).toBeGreaterThan(0);
    expect(e[0]).toContain('dumpTargets.nfs');
    expect(e.join('\n')).toContain('bandwith');
  });
});

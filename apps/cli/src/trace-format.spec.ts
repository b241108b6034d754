import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compileExperiment,
  FleetEngine,
  formatSeconds,
  parseSpecOrThrow,
  type JobTrace,
} from '../../../libs/kdump-core/src';
import { formatTrace, labelOf } from './trace-format';

const quickstart = parseSpecOrThrow(
  readFileSync(join(__dirname, '../../../examples/quickstart.yaml'), 'utf8'),
);
const engine = new FleetEngine(compileExperiment(quickstart));

/** A crash that never reached the capture kernel: every strategy shares the failure. */
const HUNG: JobTrace = {
  server: 4,
  profile: 'compute-2s',
  kind: 'crash',
  event: 0,
  cause: 'hard-lockup',
  bootPath: 'kdump',
  stages: {
    detectionMs: 12_000,
    crashKexecMs: null,
    machineShutdownMs: null,
    staleCpu: false,
    purgatoryMs: null,
    firmwarePostMs: 52_000,
    kernelBootMs: 43_000,
    staleKexecParameters: false,
    backupRegionKiB: 0,
    backupRegionLost: false,
  },
  initialStates: {},
  strategies: [
    {
      strategy: 'none',
      outcome: 'hang-undetected',
      culprit: null,
      culpritDriver: null,
      commandLine: null,
      captureCpus: null,
      kernelBootMs: null,
      dumpMs: null,
      returnToService: null,
      downtimeMs: 695_000,
      devices: [],
    },
  ],
};

describe('formatTrace', () => {
  const trace = engine.traceJob(2500, 'crash', 0);
  const text = formatTrace(trace);

  it('names every strategy with its outcome, and every device in each table', () => {
    expect(text).toMatch(
      /^Outcomes\n {2}STRATEGY +OUTCOME +CULPRIT +CAPTURE KERNEL BOOT +DUMP +DOWNTIME\n/m,
    );
    for (const s of trace.strategies) {
      expect(text).toMatch(new RegExp(`^  ${s.strategy} +${s.outcome} +${s.culprit ?? '-'} `, 'm'));
      expect(text).toContain(`Strategy ${s.strategy}: ${s.outcome}\n`);
      expect(text).toContain(`  downtime             ${formatSeconds(s.downtimeMs / 1000)}\n`);
    }
    for (const name of Object.keys(trace.initialStates)) {
      // Once under the states the crash left, then once per strategy's table.
      expect(text.match(new RegExp(`^  ${name} `, 'gm'))).toHaveLength(1 + trace.strategies.length);
    }
    expect(
      text.match(/^ {2}DEVICE +LOADED +RESETS +STATE AT PROBE +PROBED +PRESENT +REINIT$/gm),
    ).toHaveLength(trace.strategies.length);
  });

  it('goes down the kdump path stage by stage, in kernel order', () => {
    const labels = [
      'cause',
      'detection',
      'crash_kexec',
      'machine_crash_shutdown',
      'stale CPU',
      'purgatory',
      'capture kernel boot',
      'firmware POST',
      'kernel boot',
    ];
    const at = labels.map((l) => text.search(new RegExp(`^  ${l} `, 'm')));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(text).toContain(`  cause                   ${trace.cause}\n`);
    expect(text).toContain(
      `  purgatory               ${formatSeconds(trace.stages.purgatoryMs! / 1000)}\n`,
    );
  });

  it('says what never happened when the capture kernel never started', () => {
    const hung = formatTrace(HUNG);
    expect(hung).toContain('  crash_kexec             - (not reached)\n');
    expect(hung).toContain('  capture kernel boot     - (not reached)\n');
    expect(hung).toContain('  - (the capture kernel never started)\n');
    expect(hung).toContain('Strategy none: hang-undetected\n');
    expect(hung).toContain('  downtime             11.6m\n');
    expect(hung).toContain('  no device was brought up\n');
  });

  it('prints a reboot without crash stages or dump', () => {
    const kexec = parseSpecOrThrow(
      readFileSync(join(__dirname, '../../../examples/kexec-rollout.yaml'), 'utf8'),
    );
    const reboot = formatTrace(new FleetEngine(compileExperiment(kexec)).traceJob(0, 'reboot', 0));
    expect(reboot).toMatch(/^server 0 \(compute-2s\), reboot event 0\n/);
    expect(reboot).toContain('Reboot (kexec)\n');
    expect(reboot).not.toContain('firmware POST'); // kexec skips firmware
    expect(reboot).not.toContain('crash_kexec');
    expect(reboot).not.toMatch(/^ {2}dump /m);
    expect(reboot).toContain('Strategy restore-then-flr: ');
  });

  it('prints fields it does not know instead of dropping them or failing', () => {
    const extended = {
      ...HUNG,
      kexecHandover: { segmentsMiB: 81, checkedMs: 1_500 },
      stages: { ...HUNG.stages, handoverMs: 2_000 },
      initialStates: { nvme0: 'wedged' },
      strategies: [
        {
          ...HUNG.strategies[0]!,
          driver: 'nvidia',
          devices: [
            {
              name: 'nvme0',
              loaded: true,
              resets: ['flr', 'bus-reset'],
              stateAtProbe: 'quiescent',
              probed: true,
              present: true,
              reinitMs: 250,
              resetOdds: { flr: 0.5 },
              waitedMs: 90_000,
            },
          ],
        },
      ],
    } as unknown as JobTrace;
    const out = formatTrace(extended);
    expect(out).toContain('kexec handover\n  segments MiB  81\n  checked       1.5s\n');
    expect(out).toContain('  handover                2.0s\n  capture kernel boot');
    expect(out).toContain('  driver               nvidia\n');
    expect(out).toMatch(/RESET ODDS +WAITED\n/);
    expect(out).toMatch(
      /nvme0 +yes +flr,bus-reset +quiescent +yes +yes +250ms +\{"flr":0\.5\} +1\.5m\n/,
    );
  });

  it('turns field names into labels', () => {
    expect(labelOf('reinitMs')).toBe('reinit');
    expect(labelOf('kexecHandoverMs')).toBe('kexec handover');
    expect(labelOf('culprit')).toBe('culprit');
    expect(labelOf('loadedSegmentsMiB')).toBe('loaded segments MiB');
  });
});

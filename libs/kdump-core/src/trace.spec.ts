import { describe, expect, it } from 'vitest';
import { Counter, emptyAggregate, Hist } from './aggregate';
import { histogramCount, sumMicros } from './histogram';
import { FAILURE_REASONS, JOB_KINDS } from './outcome';
import { exampleText, lab, runAll, type Lab } from '../../../test/fixtures/core';
import type { JobTrace } from './trace';

/** A device trace as a tuple: name, loaded, resets joined by '+', state at probe, probed, present, reinitMs. */
type CompactDevice = [string, boolean, string, string, boolean, boolean, number];
/** A strategy trace as a tuple: strategy, outcome, culprit, kernelBootMs, dumpMs, downtimeMs, devices. */
type CompactStrategy = [
  string,
  string,
  string | null,
  number | null,
  number | null,
  number,
  CompactDevice[],
];

function compact(t: JobTrace): CompactStrategy[] {
  return t.strategies.map((s) => [
    s.strategy,
    s.outcome,
    s.culprit,
    s.kernelBootMs,
    s.dumpMs,
    s.downtimeMs,
    s.devices.map((d): CompactDevice => [
      d.name,
      d.loaded,
      d.resets.join('+'),
      d.stateAtProbe,
      d.probed,
      d.present,
      d.reinitMs,
    ]),
  ]);
}

function withoutStrategies(t: JobTrace): Omit<JobTrace, 'strategies'> {
  const { strategies: _strategies, ...rest } = t;
  return rest;
}

/*
 * The replay contract: these jobs, with these seeds, give exactly these traces.
 * A change here changes every published result of the examples; it must be
 * deliberate (a model change), never a side effect of an optimisation.
 */
const QUICKSTART_A = 0;
const QUICKSTART_A_HEAD = {
  server: 0,
  profile: 'compute-2s',
  kind: 'crash',
  event: 0,
  cause: 'panic',
  bootPath: 'kdump',
  stages: {
    detectionMs: 0.476,
    crashKexecMs: 0.063,
    machineShutdownMs: 16.095,
    staleCpu: false,
    purgatoryMs: 300,
    firmwarePostMs: 36434.275,
    kernelBootMs: 61522.178,
    staleKexecParameters: false,
    backupRegionKiB: 0,
    backupRegionLost: false,
  },
  initialStates: {
    usb0: 'quiescent',
    eth0: 'pending-interrupt',
    nvme0: 'quiescent',
    nvme1: 'quiescent',
  },
};

const QUICKSTART_A_STRATEGIES: CompactStrategy[] = [
  [
    'rhel-default',
    'captured',
    null,
    7259.048,
    12091.08,
    124729.422,
    [
      ['usb0', false, '', 'quiescent', false, false, 0],
      ['eth0', false, '', 'pending-interrupt', false, false, 0],
      ['nvme0', true, '', 'quiescent', true, true, 4315.698],
      ['nvme1', true, '', 'quiescent', true, true, 258.816],
    ],
  ],
  [
    'debian-default',
    'captured',
    null,
    9659.643,
    12091.08,
    127130.017,
    [
      ['usb0', false, '', 'quiescent', false, false, 0],
      ['eth0', true, '', 'pending-interrupt', true, true, 2286.281],
      ['nvme0', true, '', 'quiescent', true, true, 4315.698],
      ['nvme1', true, '', 'quiescent', true, true, 258.816],
    ],
  ],
  [
    'ubuntu-default',
    'captured',
    null,
    9659.643,
    12091.08,
    127130.017,
    [
      ['usb0', false, '', 'quiescent', false, false, 0],
      ['eth0', true, '', 'pending-interrupt', true, true, 2286.281],
      ['nvme0', true, '', 'quiescent', true, true, 4315.698],
      ['nvme1', true, '', 'quiescent', true, true, 258.816],
    ],
  ],
  [
    'none',
    'captured',
    null,
    9445.072,
    12091.08,
    126915.446,
    [
      ['usb0', true, '', 'quiescent', true, true, 245.412],
      ['eth0', true, '', 'pending-interrupt', true, true, 2286.281],
      ['nvme0', true, '', 'quiescent', true, true, 4315.698],
      ['nvme1', true, '', 'quiescent', true, true, 258.816],
    ],
  ],
  [
    'blacklist',
    'captured',
    null,
    9199.66,
    12091.08,
    126670.034,
    [
      ['usb0', false, '', 'quiescent', false, false, 0],
      ['eth0', true, '', 'pending-interrupt', true, true, 2286.281],
      ['nvme0', true, '', 'quiescent', true, true, 4315.698],
      ['nvme1', true, '', 'quiescent', true, true, 258.816],
    ],
  ],
  [
    'whitelist',
    'captured',
    null,
    6913.379,
    12091.08,
    124383.753,
    [
      ['usb0', false, '', 'quiescent', false, false, 0],
      ['eth0', false, '', 'pending-interrupt', false, false, 0],
      ['nvme0', true, '', 'quiescent', true, true, 4315.698],
      ['nvme1', true, '', 'quiescent', true, true, 258.816],
    ],
  ],
  [
    'reset_devices',
    'captured',
    null,
    9445.072,
    12091.08,
    126915.446,
    [
      ['usb0', true, '', 'quiescent', true, true, 245.412],
      ['eth0', true, '', 'pending-interrupt', true, true, 2286.281],
      ['nvme0', true, '', 'quiescent', true, true, 4315.698],
      ['nvme1', true, '', 'quiescent', true, true, 258.816],
    ],
  ],
  [
    'device-reset',
    'captured',
    null,
    11802.554,
    12091.08,
    129272.928,
    [
      ['usb0', true, 'flr', 'quiescent', true, true, 371.393],
      ['eth0', true, 'device-specific', 'quiescent', true, true, 3277.961],
      ['nvme0', true, 'flr', 'quiescent', true, true, 4642.232],
      ['nvme1', true, 'flr', 'quiescent', true, true, 1172.103],
    ],
  ],
  [
    'bus-reset',
    'captured',
    null,
    10256.707,
    12091.08,
    127727.081,
    [
      ['usb0', true, '', 'quiescent', true, true, 245.412],
      ['eth0', true, 'bus-reset', 'quiescent', true, true, 2908.808],
      ['nvme0', true, 'bus-reset', 'quiescent', true, true, 4504.806],
      ['nvme1', true, 'bus-reset', 'quiescent', true, true, 447.924],
    ],
  ],
  [
    'driver-hardening',
    'captured',
    null,
    9850.113,
    12091.08,
    127320.487,
    [
      ['usb0', true, '', 'quiescent', true, true, 289.513],
      ['eth0', true, '', 'pending-interrupt', true, true, 2440.254],
      ['nvme0', true, '', 'quiescent', true, true, 4379.55],
      ['nvme1', true, '', 'quiescent', true, true, 401.931],
    ],
  ],
  [
    'config-restore',
    'captured',
    null,
    9453.388,
    12091.08,
    126923.762,
    [
      ['usb0', true, 'config-restore', 'quiescent', true, true, 247.951],
      ['eth0', true, '', 'pending-interrupt', true, true, 2286.281],
      ['nvme0', true, 'config-restore', 'quiescent', true, true, 4318.364],
      ['nvme1', true, 'config-restore', 'quiescent', true, true, 261.927],
    ],
  ],
  [
    'fallback',
    'captured',
    null,
    9566.209,
    12091.08,
    127036.583,
    [
      ['usb0', true, 'config-restore', 'quiescent', true, true, 247.951],
      ['eth0', true, 'flr', 'quiescent', true, true, 2399.102],
      ['nvme0', true, 'config-restore', 'quiescent', true, true, 4318.364],
      ['nvme1', true, 'config-restore', 'quiescent', true, true, 261.927],
    ],
  ],
];

const QUICKSTART_B = 12;
const QUICKSTART_B_HEAD = {
  server: 12,
  profile: 'compute-2s',
  kind: 'crash',
  event: 0,
  cause: 'panic',
  bootPath: 'kdump',
  stages: {
    detectionMs: 0.671,
    crashKexecMs: 0.08,
    machineShutdownMs: 9.627,
    staleCpu: false,
    purgatoryMs: 300,
    firmwarePostMs: 50745.736,
    kernelBootMs: 62405.871,
    staleKexecParameters: false,
    backupRegionKiB: 0,
    backupRegionLost: false,
  },
  initialStates: {
    usb0: 'quiescent',
    eth0: 'quiescent',
    nvme0: 'in-flight-dma',
    nvme1: 'quiescent',
  },
};

const QUICKSTART_B_STRATEGIES: CompactStrategy[] = [
  [
    'rhel-default',
    'capture-kernel-panic',
    'nvme0',
    7843.791,
    null,
    135188.986,
    [
      ['usb0', false, '', 'quiescent', false, false, 0],
      ['eth0', false, '', 'quiescent', false, false, 0],
      ['nvme0', true, '', 'in-flight-dma', true, false, 2584.985],
      ['nvme1', true, '', 'quiescent', false, false, 0],
    ],
  ],
  [
    'debian-default',
    'capture-kernel-panic',
    'nvme0',
    8546.336,
    null,
    135891.531,
    [
      ['usb0', false, '', 'quiescent', false, false, 0],
      ['eth0', true, '', 'quiescent', true, true, 669.091],
      ['nvme0', true, '', 'in-flight-dma', true, false, 2584.985],
      ['nvme1', true, '', 'quiescent', false, false, 0],
    ],
  ],
  [
    'ubuntu-default',
    'capture-kernel-panic',
    'nvme0',
    8546.336,
    null,
    135891.531,
    [
      ['usb0', false, '', 'quiescent', false, false, 0],
      ['eth0', true, '', 'quiescent', true, true, 669.091],
      ['nvme0', true, '', 'in-flight-dma', true, false, 2584.985],
      ['nvme1', true, '', 'quiescent', false, false, 0],
    ],
  ],
  [
    'none',
    'capture-kernel-panic',
    'nvme0',
    8307.915,
    null,
    135653.11,
    [
      ['usb0', true, '', 'quiescent', true, true, 168.547],
      ['eth0', true, '', 'quiescent', true, true, 669.091],
      ['nvme0', true, '', 'in-flight-dma', true, false, 2584.985],
      ['nvme1', true, '', 'quiescent', false, false, 0],
    ],
  ],
  [
    'blacklist',
    'capture-kernel-panic',
    'nvme0',
    8139.368,
    null,
    135484.563,
    [
      ['usb0', false, '', 'quiescent', false, false, 0],
      ['eth0', true, '', 'quiescent', true, true, 669.091],
      ['nvme0', true, '', 'in-flight-dma', true, false, 2584.985],
      ['nvme1', true, '', 'quiescent', false, false, 0],
    ],
  ],
  [
    'whitelist',
    'capture-kernel-panic',
    'nvme0',
    7470.277,
    null,
    134815.472,
    [
      ['usb0', false, '', 'quiescent', false, false, 0],
      ['eth0', false, '', 'quiescent', false, false, 0],
      ['nvme0', true, '', 'in-flight-dma', true, false, 2584.985],
      ['nvme1', true, '', 'quiescent', false, false, 0],
    ],
  ],
  [
    'reset_devices',
    'capture-kernel-panic',
    'nvme0',
    8307.915,
    null,
    135653.11,
    [
      ['usb0', true, '', 'quiescent', true, true, 168.547],
      ['eth0', true, '', 'quiescent', true, true, 669.091],
      ['nvme0', true, '', 'in-flight-dma', true, false, 2584.985],
      ['nvme1', true, '', 'quiescent', false, false, 0],
    ],
  ],
  [
    'device-reset',
    'captured',
    null,
    13453.782,
    6448.535,
    137247.512,
    [
      ['usb0', true, 'flr', 'quiescent', true, true, 370.755],
      ['eth0', true, 'device-specific', 'quiescent', true, true, 4499.523],
      ['nvme0', true, 'flr', 'quiescent', true, true, 2864.393],
      ['nvme1', true, 'flr', 'quiescent', true, true, 833.819],
    ],
  ],
  [
    'bus-reset',
    'captured',
    null,
    9687.037,
    6448.535,
    133480.767,
    [
      ['usb0', true, '', 'quiescent', true, true, 168.547],
      ['eth0', true, 'bus-reset', 'quiescent', true, true, 989.28],
      ['nvme0', true, 'bus-reset', 'quiescent', true, true, 3183.331],
      ['nvme1', true, 'bus-reset', 'quiescent', true, true, 1058.933],
    ],
  ],
  [
    'driver-hardening',
    'dump-target-missing',
    'nvme0',
    9014.814,
    null,
    126360.009,
    [
      ['usb0', true, '', 'quiescent', true, true, 176.83],
      ['eth0', true, '', 'quiescent', true, true, 813.403],
      ['nvme0', true, '', 'in-flight-dma', true, false, 2655.881],
      ['nvme1', true, '', 'quiescent', true, true, 483.408],
    ],
  ],
  [
    'config-restore',
    'captured',
    null,
    8776.741,
    6448.535,
    132570.471,
    [
      ['usb0', true, 'config-restore', 'quiescent', true, true, 171.198],
      ['eth0', true, '', 'quiescent', true, true, 669.091],
      ['nvme0', true, 'config-restore', 'quiescent', true, true, 2588.881],
      ['nvme1', true, 'config-restore', 'quiescent', true, true, 462.279],
    ],
  ],
  [
    'fallback',
    'captured',
    null,
    9081.761,
    6448.535,
    132875.491,
    [
      ['usb0', true, 'config-restore', 'quiescent', true, true, 171.198],
      ['eth0', true, 'flr', 'quiescent', true, true, 974.111],
      ['nvme0', true, 'config-restore', 'quiescent', true, true, 2588.881],
      ['nvme1', true, 'config-restore', 'quiescent', true, true, 462.279],
    ],
  ],
];

const KEXEC_ROLLOUT_0_HEAD = {
  server: 0,
  profile: 'compute-2s',
  kind: 'reboot',
  event: 0,
  cause: null,
  bootPath: 'kexec',
  stages: {
    detectionMs: null,
    crashKexecMs: null,
    machineShutdownMs: null,
    staleCpu: false,
    purgatoryMs: null,
    firmwarePostMs: null,
    kernelBootMs: 36659.234,
    staleKexecParameters: false,
    backupRegionKiB: 0,
    backupRegionLost: false,
  },
  initialStates: { usb0: 'quiescent', eth0: 'quiescent', nvme0: 'quiescent', nvme1: 'quiescent' },
};

const KEXEC_ROLLOUT_0_STRATEGIES: CompactStrategy[] = [
  [
    'none',
    'in-service',
    null,
    45158.844,
    null,
    45158.844,
    [
      ['usb0', true, '', 'quiescent', true, true, 171.074],
      ['eth0', true, '', 'quiescent', true, true, 6241.263],
      ['nvme0', true, '', 'quiescent', true, true, 1437.981],
      ['nvme1', true, '', 'quiescent', true, true, 649.292],
    ],
  ],
  [
    'reset_devices',
    'in-service',
    null,
    45158.844,
    null,
    45158.844,
    [
      ['usb0', true, '', 'quiescent', true, true, 171.074],
      ['eth0', true, '', 'quiescent', true, true, 6241.263],
      ['nvme0', true, '', 'quiescent', true, true, 1437.981],
      ['nvme1', true, '', 'quiescent', true, true, 649.292],
    ],
  ],
  [
    'device-reset',
    'in-service',
    null,
    47932.665,
    null,
    47932.665,
    [
      ['usb0', true, 'flr', 'quiescent', true, true, 292.653],
      ['eth0', true, 'device-specific', 'quiescent', true, true, 8296.743],
      ['nvme0', true, 'flr', 'quiescent', true, true, 1619.461],
      ['nvme1', true, 'flr', 'quiescent', true, true, 1064.574],
    ],
  ],
  [
    'driver-hardening',
    'in-service',
    null,
    45347.797,
    null,
    45347.797,
    [
      ['usb0', true, '', 'quiescent', true, true, 213.117],
      ['eth0', true, '', 'quiescent', true, true, 6328.923],
      ['nvme0', true, '', 'quiescent', true, true, 1450.71],
      ['nvme1', true, '', 'quiescent', true, true, 695.813],
    ],
  ],
  [
    'restore-then-flr',
    'in-service',
    null,
    45444.812,
    null,
    45444.812,
    [
      ['usb0', true, 'config-restore', 'quiescent', true, true, 172.993],
      ['eth0', true, 'flr', 'quiescent', true, true, 6518.239],
      ['nvme0', true, 'config-restore', 'quiescent', true, true, 1444.202],
      ['nvme1', true, 'config-restore', 'quiescent', true, true, 650.144],
    ],
  ],
];

describe('exact traces (replay contract)', () => {
  const quickstart = lab(exampleText('quickstart.yaml'));
  const rollout = lab(exampleText('kexec-rollout.yaml'));

  it(`quickstart, server ${QUICKSTART_A}, crash 0: a crash every strategy captures`, () => {
    const t = quickstart.engine.traceJob(QUICKSTART_A, 'crash', 0);
    expect(withoutStrategies(t)).toEqual(QUICKSTART_A_HEAD);
    expect(compact(t)).toEqual(QUICKSTART_A_STRATEGIES);
  });

  it(`quickstart, server ${QUICKSTART_B}, crash 0: a crash the strategies disagree on`, () => {
    const t = quickstart.engine.traceJob(QUICKSTART_B, 'crash', 0);
    expect(withoutStrategies(t)).toEqual(QUICKSTART_B_HEAD);
    expect(compact(t)).toEqual(QUICKSTART_B_STRATEGIES);
  });

  it('kexec-rollout, server 0, reboot 0', () => {
    const t = rollout.engine.traceJob(0, 'reboot', 0);
    expect(withoutStrategies(t)).toEqual(KEXEC_ROLLOUT_0_HEAD);
    expect(compact(t)).toEqual(KEXEC_ROLLOUT_0_STRATEGIES);
  });

  it("the stage times add up to each outcome's downtime", () => {
    const t = quickstart.engine.traceJob(0, 'crash', 0);
    const st = t.stages;
    const beforeCapture =
      st.detectionMs! + st.crashKexecMs! + st.machineShutdownMs! + st.purgatoryMs!;
    // compute-2s reboots through firmware after the dump: POST, kernel boot, clean device init.
    // (under none every driver loads and, on this crash, every device comes up as it was)
    const none = compact(t).find((s) => s[0] === 'none')!;
    const cleanInit = none[6].reduce((a, d) => a + d[6], 0);
    for (const s of t.strategies) {
      const back = st.firmwarePostMs! + st.kernelBootMs + cleanInit;
      expect(s.downtimeMs).toBeCloseTo(beforeCapture + s.kernelBootMs! + s.dumpMs! + back, 2);
    }
  });
});

describe('traceJob', () => {
  it('refuses a job the shard run never simulates', () => {
    const quickstart = lab(exampleText('quickstart.yaml'));
    expect(() => quickstart.engine.traceJob(0, 'crash', 1)).toThrow(
      /server 0 has 1 crash event\(s\); event 1 does not happen/,
    );
    expect(() => quickstart.engine.traceJob(0, 'reboot', 0)).toThrow(/no reboot events/);
    expect(() => quickstart.engine.traceJob(3000, 'crash', 0)).toThrow(/outside the fleet of 3000/);
  });

  it('gives deep-equal traces when the same job is traced twice, on one engine or two', () => {
    const a = lab(exampleText('quickstart.yaml'));
    const b = lab(exampleText('quickstart.yaml'));
    for (const server of [0, 274, 1499, 1500, 2999]) {
      const first = a.engine.traceJob(server, 'crash');
      a.engine.traceJob((server + 1) % 3000, 'crash');
      expect(a.engine.traceJob(server, 'crash')).toEqual(first);
      expect(b.engine.traceJob(server, 'crash')).toEqual(first);
    }
  });

  it("does not disturb a following runShard: the aggregate equals a fresh engine's", () => {
    const fresh = lab(exampleText('quickstart.yaml'));
    const traced = lab(exampleText('quickstart.yaml'));
    for (const server of [0, 17, 274, 2999]) {
      traced.engine.traceJob(server, 'crash');
    }
    expect(firstDifference(runAll(traced).slots, runAll(fresh).slots)).toBe(-1);
  });

  it('does not disturb a runShard it interleaves with', () => {
    const fresh = lab(exampleText('quickstart.yaml'));
    const traced = lab(exampleText('quickstart.yaml'));
    const agg = emptyAggregate(traced.engine.layout);
    traced.engine.runShard({ index: 0, serverStart: 0, serverEnd: 1200 }, agg);
    traced.engine.traceJob(2500, 'crash');
    traced.engine.runShard({ index: 1, serverStart: 1200, serverEnd: 3000 }, agg);
    expect(firstDifference(agg.slots, runAll(fresh).slots)).toBe(-1);
    expect(agg.slots[agg.layout.serversSlot]).toBe(3000);
  });

  it('gives exactly what the job contributes to the aggregate', () => {
    checkContributions(lab(exampleText('quickstart.yaml')), 'crash', 60);
    checkContributions(lab(exampleText('kexec-rollout.yaml')), 'reboot', 60);
  });

  it('labels the boot path and leaves crash stages empty on a planned reboot', () => {
    const t = lab(exampleText('kexec-rollout.yaml')).engine.traceJob(3, 'reboot');
    expect(t.kind).toBe('reboot');
    expect(t.bootPath).toBe('kexec');
    expect(t.cause).toBeNull();
    expect(t.stages.detectionMs).toBeNull();
    for (const s of t.strategies) {
      expect(s.dumpMs).toBeNull();
      expect(s.devices.every((d) => d.loaded)).toBe(true);
    }
    const c = lab(exampleText('quickstart.yaml')).engine.traceJob(3, 'crash');
    expect(c.kind).toBe('crash');
    expect(c.bootPath).toBe('kdump');
  });
});

/**
 * For each of the first `servers` servers: a one-server shard's aggregate holds
 * exactly the trace's outcome, reason, times, device times and pair counts.
 */
function checkContributions(l: Lab, kind: 'crash' | 'reboot', servers: number): void {
  const k = JOB_KINDS.indexOf(kind);
  const layout = l.engine.layout;
  const success = kind === 'crash' ? 'captured' : 'in-service';
  const us = (ms: number) => Math.round(ms * 1000);
  for (let server = 0; server < servers; server++) {
    const t = l.engine.traceJob(server, kind);
    const agg = l.engine.runShard({ index: 0, serverStart: server, serverEnd: server + 1 });
    const slots = agg.slots;
    t.strategies.forEach((s, i) => {
      expect(layout.strategies[i]).toBe(s.strategy);
      expect(slots[layout.counter(i, k, Counter.Jobs)]).toBe(1);
      expect(slots[layout.counter(i, k, Counter.Successes)]).toBe(s.outcome === success ? 1 : 0);
      FAILURE_REASONS.forEach((r, j) => {
        expect(slots[layout.counter(i, k, Counter.Reasons + j)]).toBe(s.outcome === r ? 1 : 0);
      });
      const downtime = layout.histogram(i, k, Hist.Downtime);
      expect(histogramCount(slots, downtime)).toBe(1);
      expect(sumMicros(slots, downtime)).toBe(us(s.downtimeMs));
      const boot = layout.histogram(i, k, Hist.KernelBoot);
      // The kernel came up (it may then lack the dump target or a device): its boot is timed.
      const bootRecorded =
        s.outcome === success ||
        s.outcome === 'dump-target-missing' ||
        s.outcome === 'device-missing';
      expect(histogramCount(slots, boot)).toBe(bootRecorded ? 1 : 0);
      if (bootRecorded) {
        expect(sumMicros(slots, boot)).toBe(us(s.kernelBootMs!));
      }
      const dump = layout.histogram(i, k, Hist.Dump);
      expect(sumMicros(slots, dump)).toBe(s.dumpMs === null ? 0 : us(s.dumpMs));
      // Device reinitialisation, per class, for probed devices.
      const profile = l.model.profiles.find((p) => p.name === t.profile)!;
      layout.deviceClasses.forEach((_, c) => {
        let count = 0;
        let sum = 0;
        s.devices.forEach((d, di) => {
          if (d.probed && profile.devClass[di] === c) {
            count++;
            sum += us(d.reinitMs);
          }
        });
        const h = layout.histogram(i, k, Hist.DeviceReinit + c);
        expect(histogramCount(slots, h)).toBe(count);
        expect(sumMicros(slots, h)).toBe(sum);
      });
    });
    // Pairs: jobs where a succeeded and b did not.
    t.strategies.forEach((a, i) =>
      t.strategies.forEach((b, j) => {
        const expected = a.outcome === success && b.outcome !== success ? 1 : 0;
        expect(slots[layout.pair(k, i, j)]).toBe(expected);
      }),
    );
  }
}

/** Index of the first slot where two aggregates differ, or -1 (cheaper than a deep equal). */
function firstDifference(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) {
    return Math.min(a.length, b.length);
  }
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      return i;
    }
  }
  return -1;
}

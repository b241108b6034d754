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
    kernelBootMs: 64580.732,
  },
  initialStates: { usb0: 'quiescent', eth0: 'quiescent', nvme0: 'quiescent', nvme1: 'stale-ring' },
};

const QUICKSTART_A_STRATEGIES: CompactStrategy[] = [
  [
    'none',
    'captured',
    null,
    7164.92,
    12091.08,
    125413.696,
    [
      ['usb0', true, '', 'quiescent', true, true, 131.176],
      ['eth0', true, '', 'quiescent', true, true, 4266.026],
      ['nvme0', true, '', 'quiescent', true, true, 139.494],
      ['nvme1', true, '', 'stale-ring', true, true, 289.359],
    ],
  ],
  [
    'blacklist',
    'captured',
    null,
    7033.744,
    12091.08,
    125282.52,
    [
      ['usb0', false, '', 'quiescent', false, false, 0],
      ['eth0', true, '', 'quiescent', true, true, 4266.026],
      ['nvme0', true, '', 'quiescent', true, true, 139.494],
      ['nvme1', true, '', 'stale-ring', true, true, 289.359],
    ],
  ],
  [
    'whitelist',
    'captured',
    null,
    2767.718,
    12091.08,
    121016.494,
    [
      ['usb0', false, '', 'quiescent', false, false, 0],
      ['eth0', false, '', 'quiescent', false, false, 0],
      ['nvme0', true, '', 'quiescent', true, true, 139.494],
      ['nvme1', true, '', 'stale-ring', true, true, 289.359],
    ],
  ],
  [
    'reset_devices',
    'captured',
    null,
    7164.92,
    12091.08,
    125413.696,
    [
      ['usb0', true, '', 'quiescent', true, true, 131.176],
      ['eth0', true, '', 'quiescent', true, true, 4266.026],
      ['nvme0', true, '', 'quiescent', true, true, 139.494],
      ['nvme1', true, '', 'stale-ring', true, true, 289.359],
    ],
  ],
  [
    'device-reset',
    'captured',
    null,
    11236.615,
    12091.08,
    129485.391,
    [
      ['usb0', true, 'flr', 'quiescent', true, true, 183.713],
      ['eth0', true, 'device-specific', 'quiescent', true, true, 7839.024],
      ['nvme0', true, 'flr', 'quiescent', true, true, 380.463],
      ['nvme1', true, 'flr', 'quiescent', true, true, 494.55],
    ],
  ],
  [
    'bus-reset',
    'captured',
    null,
    7634.56,
    12091.08,
    125883.336,
    [
      ['usb0', true, '', 'quiescent', true, true, 131.176],
      ['eth0', true, 'bus-reset', 'quiescent', true, true, 4581.526],
      ['nvme0', true, 'bus-reset', 'quiescent', true, true, 293.634],
      ['nvme1', true, 'bus-reset', 'quiescent', true, true, 443.499],
    ],
  ],
  [
    'driver-hardening',
    'captured',
    null,
    7928.952,
    12091.08,
    126177.728,
    [
      ['usb0', true, '', 'quiescent', true, true, 171.915],
      ['eth0', true, '', 'quiescent', true, true, 4781.523],
      ['nvme0', true, '', 'quiescent', true, true, 275.093],
      ['nvme1', true, '', 'stale-ring', true, true, 361.556],
    ],
  ],
  [
    'config-restore',
    'captured',
    null,
    7180.118,
    12091.08,
    125428.894,
    [
      ['usb0', true, 'config-restore', 'quiescent', true, true, 133.322],
      ['eth0', true, '', 'quiescent', true, true, 4266.026],
      ['nvme0', true, 'config-restore', 'quiescent', true, true, 147.909],
      ['nvme1', true, 'config-restore', 'quiescent', true, true, 293.996],
    ],
  ],
  [
    'fallback',
    'captured',
    null,
    7264,
    12091.08,
    125512.776,
    [
      ['usb0', true, 'config-restore', 'quiescent', true, true, 133.322],
      ['eth0', true, 'flr', 'quiescent', true, true, 4349.908],
      ['nvme0', true, 'config-restore', 'quiescent', true, true, 147.909],
      ['nvme1', true, 'config-restore', 'quiescent', true, true, 293.996],
    ],
  ],
];

const QUICKSTART_B = 376;
const QUICKSTART_B_HEAD = {
  server: 376,
  profile: 'compute-2s',
  kind: 'crash',
  event: 0,
  cause: 'oops',
  bootPath: 'kdump',
  stages: {
    detectionMs: 1.956,
    crashKexecMs: 0.1,
    machineShutdownMs: 15.367,
    staleCpu: false,
    purgatoryMs: 300,
    firmwarePostMs: 53822.711,
    kernelBootMs: 58763.884,
  },
  initialStates: {
    usb0: 'pending-interrupt',
    eth0: 'quiescent',
    nvme0: 'in-flight-dma',
    nvme1: 'pending-interrupt',
  },
};

const QUICKSTART_B_STRATEGIES: CompactStrategy[] = [
  [
    'none',
    'capture-kernel-panic',
    'nvme0',
    10117.028,
    null,
    139945.093,
    [
      ['usb0', true, '', 'pending-interrupt', true, true, 55.136],
      ['eth0', true, '', 'quiescent', true, true, 5079.15],
      ['nvme0', true, '', 'in-flight-dma', true, false, 0],
      ['nvme1', true, '', 'pending-interrupt', false, false, 0],
    ],
  ],
  [
    'blacklist',
    'capture-kernel-panic',
    'nvme0',
    10061.892,
    null,
    139889.957,
    [
      ['usb0', false, '', 'pending-interrupt', false, false, 0],
      ['eth0', true, '', 'quiescent', true, true, 5079.15],
      ['nvme0', true, '', 'in-flight-dma', true, false, 0],
      ['nvme1', true, '', 'pending-interrupt', false, false, 0],
    ],
  ],
  [
    'whitelist',
    'capture-kernel-panic',
    'nvme0',
    4982.742,
    null,
    134810.807,
    [
      ['usb0', false, '', 'pending-interrupt', false, false, 0],
      ['eth0', false, '', 'quiescent', false, false, 0],
      ['nvme0', true, '', 'in-flight-dma', true, false, 0],
      ['nvme1', true, '', 'pending-interrupt', false, false, 0],
    ],
  ],
  [
    'reset_devices',
    'capture-kernel-panic',
    'nvme0',
    10117.028,
    null,
    139945.093,
    [
      ['usb0', true, '', 'pending-interrupt', true, true, 55.136],
      ['eth0', true, '', 'quiescent', true, true, 5079.15],
      ['nvme0', true, '', 'in-flight-dma', true, false, 0],
      ['nvme1', true, '', 'pending-interrupt', false, false, 0],
    ],
  ],
  [
    'device-reset',
    'captured',
    null,
    16924.26,
    6322.887,
    143075.212,
    [
      ['usb0', true, 'flr', 'pending-interrupt', true, true, 109.083],
      ['eth0', true, 'device-specific', 'quiescent', true, true, 9720.459],
      ['nvme0', true, 'flr', 'quiescent', true, true, 1524.16],
      ['nvme1', true, 'flr', 'quiescent', true, true, 587.816],
    ],
  ],
  [
    'bus-reset',
    'captured',
    null,
    12792.595,
    6322.887,
    138943.547,
    [
      ['usb0', true, '', 'pending-interrupt', true, true, 55.136],
      ['eth0', true, 'bus-reset', 'quiescent', true, true, 5299.194],
      ['nvme0', true, 'bus-reset', 'quiescent', true, true, 2039.435],
      ['nvme1', true, 'bus-reset', 'quiescent', true, true, 1081.85],
    ],
  ],
  [
    'driver-hardening',
    'dump-target-missing',
    null,
    12258.974,
    null,
    132087.039,
    [
      ['usb0', true, '', 'pending-interrupt', true, true, 129.205],
      ['eth0', true, '', 'quiescent', true, true, 5229.334],
      ['nvme0', true, '', 'in-flight-dma', true, false, 1456.827],
      ['nvme1', true, '', 'pending-interrupt', true, true, 460.866],
    ],
  ],
  [
    'config-restore',
    'captured',
    null,
    11920.711,
    6322.887,
    138071.663,
    [
      ['usb0', true, 'config-restore', 'quiescent', true, true, 56.615],
      ['eth0', true, '', 'quiescent', true, true, 5079.15],
      ['nvme0', true, 'config-restore', 'quiescent', true, true, 1378.001],
      ['nvme1', true, 'config-restore', 'quiescent', true, true, 424.203],
    ],
  ],
  [
    'fallback',
    'captured',
    null,
    12299.481,
    6322.887,
    138450.433,
    [
      ['usb0', true, 'config-restore', 'quiescent', true, true, 56.615],
      ['eth0', true, 'flr', 'quiescent', true, true, 5457.92],
      ['nvme0', true, 'config-restore', 'quiescent', true, true, 1378.001],
      ['nvme1', true, 'config-restore', 'quiescent', true, true, 424.203],
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
    firmwarePostMs: 57810.269,
    kernelBootMs: 39599.158,
  },
  initialStates: { usb0: 'quiescent', eth0: 'quiescent', nvme0: 'quiescent', nvme1: 'quiescent' },
};

const KEXEC_ROLLOUT_0_STRATEGIES: CompactStrategy[] = [
  [
    'none',
    'in-service',
    null,
    42921.232,
    null,
    42921.232,
    [
      ['usb0', true, '', 'quiescent', true, true, 119.849],
      ['eth0', true, '', 'quiescent', true, true, 922.219],
      ['nvme0', true, '', 'quiescent', true, true, 1923.823],
      ['nvme1', true, '', 'quiescent', true, true, 356.183],
    ],
  ],
  [
    'reset_devices',
    'in-service',
    null,
    42921.232,
    null,
    42921.232,
    [
      ['usb0', true, '', 'quiescent', true, true, 119.849],
      ['eth0', true, '', 'quiescent', true, true, 922.219],
      ['nvme0', true, '', 'quiescent', true, true, 1923.823],
      ['nvme1', true, '', 'quiescent', true, true, 356.183],
    ],
  ],
  [
    'device-reset',
    'in-service',
    null,
    55156.567,
    null,
    55156.567,
    [
      ['usb0', true, 'flr', 'quiescent', true, true, 725.513],
      ['eth0', true, 'device-specific', 'quiescent', true, true, 11158.838],
      ['nvme0', true, 'flr', 'quiescent', true, true, 3031.809],
      ['nvme1', true, 'flr', 'quiescent', true, true, 641.249],
    ],
  ],
  [
    'driver-hardening',
    'in-service',
    null,
    43205.852,
    null,
    43205.852,
    [
      ['usb0', true, '', 'quiescent', true, true, 150.456],
      ['eth0', true, '', 'quiescent', true, true, 1053.762],
      ['nvme0', true, '', 'quiescent', true, true, 1949.848],
      ['nvme1', true, '', 'quiescent', true, true, 452.628],
    ],
  ],
  [
    'restore-then-flr',
    'in-service',
    null,
    42965.53,
    null,
    42965.53,
    [
      ['usb0', true, 'config-restore', 'quiescent', true, true, 121.89],
      ['eth0', true, 'flr', 'quiescent', true, true, 961.398],
      ['nvme0', true, 'config-restore', 'quiescent', true, true, 1925.819],
      ['nvme1', true, 'config-restore', 'quiescent', true, true, 357.265],
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

  it(`quickstart, server ${QUICKSTART_B}, crash 0: an oops the strategies disagree on`, () => {
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
    const cleanInit = compact(t)[0]![6].reduce((a, d) => a + d[6], 0);
    for (const s of t.strategies) {
      const back = st.firmwarePostMs + st.kernelBootMs + cleanInit;
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

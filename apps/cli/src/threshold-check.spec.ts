import { describe, expect, it } from 'vitest';
import { parseSpecOrThrow, runExperiment } from '../../../libs/kdump-core/src';
import type { CliIo } from './cli-io';
import { checkThresholds, collectThresholds, THRESHOLD_FAILED_EXIT } from './threshold-check';

const SPEC = `name: gates
seed: 4
fleet:
  - profile: compute-2s
    count: 60
events:
  crash: { perServer: 1, causes: { panic: 1 } }
strategies: [none, fallback]
thresholds:
  - capture(fallback) < 0.01
`;

function io(): CliIo & { errText: () => string } {
  let err = '';
  return {
    out: () => undefined,
    err: (t) => {
      err += t;
    },
    progressStream: null,
    errText: () => err,
  };
}

describe('fail-if thresholds of fleetsim run', () => {
  const resolved = parseSpecOrThrow(SPEC);
  const { report } = runExperiment(resolved);
  const names = { strategies: ['none', 'fallback'], profiles: ['compute-2s'] };

  it('takes the spec thresholds and the --fail-if ones; exit 3 when one holds', () => {
    const setup = collectThresholds(resolved.spec.thresholds, ['capture(none) > 0.99'], names);
    expect(setup.ok).toBe(true);
    const sink = io();
    const rate = report.crash!.strategies[0]!.captureRate.value!;
    expect(checkThresholds(report, setup.ok ? setup.thresholds : [], sink)).toBe(
      rate > 0.99 ? THRESHOLD_FAILED_EXIT : 0,
    );
    expect(sink.errText()).toMatch(/threshold ok {3}capture\(fallback\) < 0.01/);
    const failing = collectThresholds(undefined, ['capture(fallback) <= 1'], names);
    const sink2 = io();
    expect(checkThresholds(report, failing.ok ? failing.thresholds : [], sink2)).toBe(3);
    expect(sink2.errText()).toMatch(/1 of 1 threshold\(s\) failed: exit 3/);
  });

  it('refuses bad grammar and unknown names before the run, each with where it came from', () => {
    const setup = collectThresholds(['capture(fallbak) < 0.9'], ['capture fallback'], names);
    expect(setup).toEqual({
      ok: false,
      lines: [
        `fleetsim: thresholds[0]: threshold "capture(fallbak) < 0.9": unknown strategy "fallbak" (did you mean "fallback"?) (the spec's: none, fallback)`,
        'fleetsim: --fail-if: threshold "capture fallback" does not read as METRIC(STRATEGY[, PROFILE]) OP VALUE, e.g. capture(whitelist) < 0.95',
      ],
    });
  });

  it('says nothing and passes without thresholds', () => {
    const sink = io();
    expect(checkThresholds(report, [], sink)).toBe(0);
    expect(sink.errText()).toBe('');
  });
});

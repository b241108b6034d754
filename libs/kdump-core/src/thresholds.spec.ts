import { describe, expect, it } from 'vitest';
import { runExperiment } from './experiment';
import { formatReportCsv, CSV_COLUMNS } from './report-csv';
import { parseSpecOrThrow } from './spec';
import {
  didYouMean,
  evaluateThresholds,
  parseThreshold,
  thresholdNameErrors,
  type Threshold,
} from './thresholds';

const SPEC = `name: gates
seed: 11
fleet:
  - profile: compute-2s
    count: 150
  - profile: gpu-node
    count: 50
events:
  crash: { perServer: 1, causes: { panic: 1, oops: 1 } }
strategies: [none, whitelist, fallback]
`;
const { report } = runExperiment(parseSpecOrThrow(SPEC));

function parsed(text: string): Threshold {
  const r = parseThreshold(text);
  if (!r.ok) {
    throw new Error(r.message);
  }
  return r.threshold;
}

describe('parseThreshold', () => {
  it('reads metric, strategy, optional profile, operator and value with its unit', () => {
    expect(parsed('capture(whitelist) < 0.95')).toEqual({
      text: 'capture(whitelist) < 0.95',
      metric: 'capture',
      strategy: 'whitelist',
      profile: null,
      op: '<',
      value: 0.95,
    });
    expect(parsed('capture(whitelist, gpu-node) <= 90%').value).toBeCloseTo(0.9, 12);
    expect(parsed('capture(whitelist, gpu-node) <= 90%').profile).toBe('gpu-node');
    expect(parsed('downtime_p95(fallback) > 10m').value).toBe(600);
    expect(parsed('downtime_mean(fallback)>=1500ms').value).toBe(1.5);
    expect(parsed('boot_p95(none) > 2h').value).toBe(7200);
    expect(parsed('capture_vs_baseline(fallback) < 2pp').value).toBeCloseTo(0.02, 12);
  });

  it('refuses what does not read, with the grammar, a did-you-mean, or the unit it takes', () => {
    const no = (text: string) => {
      const r = parseThreshold(text);
      expect(r.ok, text).toBe(false);
      return r.ok ? '' : r.message;
    };
    expect(no('capture whitelist < 0.95')).toMatch(/METRIC\(STRATEGY\[, PROFILE\]\) OP VALUE/);
    expect(no('captur(whitelist) < 0.95')).toMatch(
      /unknown metric "captur" \(did you mean "capture"\?\)/,
    );
    expect(no('capture(whitelist) < 95')).toMatch(/a rate is between 0 and 1/);
    expect(no('capture(whitelist) < 2h')).toMatch(/takes a plain number, %/);
    expect(no('downtime_p99(none, gpu-node) > 1s')).toMatch(/fleet-wide only/);
  });

  it('names strategies and profiles the spec lacks, with the closest', () => {
    const t = parsed('capture(whitelst, gpu) < 0.9');
    expect(thresholdNameErrors(t, ['none', 'whitelist'], ['gpu-node'])).toEqual([
      'threshold "capture(whitelst, gpu) < 0.9": unknown strategy "whitelst" (did you mean "whitelist"?) (the spec\'s: none, whitelist)',
      'threshold "capture(whitelst, gpu) < 0.9": unknown profile "gpu" (the spec\'s: gpu-node)',
    ]);
    expect(didYouMean('zzzz', ['none'])).toBe('');
  });
});

describe('evaluateThresholds', () => {
  const fallback = report.crash!.strategies.find((s) => s.strategy === 'fallback')!;
  const rate = fallback.captureRate.value!;

  it('fails exactly when the condition holds on the report value', () => {
    const results = evaluateThresholds(report, [
      parsed(`capture(fallback) < ${rate + 0.001}`),
      parsed(`capture(fallback) < ${rate - 0.001}`),
      parsed(`capture(fallback) <= ${rate}`),
      parsed(`downtime_p95(fallback) > ${fallback.downtimeSeconds.p95Seconds! - 1}s`),
    ]);
    expect(results.map((r) => r.failed)).toEqual([true, false, true, true]);
    expect(results[0]!.actual).toBe(rate);
    expect(results[0]!.message).toMatch(/^FAIL capture\(fallback\) < /);
    expect(results[1]!.message).toMatch(/^ok {3}capture\(fallback\)/);
  });

  it('reads per-profile values from the profile results, differences from the verdict', () => {
    const gpu = report.crash!.byProfile.find((p) => p.profile === 'gpu-node')!;
    const gpuRate = gpu.strategies.find((s) => s.strategy === 'whitelist')!.rate.value!;
    const [r, d] = evaluateThresholds(report, [
      parsed('capture(whitelist, gpu-node) < 1'),
      parsed('capture_vs_baseline(fallback) < 0pp'),
    ]);
    expect(r!.actual).toBe(gpuRate);
    expect(d!.actual).toBe(
      report.crash!.verdict.ranking.find((e) => e.strategy === 'fallback')!.vsBaseline.rate
        .difference,
    );
  });

  it('fails a check the report cannot answer (no reboots, no rate)', () => {
    const results = evaluateThresholds(report, [
      parsed('in_service(none) < 0.5'),
      parsed('lost_per_1000_year(none) > 10'),
    ]);
    expect(results.every((r) => r.failed && r.actual === null)).toBe(true);
    expect(results[0]!.message).toMatch(/the report has no in_service for none/);
  });
});

describe('formatReportCsv', () => {
  const csv = formatReportCsv(report);
  const rows = csv
    .trimEnd()
    .split('\n')
    .map((l) => l.split(','));

  it('has a header and one row per strategy, fleet-wide then per profile', () => {
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows.slice(1).map((r) => `${r[0]}/${r[1]}/${r[2]}`)).toEqual([
      'crash/*/none',
      'crash/*/whitelist',
      'crash/*/fallback',
      'crash/compute-2s/none',
      'crash/compute-2s/whitelist',
      'crash/compute-2s/fallback',
      'crash/gpu-node/none',
      'crash/gpu-node/whitelist',
      'crash/gpu-node/fallback',
    ]);
    expect(rows.every((r) => r.length === CSV_COLUMNS.length)).toBe(true);
  });

  it('carries the report numbers, and per-profile successes sum to the fleet-wide', () => {
    const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
    report.crash!.strategies.forEach((s, i) => {
      const row = rows[1 + i]!;
      expect(Number(row[col('successes')])).toBe(s.captured);
      expect(Number(row[col('rate')])).toBe(s.captureRate.value);
      const perProfile = rows
        .slice(4)
        .filter((r) => r[2] === s.strategy)
        .reduce((a, r) => a + Number(r[col('successes')]), 0);
      expect(perProfile).toBe(s.captured);
    });
  });
});

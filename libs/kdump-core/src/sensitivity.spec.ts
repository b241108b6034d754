import { describe, expect, it } from 'vitest';
import { runExperiment } from './experiment';
import {
  assumptionParameters,
  checkSensitivityOptions,
  moveValue,
  runSensitivity,
  scaleOdds,
} from './sensitivity';
import { parseSpecOrThrow } from './spec';
import { rowsOfReport } from './sweep';

const BASE = `
name: sens-test
seed: 5
fleet:
  - profile: gpu-node
    count: 400
events:
  crash:
    perServer: 1
    causes: { panic: 1 }
strategies: [none, whitelist, driver-hardening]
`;

describe('moving a figure', () => {
  it('moves odds on the log-odds scale and times by the factor', () => {
    expect(scaleOdds(0.5, 2)).toBeCloseTo(2 / 3, 12);
    expect(scaleOdds(0.2, 0.5)).toBeCloseTo(0.125 / 1.125, 12);
    expect(scaleOdds(0, 2)).toBe(0);
    expect(scaleOdds(1, 0.5)).toBe(1);
    expect(
      moveValue('probeTimeoutMs', { kind: 'lognormal', medianMs: 100, p95Ms: 300 }, 2),
    ).toEqual({
      kind: 'lognormal',
      medianMs: 200,
      p95Ms: 600,
    });
    expect(moveValue('memoryMiB', 40, 0.5)).toBe(20);
    expect(moveValue('kdumpAware', false, 2)).toBeUndefined();
  });

  it('moves a reaction by the odds of not coping and keeps the shares of the rest', () => {
    const r = moveValue(
      'onUnexpectedState',
      { cope: 0.3, failProbe: 0.4, oops: 0.15, panic: 0.15 },
      0.5,
    ) as Record<string, number>;
    const bad = scaleOdds(0.7, 0.5);
    expect(r.cope).toBeCloseTo(1 - bad, 10);
    expect(r.failProbe! / r.panic!).toBeCloseTo(0.4 / 0.15, 8);
    expect(r.cope! + r.failProbe! + r.oops! + r.panic!).toBeCloseTo(1, 10);
  });

  it('moves post-crash state odds together, so they never add up past 1', () => {
    const s = moveValue(
      'postCrashState',
      { inFlightDma: 0.3, pendingInterrupt: 0.2, staleRing: 0.2, wedged: 0.1 },
      2,
    ) as Record<string, number>;
    const total = s.inFlightDma! + s.pendingInterrupt! + s.staleRing! + s.wedged!;
    expect(total).toBeCloseTo(scaleOdds(0.8, 2), 10);
    expect(s.inFlightDma! / s.wedged!).toBeCloseTo(3, 8);
  });
});

describe('checkSensitivityOptions', () => {
  it('gives the defaults and refuses a factor or a count out of range', () => {
    expect(checkSensitivityOptions()).toEqual({
      ok: true,
      value: { factor: 2, maxParameters: 40 },
    });
    expect(checkSensitivityOptions({ factor: 1 })).toEqual({
      ok: false,
      refusal: { code: 'invalid-option', message: 'factor must be above 1, got 1', path: 'factor' },
    });
    expect(checkSensitivityOptions({ maxParameters: 0 })).toMatchObject({
      ok: false,
      refusal: { code: 'invalid-option', path: 'maxParameters' },
    });
  });
});

describe('runSensitivity', () => {
  const resolved = parseSpecOrThrow(BASE);

  it('lists only assumptions of the entries the fleet uses', () => {
    const params = assumptionParameters(resolved);
    expect(params.length).toBeGreaterThan(5);
    expect(params.every((p) => /assumption/i.test(p.source))).toBe(true);
    expect(params.some((p) => p.path === 'catalogue.drivers.nvidia.memoryMiB')).toBe(true);
    expect(params.some((p) => p.path.includes('.i40e.'))).toBe(false);
  });

  const report = runSensitivity(resolved, { only: ['drivers.nvidia.'], maxParameters: 4 });

  it('gives a swing equal to two separate runs with the parameter moved', () => {
    const r = report.results.find((x) => x.path === 'catalogue.drivers.nvidia.onUnexpectedState')!;
    expect(r).toBeDefined();
    for (const [end, value] of [
      ['low', r.lowValue],
      ['high', r.highValue],
    ] as const) {
      const text = `${BASE}catalogue:\n  drivers:\n    nvidia:\n      onUnexpectedState: ${JSON.stringify(value)}\n`;
      const rows = rowsOfReport(runExperiment(parseSpecOrThrow(text)).report);
      rows.forEach((row, i) => expect(r.rows[i]![end]).toEqual(row.rate));
    }
    const base = rowsOfReport(runExperiment(resolved).report);
    r.rows.forEach((row, i) => {
      expect(row.base).toEqual(base[i]!.rate);
      const v = [row.base.value!, row.low.value!, row.high.value!];
      expect(row.swing).toBeCloseTo(Math.max(...v) - Math.min(...v), 12);
    });
    // The whitelist never loads nvidia: it does not move at all.
    expect(r.rows.find((x) => x.strategy === 'whitelist')!.swing).toBe(0);
  });

  it('bounds the work and says what it left out', () => {
    expect(report.results.length).toBeLessThanOrEqual(4);
    expect(report.runs).toBe(1 + 2 * report.results.length);
    expect(report.notMoved.some((n) => n.path === 'catalogue.drivers.nvidia.kdumpAware')).toBe(
      true,
    );
    const swings = report.results.map((x) => x.maxSwing);
    expect([...swings].sort((a, b) => b - a)).toEqual(swings);
  });
});

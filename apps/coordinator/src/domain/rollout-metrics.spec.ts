import { describe, expect, it } from 'vitest';
import { parseSpecOrThrow, runExperiment } from '../../../../libs/kdump-core/src';
import { ROLLOUT_METRICS, rolloutSamples } from './rollout-metrics';

const SPEC = `
name: waves
seed: 4
fleet: [{profile: compute-2s, count: 300}, {profile: gpu-node, count: 100}]
events: {reboot: {perServer: 1, path: kexec}}
strategies: [none, device-reset]
rollout: {canary: 20, waveSize: 60, intervalMinutes: 10, haltWhenNotBackShareAbove: 0.05}
`;

describe('rolloutSamples', () => {
  it("gives each strategy's roll-out figures of the report, labelled by experiment and strategy", () => {
    const { model, aggregate, report } = runExperiment(parseSpecOrThrow(SPEC));
    const samples = rolloutSamples('exp-1', model, aggregate);
    const value = (name: string, strategy: string) =>
      samples[name as keyof typeof samples].find((s) => s.labels.strategy === strategy)?.value;
    for (const s of report.rollout!.strategies) {
      expect(value(ROLLOUT_METRICS.serversRebooted, s.strategy)).toBe(s.serversRebooted);
      expect(value(ROLLOUT_METRICS.notBack, s.strategy)).toBe(s.notBack);
      expect(value(ROLLOUT_METRICS.halted, s.strategy)).toBe(s.halted ? 1 : 0);
      expect(value(ROLLOUT_METRICS.wavesRun, s.strategy)).toBe(s.wavesRun);
      expect(value(ROLLOUT_METRICS.wallClock, s.strategy)).toBe(s.wallClockSeconds);
      expect(value(ROLLOUT_METRICS.firmwareWallClock, s.strategy)).toBe(s.firmwareWallClockSeconds);
      expect(value(ROLLOUT_METRICS.timeSaved, s.strategy)).toBe(s.timeSavedSeconds);
    }
    const all = Object.values(samples).flat();
    expect(all).toHaveLength(7 * 2);
    for (const s of all) {
      expect(Object.keys(s.labels)).toEqual(['experiment', 'strategy']);
      expect(s.labels.experiment).toBe('exp-1');
    }
  });

  it('is empty for a spec without a roll-out', () => {
    const { model, aggregate } = runExperiment(parseSpecOrThrow(SPEC.replace(/^rollout:.*$/m, '')));
    expect(Object.values(rolloutSamples('e', model, aggregate)).flat()).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { Counter } from './aggregate';
import { runExperiment } from './experiment';
import {
  plannedReboot,
  rolloutEngines,
  tallyRollout,
  type PlannedRebootOutcome,
} from './rollout-reboots';
import {
  emptyTally,
  mergeTally,
  strategySlot,
  waveOf,
  WaveSlot,
  waveStride,
} from './rollout-waves';
import { exampleText, lab } from '../../../test/fixtures/core';

/** The kexec roll-out example with crashes too, so the roll-out's engines must leave them out. */
const SPEC = `
name: rollout-reboots
seed: 11
fleet:
  - {profile: compute-2s, count: 150}
  - {profile: gpu-node, count: 90}
events:
  crash: {perServer: 1, causes: {panic: 1}}
  reboot: {perServer: 1, path: kexec}
strategies: [none, device-reset, {name: restore-then-flr, resets: [config-restore, flr]}]
rollout: {canary: 10, waveSize: 40, haltWhenNotBackShareAbove: 0.05}
`;

const outcome = (n: number): PlannedRebootOutcome => ({
  inService: new Uint8Array(n),
  downtimeUs: new Float64Array(n),
});

describe('the planned-reboot adapter', () => {
  it('gives every server the outcome and downtime its traced reboot has', () => {
    const l = lab(SPEC);
    const engines = rolloutEngines(l.engine)!;
    const out = outcome(3);
    const fw = outcome(3);
    let failures = 0;
    for (let server = 0; server < l.model.servers; server++) {
      plannedReboot(engines.planned, server, out);
      plannedReboot(engines.firmware, server, fw);
      const trace = l.engine.traceJob(server, 'reboot', 0);
      trace.strategies.forEach((st, s) => {
        expect(out.inService[s]).toBe(st.outcome === 'in-service' ? 1 : 0);
        expect(out.downtimeUs[s]).toBe(Math.round(st.downtimeMs * 1000));
        failures += 1 - out.inService[s]!;
        // A firmware reboot: POST reset every device, every strategy comes back.
        expect(fw.inService[s]).toBe(1);
      });
      // The same server's firmware reboot: its POST + the same kernel boot + clean devices.
      expect(fw.downtimeUs[0]).toBeGreaterThan(trace.stages.kernelBootMs * 1000);
    }
    expect(failures).toBeGreaterThan(0);
  });

  it('a firmware roll-out uses the spec itself for the comparison', () => {
    const engines = rolloutEngines(lab(SPEC.replace('path: kexec', 'path: firmware')).engine)!;
    expect(engines.firmware).toBe(engines.planned);
  });

  it('is built once per engine, and not at all without a rollout', () => {
    const l = lab(SPEC);
    expect(rolloutEngines(l.engine)).toBe(rolloutEngines(l.engine));
    expect(rolloutEngines(lab(exampleText('kexec-rollout.yaml')).engine)).toBeNull();
  });
});

describe('the roll-out tally', () => {
  it('counts, per wave, what the traces of its servers say', () => {
    const l = lab(SPEC);
    const engines = rolloutEngines(l.engine)!;
    const t = tallyRollout(engines, { index: 0, serverStart: 0, serverEnd: l.model.servers });
    const plan = engines.plan;
    // Independently: one trace per server, folded by hand.
    const servers = new Array<number>(plan.waves).fill(0);
    const notBack = [0, 1, 2].map(() => new Array<number>(plan.waves).fill(0));
    const longest = [0, 1, 2].map(() => new Array<number>(plan.waves).fill(0));
    for (let server = 0; server < l.model.servers; server++) {
      const w = server < 10 ? 0 : 1 + Math.floor((server - 10) / 40);
      servers[w]!++;
      l.engine.traceJob(server, 'reboot', 0).strategies.forEach((st, s) => {
        notBack[s]![w]! += st.outcome === 'in-service' ? 0 : 1;
        longest[s]![w] = Math.max(longest[s]![w]!, Math.round(st.downtimeMs * 1000));
      });
    }
    expect(plan.waves).toBe(7);
    expect(servers).toEqual([10, 40, 40, 40, 40, 40, 30]);
    for (let w = 0; w < plan.waves; w++) {
      expect(t.slots[w * waveStride(3) + WaveSlot.Servers]).toBe(servers[w]);
      for (let s = 0; s < 3; s++) {
        expect(t.slots[strategySlot(t, w, s)]).toBe(notBack[s]![w]);
        expect(t.slots[strategySlot(t, w, s) + 1]).toBe(longest[s]![w]);
      }
    }
  });

  it('is the same bytes whatever the cut of the fleet into shards, merged in any order', () => {
    const l = lab(SPEC);
    const engines = rolloutEngines(l.engine)!;
    const whole = tallyRollout(engines, { index: 0, serverStart: 0, serverEnd: 240 });
    for (const cuts of [
      [0, 1, 240],
      [0, 7, 13, 99, 100, 240],
      [0, 50, 90, 130, 170, 210, 240],
    ]) {
      const parts = cuts
        .slice(1)
        .map((end, i) =>
          tallyRollout(engines, { index: i, serverStart: cuts[i]!, serverEnd: end }),
        );
      const merged = emptyTally(engines.plan.waves, 3);
      parts.reverse().forEach((p) => mergeTally(merged, p));
      expect(Buffer.from(merged.slots.buffer).equals(Buffer.from(whole.slots.buffer))).toBe(true);
    }
  });

  it("not back in service, summed over waves, is the reboot section's failures", () => {
    const result = runExperiment(lab(SPEC).resolved, { shardSize: 33 });
    const t = result.aggregate.rollout!;
    const layout = result.aggregate.layout;
    for (let s = 0; s < 3; s++) {
      let notBack = 0;
      for (let w = 0; w < t.waves; w++) {
        notBack += t.slots[strategySlot(t, w, s)]!;
      }
      const jobs = result.aggregate.slots[layout.counter(s, 1, Counter.Jobs)]!;
      const inService = result.aggregate.slots[layout.counter(s, 1, Counter.Successes)]!;
      expect(notBack).toBe(jobs - inService);
    }
    expect(waveOf(rolloutEngines(lab(SPEC).engine)!.plan, 239)).toBe(6);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import {
  compileExperiment,
  FleetEngine,
  parseSpecOrThrow,
  planShards,
  rolloutEngines,
  tallyRollout,
} from '../../../libs/kdump-core/src';
import { serveShards, type ShardRequest, type ShardResponse } from './shard-worker';

const specText = readFileSync(join(__dirname, '../../../examples/quickstart.yaml'), 'utf8').replace(
  /count: \d+/g,
  'count: 10',
);

describe('serveShards', () => {
  it('answers each shard with the aggregate the engine computes, seed override applied', async () => {
    const { port1, port2 } = new MessageChannel();
    serveShards({ specText, seed: 5 }, port1);
    const model = compileExperiment(parseSpecOrThrow(specText, { seed: 5 }));
    const engine = new FleetEngine(model);
    const shards = planShards(model, 4);
    const answers: ShardResponse[] = [];
    const received = new Promise<void>((resolve) => {
      port2.on('message', (r: ShardResponse) => {
        answers.push(r);
        if (answers.length === shards.length) {
          resolve();
        }
      });
    });
    // The second request recycles a dirty buffer: it must be zeroed first.
    const dirty = new Float64Array(engine.layout.size).fill(7);
    shards.forEach((task, i) => {
      const request: ShardRequest = i === 1 ? { task, buffer: dirty.buffer } : { task };
      port2.postMessage(request, i === 1 ? [dirty.buffer] : []);
    });
    await received;
    port1.close();
    port2.close();
    expect(answers.map((a) => a.index)).toEqual(shards.map((s) => s.index));
    answers.forEach((a, i) => {
      const expected = engine.runShard(shards[i]!).slots;
      // Byte comparison: deep equality over 200,000 slots is slow.
      expect(Buffer.from(a.slots.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    });
  });

  it("sends a roll-out spec's shard with the tally of its waves", async () => {
    const text = `
name: waves
seed: 2
fleet: [{profile: compute-2s, count: 30}, {profile: gpu-node, count: 20}]
events: {reboot: {perServer: 1, path: kexec}}
strategies: [none, device-reset]
rollout: {waveSize: 8}
`;
    const { port1, port2 } = new MessageChannel();
    serveShards({ specText: text }, port1);
    const engine = new FleetEngine(compileExperiment(parseSpecOrThrow(text)));
    const task = { index: 1, serverStart: 13, serverEnd: 41 };
    const answer = new Promise<ShardResponse>((resolve) => port2.once('message', resolve));
    port2.postMessage({ task } satisfies ShardRequest);
    const response = await answer;
    port1.close();
    port2.close();
    const expected = tallyRollout(rolloutEngines(engine)!, task);
    expect(Array.from(response.rollout!)).toEqual(Array.from(expected.slots));
    expect(Array.from(response.rollout!).some((v) => v > 0)).toBe(true);
  });

  it('refuses a spec that does not validate', () => {
    const { port1 } = new MessageChannel();
    expect(() => serveShards({ specText: 'name: x\n' }, port1)).toThrow(/does not validate/);
    port1.close();
  });
});

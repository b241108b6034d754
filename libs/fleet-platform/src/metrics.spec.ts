import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerQueueDepthGauge, type CountableQueue } from './metrics';

function queue(name: string, counts: () => Promise<Record<string, number>>): CountableQueue {
  return { name, getJobCounts: counts };
}

describe('registerQueueDepthGauge', () => {
  it('reports every state of every queue at scrape time', async () => {
    const registry = new Registry();
    let waiting = 3;
    registerQueueDepthGauge(registry, [
      queue('shards', () => Promise.resolve({ waiting, active: 2, completed: 10 })),
      queue('experiments', () => Promise.resolve({})),
    ]);
    let text = await registry.metrics();
    expect(text).toContain('fleetsim_queue_jobs{queue="shards",state="waiting"} 3');
    expect(text).toContain('fleetsim_queue_jobs{queue="shards",state="active"} 2');
    expect(text).toContain('fleetsim_queue_jobs{queue="shards",state="failed"} 0');
    expect(text).toContain('fleetsim_queue_jobs{queue="experiments",state="waiting-children"} 0');
    waiting = 0;
    text = await registry.metrics();
    expect(text).toContain('fleetsim_queue_jobs{queue="shards",state="waiting"} 0');
  });

  it('leaves a queue out, rather than hanging or failing, when Redis does not answer', async () => {
    const registry = new Registry();
    registerQueueDepthGauge(
      registry,
      [
        queue('hanging', () => new Promise(() => undefined)),
        queue('failing', () => Promise.reject(new Error('Connection is closed.'))),
        queue('fine', () => Promise.resolve({ waiting: 1 })),
      ],
      50,
    );
    const text = await registry.metrics();
    expect(text).not.toContain('queue="hanging"');
    expect(text).not.toContain('queue="failing"');
    expect(text).toContain('fleetsim_queue_jobs{queue="fine",state="waiting"} 1');
  });
});

/**
 * Faults of issue 10, end to end with the built apps: a worker SIGSTOPped past
 * its lock, and the coordinator SIGTERMed while the last shards are merged.
 * Either way the experiment completes with the embedded report, every shard
 * merged once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { CoordinatorApi, embeddedReport, readText, withoutRun } from './support/api';
import { ROOT, sleep } from './support/apps';
import { useFleet } from './support/fleet-hooks';

let tmp: string;
/** Quickstart with 10× the servers in shards of 100: a few seconds on 2 workers. */
let spec: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fleetsim-faults-e2e-'));
  const parsed = parseYaml(readText(join(ROOT, 'examples/quickstart.yaml'))) as {
    name: string;
    fleet: Array<{ count: number }>;
    run?: Record<string, unknown>;
  };
  parsed.name = 'quickstart-x10';
  for (const group of parsed.fleet) {
    group.count *= 10;
  }
  parsed.run = { ...parsed.run, shardSize: 100 };
  spec = join(tmp, 'quickstart-x10.yaml');
  writeFileSync(spec, stringifyYaml(parsed));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('a worker SIGSTOPped past its lock', () => {
  const h = useFleet('sigstop-worker');

  it('has its shard handed back, then resumes; the report is the embedded one', async () => {
    const reference = embeddedReport(spec);
    // Locks of 4 s, stalled checks every 2 s (the fleet's worker defaults).
    const [coordinator, victim] = await Promise.all([
      h.fleet.coordinator(),
      h.fleet.worker(),
      h.fleet.worker(),
    ]);
    const api = new CoordinatorApi(coordinator.url);
    const id = await api.submit(readText(spec));
    const mid = await api.waitFor(id, (e) => e.shards.done >= 2 || e.state !== 'running', 60_000);
    expect(mid.state).toBe('running');
    victim.kill('SIGSTOP');
    // Past its lock and two stalled checks: the other worker takes the shard back.
    await sleep(9000);
    victim.kill('SIGCONT');
    const done = await api.waitDone(id, 120_000);
    expect(done.shards).toEqual({ done: mid.shards.total, total: mid.shards.total });
    expect(withoutRun(await api.reportText(id))).toBe(withoutRun(await reference));
  });
});

describe('the coordinator SIGTERMed while the last shards are merged', () => {
  const h = useFleet('sigterm-merge');

  it('exits cleanly, and a new one finishes the merge with the embedded report', async () => {
    const reference = embeddedReport(spec);
    const [first] = await Promise.all([h.fleet.coordinator(), h.fleet.worker(), h.fleet.worker()]);
    const api = new CoordinatorApi(first.url);
    const id = await api.submit(readText(spec));
    // The merge runs once the last shard is in: stop the coordinator right then.
    const late = await api.waitFor(
      id,
      (e) => e.shards.done >= e.shards.total - 1 || e.state !== 'running',
      120_000,
    );
    const exit = await first.stop(15_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(['running', 'done']).toContain(late.state);

    await h.fleet.coordinator({ port: first.port, name: 'coordinator-2' });
    const done = await api.waitDone(id, 120_000);
    expect(done.state).toBe('done');
    expect(done.shards.done).toBe(done.shards.total);
    expect(withoutRun(await api.reportText(id))).toBe(withoutRun(await reference));
  });
});

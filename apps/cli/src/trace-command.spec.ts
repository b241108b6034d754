import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  compileExperiment,
  FleetEngine,
  JOB_CONTRACT_VERSION,
  ModelCache,
  parseSpecOrThrow,
  runTraceJob,
  type JobTrace,
} from '../../../libs/kdump-core/src';
import type { CliIo } from './cli-io';
import { main } from './main';
import { formatTrace } from './trace-format';

const QUICKSTART = join(__dirname, '../../../examples/quickstart.yaml');
const KEXEC = join(__dirname, '../../../examples/kexec-rollout.yaml');
const quickstart = parseSpecOrThrow(readFileSync(QUICKSTART, 'utf8'));

async function fleetsim(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    progressStream: null,
  };
  const code = await main(argv, io, {});
  return { code, out, err };
}

/** What a node-worker answers the coordinator's `POST /servers/...` with for this job. */
function coordinatorTrace(spec: unknown, server: number, kind: 'crash' | 'reboot', event = 0) {
  return runTraceJob({ v: JOB_CONTRACT_VERSION, spec, server, kind, event }, new ModelCache());
}

describe('fleetsim trace', () => {
  it('prints as JSON the trace the coordinator serves for the same job', async () => {
    for (const server of [0, 1499, 1500, 2999]) {
      const r = await fleetsim('trace', QUICKSTART, '--server', String(server), '--format', 'json');
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toEqual(coordinatorTrace(quickstart.spec, server, 'crash'));
    }
  });

  it('counts --profile --index servers as the coordinator does, across fleet entries', async () => {
    // gpu-node is the third entry: its server 7 is fleet server 1500 + 1000 + 7.
    const r = await fleetsim(
      'trace',
      QUICKSTART,
      '--profile',
      'gpu-node',
      '--index',
      '7',
      '--format',
      'json',
    );
    expect(r.code).toBe(0);
    const trace = JSON.parse(r.out) as JobTrace;
    expect(trace).toMatchObject({ server: 2507, profile: 'gpu-node' });
    expect(trace).toEqual(coordinatorTrace(quickstart.spec, 2507, 'crash'));
  });

  it('applies --seed, and traces reboots by default when the spec has only reboots', async () => {
    const seeded = await fleetsim(
      'trace',
      QUICKSTART,
      '--server',
      '3',
      '--seed',
      '5',
      '--format',
      'json',
    );
    const reseeded = parseSpecOrThrow(readFileSync(QUICKSTART, 'utf8'), { seed: 5 });
    expect(JSON.parse(seeded.out)).toEqual(coordinatorTrace(reseeded.spec, 3, 'crash'));
    expect(JSON.parse(seeded.out)).not.toEqual(coordinatorTrace(quickstart.spec, 3, 'crash'));

    const kexec = parseSpecOrThrow(readFileSync(KEXEC, 'utf8'));
    const r = await fleetsim('trace', KEXEC, '--server', '0', '--format', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(coordinatorTrace(kexec.spec, 0, 'reboot'));
  });

  it('limits the output to one strategy with --strategy', async () => {
    const r = await fleetsim(
      'trace',
      QUICKSTART,
      '--server',
      '0',
      '--strategy',
      'bus-reset',
      '--format',
      'json',
    );
    const full = coordinatorTrace(quickstart.spec, 0, 'crash');
    expect(JSON.parse(r.out)).toEqual({
      ...full,
      strategies: full.strategies.filter((s) => s.strategy === 'bus-reset'),
    });
    const text = await fleetsim('trace', QUICKSTART, '--server', '0', '--strategy', 'bus-reset');
    expect(text.out).toContain('Strategy bus-reset:');
    expect(text.out.match(/^Strategy /gm)).toHaveLength(1);
  });

  it('prints text: formatTrace of the engine trace, with spec name and seed', async () => {
    const r = await fleetsim('trace', QUICKSTART, '--server', '0');
    expect(r.code).toBe(0);
    const engine = new FleetEngine(compileExperiment(quickstart));
    expect(r.out).toBe(
      formatTrace(engine.traceJob(0, 'crash', 0), { experiment: 'quickstart', seed: 42 }),
    );
    expect(r.out).toMatch(/^quickstart \(seed 42\): server 0 \(compute-2s\), crash event 0\n/);
  });

  it.each([
    [['--server', '3000'], /^--server 3000 is outside the fleet of 3000 servers/],
    [['--profile', 'gpu-node', '--index', '500'], /^--index: profile "gpu-node" has 500 server/],
    [
      ['--profile', 'no-such', '--index', '0'],
      /^--profile: profile "no-such" is not in this fleet/,
    ],
    [['--server', '0', '--event', '1'], /^--event 1: server 0 has 1 crash event\(s\)/],
    [['--server', '0', '--kind', 'reboot'], /^--kind reboot: the spec has no reboot events/],
    [['--server', '0', '--strategy', 'nope'], /^--strategy "nope" .*none, blacklist/],
  ])('refuses %j with exit 2 and one line naming the argument', async (args, message) => {
    const r = await fleetsim('trace', QUICKSTART, ...args);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err.replace(/^fleetsim: /, '')).toMatch(message);
  });

  describe('with an invalid or missing spec', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-trace-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('prints every spec error with its line, exit 2', async () => {
      const spec = join(dir, 'bad.yaml');
      writeFileSync(spec, readFileSync(QUICKSTART, 'utf8').replace('count: 1500', 'count: -1'));
      const r = await fleetsim('trace', spec, '--server', '0');
      expect(r.code).toBe(2);
      expect(r.err).toMatch(new RegExp(`^${spec}:\\d+: fleet\\[0\\]\\.count: `));
    });

    it('names the server when it drew no events of that kind', async () => {
      const spec = join(dir, 'rate.yaml');
      const text = readFileSync(QUICKSTART, 'utf8').replace(
        'perServer: 1',
        'ratePerServerYear: 0.5\n    horizonDays: 365',
      );
      writeFileSync(spec, text);
      const engine = new FleetEngine(compileExperiment(parseSpecOrThrow(text)));
      const none = [...Array(100).keys()].find((s) => engine.eventCount(s, 'crash') === 0)!;
      const two = [...Array(100).keys()].find((s) => engine.eventCount(s, 'crash') === 2)!;
      expect(none).toBeDefined();
      expect(two).toBeDefined();
      const r = await fleetsim('trace', spec, '--server', String(none));
      expect(r.code).toBe(2);
      expect(r.err).toContain(`--server ${none}: server ${none} has no crash events`);
      const ok = await fleetsim(
        'trace',
        spec,
        '--server',
        String(two),
        '--event',
        '1',
        '--format',
        'json',
      );
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.out)).toEqual(engine.traceJob(two, 'crash', 1));
    });

    it('names a file it cannot read', async () => {
      const r = await fleetsim('trace', join(dir, 'missing.yaml'), '--server', '0');
      expect(r.code).toBe(2);
      expect(r.err).toContain('missing.yaml');
    });
  });
});

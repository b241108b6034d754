/**
 * End-to-end tests of `fleetsim trace` and `fleetsim catalogue`: the built CLI
 * (dist/apps/cli/src/main.js; `npm test` builds it first) as a user runs it.
 * Neither command needs Redis or a coordinator.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  BUILTIN_PROFILES,
  compileExperiment,
  FleetEngine,
  JOB_CONTRACT_VERSION,
  ModelCache,
  parseSpecOrThrow,
  runTraceJob,
  type JobTrace,
  type Report,
} from '../libs/kdump-core/src';
import { fleetsim as runFleetsim, type CliResult } from './support/api';
import { CLI_MAIN, ROOT } from './support/apps';

const QUICKSTART = 'examples/quickstart.yaml';
const quickstart = parseSpecOrThrow(readFileSync(join(ROOT, QUICKSTART), 'utf8'));

const fleetsim = (...args: string[]): Promise<CliResult> => runFleetsim(args);

let tmp: string;

beforeAll(() => {
  if (!existsSync(CLI_MAIN)) {
    throw new Error(`${CLI_MAIN} is missing: run \`npm run build\` first (\`npm test\` does it)`);
  }
  tmp = mkdtempSync(join(tmpdir(), 'fleetsim-trace-e2e-'));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('fleetsim trace', () => {
  const engine = new FleetEngine(compileExperiment(quickstart));

  it('prints server 0 of the quickstart as JSON: the engine trace, as the coordinator serves it', async () => {
    const r = await fleetsim('trace', QUICKSTART, '--server', '0', '--format', 'json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const trace = JSON.parse(r.stdout) as JobTrace;
    expect(trace).toEqual(engine.traceJob(0, 'crash', 0));
    expect(trace).toEqual(
      runTraceJob(
        { v: JOB_CONTRACT_VERSION, spec: quickstart.spec, server: 0, kind: 'crash', event: 0 },
        new ModelCache(),
      ),
    );
    expect(r.stdout).toBe(JSON.stringify(trace, null, 2) + '\n');
  });

  it('prints server 0 of the quickstart as text: every stage, strategy and device', async () => {
    const r = await fleetsim('trace', QUICKSTART, '--server', '0');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const trace = engine.traceJob(0, 'crash', 0);
    expect(r.stdout).toMatch(/^quickstart \(seed 42\): server 0 \(compute-2s\), crash event 0\n/);
    for (const stage of ['detection', 'crash_kexec', 'machine_crash_shutdown', 'purgatory']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${stage} +\\S`, 'm'));
    }
    expect(r.stdout).toMatch(/^ {2}capture kernel boot +\S/m);
    for (const s of quickstart.strategies) {
      const outcome = trace.strategies.find((t) => t.strategy === s.name)!.outcome;
      expect(r.stdout).toContain(`\nStrategy ${s.name}: ${outcome}\n`);
    }
    const devices = BUILTIN_PROFILES['compute-2s']!.buses.flatMap((b) => b.devices);
    for (const d of devices) {
      // The states the crash left, then one row per strategy.
      expect(r.stdout.match(new RegExp(`^  ${d.name} +`, 'gm'))).toHaveLength(
        1 + quickstart.strategies.length,
      );
    }
  });

  it('names a server by profile and index as the coordinator route does', async () => {
    const r = await fleetsim(
      'trace',
      QUICKSTART,
      '--profile',
      'storage-2s',
      '--index',
      '999',
      '--strategy',
      'fallback',
      '--format',
      'json',
    );
    expect(r.code).toBe(0);
    const full = engine.traceJob(2499, 'crash', 0);
    expect(JSON.parse(r.stdout)).toEqual({
      ...full,
      strategies: full.strategies.filter((s) => s.strategy === 'fallback'),
    });
  });

  it.each([
    [['--server', '3000'], '--server'],
    [['--server', 'x'], '--server'],
    [['--profile', 'gpu-node', '--index', '500'], '--index'],
    [['--profile', 'no-such', '--index', '0'], '--profile'],
    [['--server', '0', '--event', '1'], '--event'],
    [['--server', '0', '--kind', 'reboot'], '--kind'],
    [['--server', '0', '--kind', 'panic'], '--kind'],
    [['--server', '0', '--strategy', 'nope'], '--strategy'],
    [['--server', '0', '--format', 'yaml'], '--format'],
    [[], '--server'],
  ])('refuses %j with exit 2 and one line naming %s', async (args, name) => {
    const r = await fleetsim('trace', QUICKSTART, ...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(name);
  });
});

describe('fleetsim catalogue', () => {
  /** A spec whose fleet and strategies come from a profile name; the catalogue is appended. */
  const specHead = (profile: string) => `name: copied
seed: 11
fleet:
  - profile: ${profile}
    count: 300
events:
  crash:
    perServer: 1
    causes: { panic: 0.5, hard-lockup: 0.3, machine-check: 0.2 }
`;

  async function runJson(text: string, file: string): Promise<Report> {
    const spec = join(tmp, file);
    writeFileSync(spec, text);
    const r = await fleetsim('run', spec, '--format', 'json', '--threads', '1');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    delete report.run;
    return report;
  }

  it('prints YAML that, pasted into a spec under new names, runs exactly like the original', async () => {
    const names = ['gpu-node', 'gpu', 'nvidia', 'none', 'blacklist', 'device-reset', 'bus-reset'];
    const r = await fleetsim('catalogue', ...names);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# The built-in catalogue, in spec syntax\.\n#/);
    expect(Object.keys(parse(r.stdout) as object)).toEqual(['catalogue', 'strategies']);

    const renamed = r.stdout
      .replace(/^ {4}gpu-node:$/m, '    my-gpu-node:')
      .replace(/^ {4}gpu:$/m, '    my-gpu:')
      .replace(/^ {4}nvidia:$/m, '    my-nvidia:')
      .replace(/model: gpu \}/g, 'model: my-gpu }')
      .replace(/^ {6}driver: nvidia$/m, '      driver: my-nvidia');
    const original = await runJson(specHead('gpu-node') + r.stdout, 'original.yaml');
    const copy = await runJson(specHead('my-gpu-node') + renamed, 'copy.yaml');
    expect(copy.experiment.fleet).toEqual([{ profile: 'my-gpu-node', count: 300 }]);
    expect(copy.experiment.strategies).toEqual(original.experiment.strategies);
    // The same numbers; only the new names differ (culprits and what failures rest on name them).
    const unrenamed = JSON.parse(
      JSON.stringify({ ...copy, experiment: null }).replace(/my-(gpu-node|gpu|nvidia)\b/g, '$1'),
    ) as unknown;
    expect(unrenamed).toEqual({ ...original, experiment: null });
    expect(JSON.stringify(copy)).toContain('my-nvidia');
    expect(original.experiment.strategies).toHaveLength(4);
  });

  it("prints a spec's catalogue with its overrides applied", async () => {
    const spec = join(tmp, 'override.yaml');
    writeFileSync(
      spec,
      `${specHead('gpu-node')}strategies: [none]
catalogue:
  drivers:
    nvidia: { memoryMiB: 777 }
`,
    );
    const r = await fleetsim('catalogue', spec, 'nvidia', '--format', 'json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { catalogue: { drivers: Record<string, unknown> } };
    expect(Object.keys(doc.catalogue)).toEqual(['drivers']);
    expect(doc.catalogue.drivers.nvidia).toMatchObject({ memoryMiB: 777, kdumpAware: false });
    const yaml = await fleetsim('catalogue', spec, 'nvidia');
    expect(yaml.stdout).toMatch(
      new RegExp(`^# The catalogue of ${spec} \\(the built-ins with its overrides applied\\)`),
    );
    expect(yaml.stdout).toMatch(/^ {6}memoryMiB: 777$/m);
  });

  it.each([
    [['no-such-entry'], 'no-such-entry'],
    [['--format', 'table'], '--format'],
    [['examples/no-such-spec.yaml'], 'no-such-spec.yaml'],
  ])('refuses %j with exit 2 and one line naming %s', async (args, name) => {
    const r = await fleetsim('catalogue', ...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(name);
  });

  it('is in the usage', async () => {
    const r = await fleetsim('--help');
    expect(r.stdout).toContain('fleetsim trace SPEC');
    expect(r.stdout).toContain('fleetsim catalogue [SPEC]');
  });
});

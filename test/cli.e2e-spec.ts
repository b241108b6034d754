/**
 * End-to-end tests of the `fleetsim` command: spawn the built CLI
 * (dist/apps/cli/src/main.js; `npm test` builds it first) and check what a user
 * sees: exit codes, stdout, stderr, report files.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetsim as runFleetsim, type CliResult } from './support/api';
import { CLI_MAIN, ROOT } from './support/apps';
import { parseSpecOrThrow, ReportSchema, runExperiment, type Report } from '../libs/kdump-core/src';

const MAIN = CLI_MAIN;
const QUICKSTART = 'examples/quickstart.yaml';

const fleetsim = (...args: string[]): Promise<CliResult> => runFleetsim(args);

/** A report as JSON text without its `run` object: a pure function of spec and seed. */
function withoutRun(json: string): string {
  const report = JSON.parse(json) as Report;
  delete report.run;
  return JSON.stringify(report);
}

let tmp: string;

beforeAll(() => {
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: run \`npm run build\` first (\`npm test\` does it)`);
  }
  tmp = mkdtempSync(join(tmpdir(), 'fleetsim-e2e-'));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('fleetsim run', () => {
  const reports = new Map<string, string>();

  beforeAll(async () => {
    const runs: Record<string, string[]> = {
      'threads 1': ['--threads', '1'],
      'threads 2': ['--threads', '2', '--shard-size', '500'],
      'shard size 1': ['--shard-size', '1'],
      'shard size 7': ['--shard-size', '7'],
      'shard size 1000': ['--shard-size', '1000'],
    };
    for (const [name, args] of Object.entries(runs)) {
      const r = await fleetsim('run', QUICKSTART, '--format', 'json', ...args);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      reports.set(name, r.stdout);
    }
  });

  it('gives byte-identical reports on 1 or 2 threads and any shard size', () => {
    const reference = withoutRun(reports.get('threads 1')!);
    for (const [name, json] of reports) {
      expect(withoutRun(json), name).toBe(reference);
    }
  });

  it('says in `run` how it ran', () => {
    const run = (name: string) => (JSON.parse(reports.get(name)!) as Report).run!;
    // Without --shard-size, about eight shards per thread: 3,000 servers / (1 × 8).
    expect(run('threads 1')).toMatchObject({
      threads: 1,
      shards: 8,
      shardSize: 375,
      mode: 'embedded',
    });
    expect(run('threads 2')).toMatchObject({ threads: 2, shards: 6, shardSize: 500 });
    expect(run('shard size 1')).toMatchObject({ shards: 3000, shardSize: 1 });
    expect(run('shard size 7')).toMatchObject({ shards: 429, shardSize: 7 });
    const version = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
    ).version;
    for (const json of reports.values()) {
      const r = (JSON.parse(json) as Report).run!;
      expect(r.host).toBe(hostname());
      expect(r.fleetsimVersion).toBe(version);
      expect(r.wallSeconds).toBeGreaterThan(0);
      // Rounded to the millisecond.
      expect(r.wallSeconds * 1000).toBeCloseTo(Math.round(r.wallSeconds * 1000), 6);
    }
  });

  it('prints JSON that validates against ReportSchema and equals the in-process run', () => {
    const json = reports.get('threads 2')!;
    expect(json).toBe(JSON.stringify(JSON.parse(json), null, 2) + '\n');
    const parsed = ReportSchema.safeParse(JSON.parse(json));
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    const text = readFileSync(join(ROOT, QUICKSTART), 'utf8');
    const reference = runExperiment(parseSpecOrThrow(text)).report;
    expect(withoutRun(json)).toBe(JSON.stringify(reference));
  });

  it('applies --seed', async () => {
    const r = await fleetsim('run', QUICKSTART, '--seed', '43', '--format', 'json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.experiment.seed).toBe(43);
    const text = readFileSync(join(ROOT, QUICKSTART), 'utf8');
    expect(withoutRun(r.stdout)).toBe(
      JSON.stringify(runExperiment(parseSpecOrThrow(text, { seed: 43 })).report),
    );
    expect(withoutRun(r.stdout)).not.toBe(withoutRun(reports.get('threads 1')!));
  });

  it('prints the table by default, with no progress bar when stderr is not a terminal', async () => {
    const r = await fleetsim('run', QUICKSTART);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Experiment quickstart: 3,000 servers/);
    expect(r.stdout).toMatch(
      /Run: embedded, \d+ shards of up to \d+ servers on \d+ threads?, \d+\.\d\d s wall/,
    );
  });

  it('writes --out in the format of its extension and still prints the table', async () => {
    const json = join(tmp, 'report.json');
    const md = join(tmp, 'report.md');
    const txt = join(tmp, 'report.txt');
    const forced = join(tmp, 'forced.txt');
    const r1 = await fleetsim('run', QUICKSTART, '--out', json);
    const r2 = await fleetsim('run', QUICKSTART, '--out', md);
    const r3 = await fleetsim('run', QUICKSTART, '--out', txt);
    const r4 = await fleetsim('run', QUICKSTART, '--out', forced, '--format', 'json');
    for (const r of [r1, r2, r3, r4]) {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Experiment quickstart/);
    }
    expect(withoutRun(readFileSync(json, 'utf8'))).toBe(withoutRun(reports.get('threads 1')!));
    expect(readFileSync(md, 'utf8')).toMatch(/^# kdump fleet simulation: quickstart/);
    expect(readFileSync(txt, 'utf8')).toMatch(/^Experiment quickstart/);
    expect(withoutRun(readFileSync(forced, 'utf8'))).toBe(withoutRun(reports.get('threads 1')!));
  });
});

describe('an invalid spec', () => {
  const schemaErrors = [
    'name: broken',
    'seed: 1',
    'fleet:',
    '  - profile: compute-2s',
    '    count: -5',
    '  - profile: gpu-node',
    '    count: 10',
    '    colour: red',
    'events:',
    '  crash:',
    '    perServer: 1',
    '    causes: { panic: 1 }',
    'strategies: [none]',
    '',
  ].join('\n');
  const referenceErrors = [
    'name: broken',
    'seed: 1',
    'fleet:',
    '  - profile: compute-2s',
    '    count: 5',
    '  - profile: no-such-profile',
    '    count: 10',
    'events:',
    '  crash:',
    '    perServer: 1',
    '    causes: { panic: 1 }',
    'strategies:',
    '  - none',
    '  - frobnicate',
    '',
  ].join('\n');

  it.each([
    [
      'schema errors',
      schemaErrors,
      [/:5: fleet\[0\]\.count: .*>=1/, /:8: fleet\[1\]\.colour: unknown field "colour"/],
    ],
    [
      'unknown names',
      referenceErrors,
      [
        /:6: fleet\[1\]\.profile: unknown profile "no-such-profile"/,
        /:14: strategies\[1\]: unknown strategy "frobnicate"/,
      ],
    ],
  ])(
    'with %s exits 2, prints every error with path and line, and runs nothing',
    async (name, text, expected) => {
      const spec = join(tmp, `${name.replace(/ /g, '-')}.yaml`);
      const out = join(tmp, `${name.replace(/ /g, '-')}.json`);
      writeFileSync(spec, text);
      const r = await fleetsim('run', spec, '--out', out);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(expected.length);
      lines.forEach((line, i) => {
        expect(line.startsWith(`${spec}:`)).toBe(true);
        expect(line).toMatch(expected[i]!);
      });
      expect(existsSync(out)).toBe(false);

      const v = await fleetsim('validate', spec);
      expect(v.code).toBe(2);
      expect(v.stderr).toBe(r.stderr);
    },
  );
});

describe('fleetsim validate', () => {
  const examples = readdirSync(join(ROOT, 'examples')).filter((f) => /\.(ya?ml|json)$/.test(f));

  it('finds the examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
  });

  it.each(examples)('accepts examples/%s', async (file) => {
    const r = await fleetsim('validate', `examples/${file}`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^examples/${file.replace('.', '\\.')}: valid \\(\\d+ servers, \\d+ strategies(, \\d+ shards?|; \\d+ shards? on a coordinator, \\d+ shards? for \\d+ threads? here)\\)\\n(roll-out: \\d+ waves [^\\n]+\\n)?$`,
      ),
    );
  });

  it('counts servers, strategies and shards', async () => {
    const r = await fleetsim('validate', QUICKSTART, '--shard-size', '7');
    expect(r.stdout).toBe(`${QUICKSTART}: valid (3000 servers, 12 strategies, 429 shards)\n`);
  });
});

describe('fleetsim schema', () => {
  it('prints the spec JSON Schema', async () => {
    const r = await fleetsim('schema');
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(schema.$schema).toMatch(/json-schema\.org/);
    expect(schema.properties).toHaveProperty('fleet');
  });

  it('prints the report JSON Schema with --report', async () => {
    const r = await fleetsim('schema', '--report');
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(schema.$schema).toMatch(/json-schema\.org/);
    expect(schema.properties).toHaveProperty('crash');
  });
});

describe('help, version and bad arguments', () => {
  it.each(['', 'help', '--help', '-h'])('prints the usage for "%s"', async (arg) => {
    const r = await fleetsim(...(arg ? [arg] : []));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage:');
    expect(r.stdout).toContain('fleetsim run SPEC');
  });

  it('prints the version', async () => {
    const r = await fleetsim('--version');
    expect(r.code).toBe(0);
    const version = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
    ).version;
    expect(r.stdout).toBe(`fleetsim ${version}\n`);
  });

  it.each([
    [['run', QUICKSTART, '--bogus'], '--bogus'],
    [['run', QUICKSTART, '--threads', 'x'], '--threads'],
    [['run', QUICKSTART, '--threads', '0'], '--threads'],
    [['run', QUICKSTART, '--format', 'xml'], '--format'],
    [['run'], 'SPEC'],
    [['run', 'examples/no-such-spec.yaml'], 'no-such-spec.yaml'],
    [['run', QUICKSTART, '--out', '/no/such/dir/r.json'], '--out'],
    [['run', QUICKSTART, '--shard-size', '0'], '--shard-size'],
    [['frobnicate'], 'frobnicate'],
  ])('refuses %j with exit 2, naming %s', async (args, name) => {
    const r = await fleetsim(...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(name);
    expect(r.stderr).toContain('--help');
  });
});

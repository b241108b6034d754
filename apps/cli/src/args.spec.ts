import { describe, expect, it } from 'vitest';
import { parseCliArgs, type Command } from './args';

const ok = (argv: string[], env: Record<string, string> = {}): Command => {
  const r = parseCliArgs(argv, env);
  if (!r.ok) {
    throw new Error(`expected ${argv.join(' ')} to parse, got: ${r.message}`);
  }
  return r.command;
};

const refusal = (argv: string[], env: Record<string, string> = {}): string => {
  const r = parseCliArgs(argv, env);
  if (r.ok) {
    throw new Error(`expected ${argv.join(' ')} to be refused, got ${JSON.stringify(r.command)}`);
  }
  return r.message;
};

describe('parseCliArgs', () => {
  it('shows help with no arguments, help, --help and -h', () => {
    for (const argv of [[], ['help'], ['--help'], ['-h'], ['run', 'x.yaml', '--help']]) {
      expect(ok(argv)).toEqual({ kind: 'help' });
    }
  });

  it('gives the version for --version and -V', () => {
    expect(ok(['--version'])).toEqual({ kind: 'version' });
    expect(ok(['-V'])).toEqual({ kind: 'version' });
  });

  it('reads run with every option, spaced or with =', () => {
    expect(
      ok([
        'run',
        'spec.yaml',
        '--seed',
        '7',
        '--threads=3',
        '--shard-size',
        '500',
        '--out',
        'r.json',
        '--format',
        'markdown',
      ]),
    ).toEqual({
      kind: 'run',
      spec: 'spec.yaml',
      seed: 7,
      threads: 3,
      shardSize: 500,
      out: 'r.json',
      format: 'markdown',
    });
  });

  it('reads --format html for run', () => {
    expect(ok(['run', 'spec.yaml', '--format', 'html'])).toMatchObject({
      kind: 'run',
      format: 'html',
      out: undefined,
    });
    expect(ok(['run', 'spec.yaml', '--out', 'report.html'])).toMatchObject({
      out: 'report.html',
      format: undefined,
    });
    expect(refusal(['run', 'spec.yaml', '--format', 'pdf'])).toBe(
      '--format must be one of table, json, markdown, html, csv, got "pdf"',
    );
  });

  it('suggests the closest option and command', () => {
    expect(parseCliArgs(['run', 's.yaml', '--fail-fi', 'x'])).toEqual({
      ok: false,
      message: 'unknown option --fail-fi (did you mean "--fail-if"?)',
    });
    expect(parseCliArgs(['runn', 's.yaml'])).toEqual({
      ok: false,
      message: 'unknown command "runn" (did you mean "run"?)',
    });
  });

  it('reads --format csv and every --fail-if, in order', () => {
    expect(
      ok([
        'run',
        'spec.yaml',
        '--format',
        'csv',
        '--fail-if',
        'capture(whitelist) < 0.95',
        '--fail-if=downtime_p95(fallback) > 10m',
      ]),
    ).toMatchObject({
      kind: 'run',
      format: 'csv',
      failIf: ['capture(whitelist) < 0.95', 'downtime_p95(fallback) > 10m'],
    });
    expect(ok(['run', 'spec.yaml'])).not.toHaveProperty('failIf');
  });

  it('leaves absent options undefined, and accepts options before the spec', () => {
    expect(ok(['run', '--threads', '2', 'spec.yaml'])).toEqual({
      kind: 'run',
      spec: 'spec.yaml',
      seed: undefined,
      threads: 2,
      shardSize: undefined,
      out: undefined,
      format: undefined,
    });
  });

  it('reads validate and schema', () => {
    expect(ok(['validate', 'a.yaml'])).toEqual({
      kind: 'validate',
      spec: 'a.yaml',
      seed: undefined,
      shardSize: undefined,
    });
    expect(ok(['schema'])).toEqual({ kind: 'schema', report: false });
    expect(ok(['schema', '--report'])).toEqual({ kind: 'schema', report: true });
  });

  it.each([
    [['run', 'x.yaml', '--threads', '0'], '--threads'],
    [['run', 'x.yaml', '--threads', '-2'], '--threads'],
    [['run', 'x.yaml', '--threads', '1.5'], '--threads'],
    [['run', 'x.yaml', '--threads', 'two'], '--threads'],
    [['run', 'x.yaml', '--threads'], '--threads'],
    [['run', 'x.yaml', '--threads', '--seed', '3'], '--threads'],
    [['run', 'x.yaml', '--shard-size', '0'], '--shard-size'],
    [['run', 'x.yaml', '--seed', '-1'], '--seed'],
    [['run', 'x.yaml', '--seed', '99999999999999999999'], '--seed'],
    [['run', 'x.yaml', '--format', 'xml'], '--format'],
    [['run', 'x.yaml', '--out='], '--out'],
    [['run', 'x.yaml', '--frobnicate'], '--frobnicate'],
    [['run', 'x.yaml', '-x'], '-x'],
    [['run', 'x.yaml', '--report'], '--report'],
    [['validate', 'x.yaml', '--out', 'r.json'], '--out'],
    [['schema', '--report=yes'], '--report'],
    [['run'], 'SPEC'],
    [['validate'], 'SPEC'],
    [['run', 'a.yaml', 'b.yaml'], 'b.yaml'],
    [['schema', 'extra'], 'extra'],
    [['simulate', 'x.yaml'], 'simulate'],
  ])('refuses %j, naming %s', (argv, name) => {
    const message = refusal(argv);
    expect(message).toContain(name);
    expect(message).not.toContain('\n');
  });

  it('reads run --coordinator, status and cancel', () => {
    expect(
      ok(['run', 's.yaml', '--coordinator', 'http://c:3000/', '--format', 'json', '--seed', '4']),
    ).toEqual({
      kind: 'run',
      spec: 's.yaml',
      coordinator: 'http://c:3000',
      seed: 4,
      threads: undefined,
      shardSize: undefined,
      out: undefined,
      format: 'json',
    });
    expect(ok(['status', 'exp-1', '--coordinator=https://c.example/fleet'])).toEqual({
      kind: 'status',
      id: 'exp-1',
      coordinator: 'https://c.example/fleet',
      format: 'table',
    });
    expect(ok(['status', '--coordinator', 'c:3000', '--format', 'json'])).toEqual({
      kind: 'status',
      id: undefined,
      coordinator: 'http://c:3000',
      format: 'json',
    });
    expect(ok(['cancel', 'exp-1', '--coordinator', 'http://127.0.0.1:3000'])).toEqual({
      kind: 'cancel',
      id: 'exp-1',
      coordinator: 'http://127.0.0.1:3000',
    });
  });

  it('takes the coordinator from FLEETSIM_COORDINATOR, --coordinator first', () => {
    const env = { FLEETSIM_COORDINATOR: 'http://env:1' };
    expect(ok(['run', 's.yaml'], env)).toMatchObject({ coordinator: 'http://env:1' });
    expect(ok(['run', 's.yaml', '--coordinator', 'http://opt:2'], env)).toMatchObject({
      coordinator: 'http://opt:2',
    });
    expect(ok(['cancel', 'x'], env)).toEqual({
      kind: 'cancel',
      id: 'x',
      coordinator: 'http://env:1',
    });
    // An empty variable is no coordinator: an embedded run.
    expect(ok(['run', 's.yaml'], { FLEETSIM_COORDINATOR: '' })).not.toHaveProperty('coordinator');
    // validate never talks to a coordinator, so a bad variable does not bother it.
    expect(ok(['validate', 's.yaml'], { FLEETSIM_COORDINATOR: 'ftp://x' })).toMatchObject({
      kind: 'validate',
    });
  });

  it.each([
    [['status', 'x'], 'FLEETSIM_COORDINATOR'],
    [['cancel', 'x'], '--coordinator'],
    [['cancel', '--coordinator', 'http://c'], 'ID'],
    [['status', 'a', 'b', '--coordinator', 'http://c'], '"b"'],
    [['status', 'a:b', '--coordinator', 'http://c'], 'a:b'],
    [['status', 'x', '--coordinator', 'http://c', '--format', 'markdown'], '--format'],
    [['status', 'x', '--coordinator', 'http://c', '--format', 'html'], '--format'],
    [['cancel', 'x', '--coordinator', 'http://c', '--format', 'json'], '--format'],
    [['run', 's.yaml', '--coordinator', 'ftp://c'], '--coordinator'],
    [['run', 's.yaml', '--coordinator', 'http://c?x=1'], '--coordinator'],
    [['run', 's.yaml', '--coordinator', 'http://'], '--coordinator'],
    [['run', 's.yaml', '--coordinator'], '--coordinator'],
    [['run', 's.yaml', '--coordinator', 'http://c', '--threads', '2'], '--threads'],
    [['validate', 's.yaml', '--coordinator', 'http://c'], '--coordinator'],
  ])('refuses %j, naming %s', (argv, name) => {
    const message = refusal(argv);
    expect(message).toContain(name);
    expect(message).not.toContain('\n');
  });

  it('names the variable when FLEETSIM_COORDINATOR is wrong, or clashes with --threads', () => {
    expect(refusal(['run', 's.yaml'], { FLEETSIM_COORDINATOR: 'ftp://x' })).toContain(
      'FLEETSIM_COORDINATOR',
    );
    expect(
      refusal(['run', 's.yaml', '--threads', '2'], { FLEETSIM_COORDINATOR: 'http://x' }),
    ).toMatch(/--threads .*FLEETSIM_COORDINATOR/);
  });

  it('reads trace by fleet index or by profile and index, with every option', () => {
    expect(ok(['trace', 'q.yaml', '--server', '12'])).toEqual({
      kind: 'trace',
      spec: 'q.yaml',
      server: { by: 'server', server: 12 },
      event: 0,
      format: 'text',
      seed: undefined,
    });
    expect(
      ok([
        'trace',
        '--profile=gpu-node',
        '--index',
        '3',
        'q.yaml',
        '--event',
        '2',
        '--kind',
        'reboot',
        '--strategy',
        'bus-reset',
        '--format',
        'json',
        '--seed',
        '9',
      ]),
    ).toEqual({
      kind: 'trace',
      spec: 'q.yaml',
      server: { by: 'profile', profile: 'gpu-node', index: 3 },
      event: 2,
      jobKind: 'reboot',
      strategy: 'bus-reset',
      format: 'json',
      seed: 9,
    });
    // trace runs here: a coordinator in the environment, even a broken one, does not matter.
    expect(ok(['trace', 'q.yaml', '--server', '0'], { FLEETSIM_COORDINATOR: 'ftp://x' })).toEqual(
      expect.objectContaining({ kind: 'trace' }),
    );
  });

  it.each([
    [['trace', 'q.yaml'], '--server'],
    [['trace', '--server', '0'], 'SPEC'],
    [['trace', 'q.yaml', '--server', '-1'], '--server'],
    [['trace', 'q.yaml', '--server', 'x'], '--server'],
    [['trace', 'q.yaml', '--server', '1', '--profile', 'gpu-node'], '--profile'],
    [['trace', 'q.yaml', '--server', '1', '--index', '2'], '--index'],
    [['trace', 'q.yaml', '--profile', 'gpu-node'], '--index'],
    [['trace', 'q.yaml', '--index', '2'], '--profile'],
    [['trace', 'q.yaml', '--profile', 'gpu-node', '--index', '1.5'], '--index'],
    [['trace', 'q.yaml', '--server', '0', '--event', '-1'], '--event'],
    [['trace', 'q.yaml', '--server', '0', '--kind', 'panic'], '--kind'],
    [['trace', 'q.yaml', '--server', '0', '--format', 'table'], '--format'],
    [['trace', 'q.yaml', '--server', '0', '--strategy='], '--strategy'],
    [['trace', 'q.yaml', '--server', '0', '--threads', '2'], '--threads'],
    [['trace', 'q.yaml', '--server', '0', '--coordinator', 'http://c'], '--coordinator'],
    [['trace', 'q.yaml', 'r.yaml', '--server', '0'], 'r.yaml'],
    [['run', 'q.yaml', '--server', '0'], '--server'],
    [['validate', 'q.yaml', '--strategy', 'none'], '--strategy'],
  ])('refuses %j, naming %s', (argv, name) => {
    const message = refusal(argv);
    expect(message).toContain(name);
    expect(message).not.toContain('\n');
  });

  it('reads catalogue: SPEC told from NAMEs by its extension or a slash', () => {
    expect(ok(['catalogue'])).toEqual({ kind: 'catalogue', names: [], format: 'yaml' });
    expect(ok(['catalogue', 'gpu-node', 'nvidia', '--format', 'json'])).toEqual({
      kind: 'catalogue',
      names: ['gpu-node', 'nvidia'],
      format: 'json',
    });
    expect(ok(['catalogue', 'my.yaml', 'gpu-node'])).toEqual({
      kind: 'catalogue',
      spec: 'my.yaml',
      names: ['gpu-node'],
      format: 'yaml',
    });
    expect(ok(['catalogue', 'specs/fleet'])).toMatchObject({ spec: 'specs/fleet', names: [] });
    expect(ok(['catalogue', 'a.JSON'])).toMatchObject({ spec: 'a.JSON' });
  });

  it.each([
    [['catalogue', '--format', 'table'], '--format'],
    [['catalogue', 'gpu-node', 'my.yaml'], 'my.yaml'],
    [['catalogue', 'a.yaml', 'b.yaml'], 'b.yaml'],
    [['catalogue', '--seed', '1'], '--seed'],
    [['catalogue', '--server', '1'], '--server'],
  ])('refuses %j, naming %s', (argv, name) => {
    const message = refusal(argv);
    expect(message).toContain(name);
    expect(message).not.toContain('\n');
  });
});

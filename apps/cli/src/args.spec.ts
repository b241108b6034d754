import { describe, expect, it } from 'vitest';
import { parseCliArgs, type Command } from './args';

const ok = (argv: string[]): Command => {
  const r = parseCliArgs(argv);
  if (!r.ok) {
    throw new Error(`expected ${argv.join(' ')} to parse, got: ${r.message}`);
  }
  return r.command;
};

const refusal = (argv: string[]): string => {
  const r = parseCliArgs(argv);
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
});

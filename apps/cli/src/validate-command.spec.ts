/**
 * `fleetsim validate` on hostile specs (issue 10): an alias bomb, a 5,000-long
 * `extends` chain or a 2 KB bracket nest is an invalid spec (exit 2, the
 * message names the bound), never an internal error (exit 1).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIo } from './cli-io';
import { validateCommand } from './validate-command';

const MINIMAL = `name: minimal
seed: 1
fleet:
  - profile: compute-2s
    count: 5
events:
  crash: { perServer: 1, causes: { panic: 1 } }
strategies: [none]
`;

function aliasBomb(): string {
  const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    const cur = String.fromCharCode(97 + i);
    levels.push(`${cur}: &${cur} [${Array(10).fill(`*${prev}`).join(', ')}]`);
  }
  return `${MINIMAL}${levels.join('\n')}\n`;
}

function extendsChain(n: number): string {
  const lines = ['catalogue:', '  devices:', '    d0: { extends: nic-25g }'];
  for (let i = 1; i < n; i++) {
    lines.push(`    d${i}: { extends: d${i - 1} }`);
  }
  return `${MINIMAL}${lines.join('\n')}\n`;
}

describe('fleetsim validate on hostile specs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-hostile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['an alias bomb', aliasBomb(), /alias/],
    ['a long extends chain', extendsChain(900), /"extends" chain/],
    ['5,000 extends in 5 maps of 1,000', extendsChain(5000), /more than 1000 entries/],
    ['a bracket nest', '['.repeat(1000) + ']'.repeat(1000), /nests deeper/],
  ])('exits 2 for %s, naming what is wrong', async (_name, text, message) => {
    const file = join(dir, 'spec.yaml');
    writeFileSync(file, text);
    let err = '';
    const io: CliIo = { out: () => undefined, err: (t) => void (err += t), progressStream: null };
    const code = await validateCommand({ kind: 'validate', spec: file }, io);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });
});

describe('fleetsim validate on a roll-out', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-validate-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says how many waves the roll-out has and when it halts', async () => {
    const file = join(dir, 'waves.yaml');
    writeFileSync(
      file,
      MINIMAL.replace('count: 5', 'count: 1000').replace(
        'crash: { perServer: 1, causes: { panic: 1 } }',
        'reboot: { perServer: 1, path: kexec }',
      ) + 'rollout: { canary: 10, waveSize: 200, haltWhenNotBackShareAbove: 0.025 }\n',
    );
    let out = '';
    const io: CliIo = { out: (t) => void (out += t), err: () => undefined, progressStream: null };
    expect(await validateCommand({ kind: 'validate', spec: file, shardSize: 1000 }, io)).toBe(0);
    // 10, then 990 servers in waves of 200: 5 more waves.
    expect(out.split('\n')[1]).toBe(
      'roll-out: 6 waves (a canary of 10, then 200 servers each), halts after a wave with more than 2.5% not back in service',
    );
  });
});

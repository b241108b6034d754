import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  parseSpecOrThrow,
  runSweep,
  type CrashkernelReport,
  type SensitivityReport,
  type SweepReport,
} from '../../../libs/kdump-core/src';
import { parseCliArgs } from './args';
import type { CliIo } from './cli-io';
import { main } from './main';

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

const dir = mkdtempSync(join(tmpdir(), 'fleetsim-decision-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASE = `name: decision-cli
seed: 3
fleet:
  - profile: gpu-node
    count: 200
events:
  crash:
    perServer: 1
    causes: { panic: 1 }
strategies: [none, whitelist]
`;

function specFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('decision command arguments', () => {
  it('parses each command with its options and refuses bad values', () => {
    expect(parseCliArgs(['crashkernel', 's.yaml', '--target-oom', '0.01', '--step', '16'])).toEqual(
      {
        ok: true,
        command: { kind: 'crashkernel', spec: 's.yaml', targetOom: 0.01, stepMiB: 16 },
      },
    );
    expect(
      parseCliArgs(['sensitivity', 's.yaml', '--max-parameters', '3', '--only', 'nvidia,gpu']),
    ).toEqual({
      ok: true,
      command: {
        kind: 'sensitivity',
        spec: 's.yaml',
        factor: 2,
        maxParameters: 3,
        only: ['nvidia', 'gpu'],
      },
    });
    const bad = parseCliArgs(['crashkernel', 's.yaml', '--target-oom', '2']);
    expect(bad.ok ? '' : bad.message).toMatch(
      /--target-oom must be a rate between 0 and 1, got "2"/,
    );
    const wrong = parseCliArgs(['sweep', 's.yaml', '--factor', '3']);
    expect(wrong.ok ? '' : wrong.message).toMatch(/--factor does not apply to "sweep"/);
  });
});

describe('fleetsim sweep', () => {
  it('prints the same document as the core, in JSON', async () => {
    const text = `${BASE}sweep:\n  parameters:\n    - path: catalogue.profiles.gpu-node.crashkernelMiB\n      values: [256, 512]\n`;
    const r = await fleetsim('sweep', specFile('ok.yaml', text), '--format', 'json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const resolved = parseSpecOrThrow(text);
    const expected: SweepReport = runSweep(resolved, resolved.spec.sweep!);
    expect(JSON.parse(r.out)).toEqual(expected);
  });

  it('refuses a bad path with exit 2, naming the path and what exists there', async () => {
    const text = `${BASE}sweep:\n  parameters:\n    - path: catalogue.profiles.gpu-node.kdmp.perCpuMiB\n      values: [1]\n`;
    const file = specFile('bad.yaml', text);
    const r = await fleetsim('sweep', file);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(
      /bad.yaml: sweep.parameters\[0\].path: catalogue.profiles.gpu-node.kdmp.perCpuMiB: no field "kdmp" in catalogue.profiles.gpu-node: fields: .*kdump/,
    );
  });

  it('refuses a spec without a sweep block with exit 2', async () => {
    const r = await fleetsim('sweep', specFile('plain.yaml', BASE));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no sweep: block/);
  });

  it('refuses a run.shardSize that cuts too many shards before any run, with exit 2', async () => {
    const text = `${BASE.replace('count: 200', 'count: 2000000')}run:\n  shardSize: 1\nsweep:\n  parameters:\n    - path: catalogue.profiles.gpu-node.crashkernelMiB\n      values: [256]\n`;
    const r = await fleetsim('sweep', specFile('shards.yaml', text));
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      'fleetsim sweep: shard size 1 cuts 2000000 servers into 2000000 shards; at most 1000000\n',
    );
  });

  it('refuses CSV, which only fleetsim run writes, with exit 2', async () => {
    const r = await fleetsim('sweep', specFile('csv.yaml', BASE), '--format', 'csv');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--format csv .* is for fleetsim run/);
  });

  it('writes an HTML page with a chart', async () => {
    const out = join(dir, 'sweep.html');
    const text = `${BASE}sweep:\n  parameters:\n    - path: catalogue.profiles.gpu-node.crashkernelMiB\n      values: [256, 512]\n`;
    const r = await fleetsim('sweep', specFile('ok2.yaml', text), '--out', out);
    expect(r.code).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<polyline');
    expect(html).toContain('<polygon');
  });
});

describe('fleetsim crashkernel and sensitivity', () => {
  it('prints a crashkernel= value per strategy', async () => {
    const r = await fleetsim(
      'crashkernel',
      specFile('ck.yaml', BASE),
      '--target-oom',
      '0.02',
      '--format',
      'json',
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as CrashkernelReport;
    expect(doc.commandLines.map((l) => l.crashkernel)).toEqual(
      doc.profiles[0]!.strategies.map((s) => `crashkernel=${s.crashkernelMiB}M`),
    );
    const text = await fleetsim('crashkernel', specFile('ck.yaml', BASE), '--target-oom', '0.02');
    expect(text.out).toMatch(/does NOT count the memory the loaded drivers allocate/);
  });

  it('bounds the parameters it moves', async () => {
    const r = await fleetsim(
      'sensitivity',
      specFile('s.yaml', BASE),
      '--max-parameters',
      '2',
      '--format',
      'json',
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as SensitivityReport;
    expect(doc.results).toHaveLength(2);
    expect(doc.runs).toBe(5);
  });
});

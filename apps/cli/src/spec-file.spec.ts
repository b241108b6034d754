import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatSpecErrors, loadSpec } from './spec-file';

describe('formatSpecErrors', () => {
  it('prints SPEC:LINE: PATH: MESSAGE, leaving out what is unknown', () => {
    expect(
      formatSpecErrors('s.yaml', [
        { path: 'fleet[0].count', line: 5, message: 'too small' },
        { path: 'events', message: 'no events' },
        { path: '', line: 2, message: 'bad YAML' },
        { path: '', message: 'empty' },
      ]),
    ).toEqual([
      's.yaml:5: fleet[0].count: too small',
      's.yaml: events: no events',
      's.yaml:2: bad YAML',
      's.yaml: empty',
    ]);
  });
});

describe('loadSpec', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-spec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says a missing file is unreadable, naming it', async () => {
    const r = await loadSpec(join(dir, 'missing.yaml'), undefined);
    expect(r).toMatchObject({ ok: false, kind: 'unreadable' });
    expect(r.ok === false && r.kind === 'unreadable' && r.message).toContain('missing.yaml');
  });

  it('applies the seed override and keeps the text', async () => {
    const file = join(dir, 'ok.yaml');
    const text = [
      'name: t',
      'seed: 1',
      'fleet: [{ profile: compute-2s, count: 3 }]',
      'events: { crash: { perServer: 1, causes: { panic: 1 } } }',
      'strategies: [none]',
      '',
    ].join('\n');
    writeFileSync(file, text);
    const r = await loadSpec(file, 99);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.text).toBe(text);
      expect(r.resolved.spec.seed).toBe(99);
    }
  });

  it('formats every error of an invalid spec with its line', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'name: t',
        'seed: 1',
        'fleet: [{ profile: compute-2s, count: 3 }]',
        'events: { crash: { perServer: 1, causes: { panic: 1 } } }',
        'strategies:',
        '  - none',
        '  - nonsense',
        '',
      ].join('\n'),
    );
    const r = await loadSpec(file, undefined);
    expect(r).toMatchObject({ ok: false, kind: 'invalid' });
    if (!r.ok && r.kind === 'invalid') {
      expect(r.lines).toHaveLength(1);
      expect(r.lines[0]).toMatch(/^.*bad\.yaml:7: strategies\[1\]: unknown strategy "nonsense"/);
    }
  });
});

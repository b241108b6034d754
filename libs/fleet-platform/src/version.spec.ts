import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findVersion, fleetsimVersion, UNKNOWN_VERSION } from './version';

describe('findVersion', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-version-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('walks up past other packages to the root package.json', () => {
    const deep = join(dir, 'dist', 'apps', 'cli', 'src');
    mkdirSync(deep, { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'kdump-fleet-sim', version: '3.2.1' }),
    );
    writeFileSync(
      join(dir, 'dist', 'apps', 'cli', 'package.json'),
      JSON.stringify({ name: 'other', version: '9.9.9' }),
    );
    expect(findVersion(deep)).toBe('3.2.1');
  });

  it('says 0.0.0 when there is none', () => {
    expect(findVersion(tmpdir())).toBe(UNKNOWN_VERSION);
  });

  it("finds this repository's version", () => {
    expect(fleetsimVersion()).toMatch(/^\d+\.\d+\.\d+/);
    expect(fleetsimVersion()).not.toBe(UNKNOWN_VERSION);
  });
});

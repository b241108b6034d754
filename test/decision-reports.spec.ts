/**
 * The decision documents under examples/reports/ — a sweep, a sensitivity run and
 * a crashkernel sizing of the examples — as `fleetsim sweep|sensitivity|crashkernel
 * --format markdown` prints them. Committed so a reader sees the answers without
 * running anything; this test fails when the model moves them and they were not
 * regenerated: `UPDATE_EXAMPLE_REPORTS=1 npx vitest run test/decision-reports.spec.ts`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseSpecOrThrow,
  renderCrashkernel,
  renderSensitivity,
  renderSweep,
  runSensitivity,
  runSweep,
  sizeCrashkernel,
} from '../libs/kdump-core/src/index';

const ROOT = join(__dirname, '..');
const spec = (name: string) =>
  parseSpecOrThrow(readFileSync(join(ROOT, 'examples', `${name}.yaml`), 'utf8'));

const DOCUMENTS: [string, () => string][] = [
  [
    'crashkernel-sweep.md',
    () => {
      const r = spec('crashkernel-sweep');
      return renderSweep(runSweep(r, r.spec.sweep!), 'markdown');
    },
  ],
  ['sensitivity.md', () => renderSensitivity(runSensitivity(spec('sensitivity')), 'markdown')],
  [
    'sensitivity-crashkernel.md',
    () => renderCrashkernel(sizeCrashkernel(spec('sensitivity')), 'markdown'),
  ],
];

describe('examples/reports: decision documents', () => {
  it.each(DOCUMENTS)(
    '%s is the current document of its example spec',
    (name, make) => {
      const markdown = make();
      const file = join(ROOT, 'examples', 'reports', name);
      if (process.env.UPDATE_EXAMPLE_REPORTS === '1') {
        writeFileSync(file, markdown);
      }
      expect(existsSync(file), `${file} is missing: run with UPDATE_EXAMPLE_REPORTS=1`).toBe(true);
      expect(readFileSync(file, 'utf8')).toBe(markdown);
    },
    120_000,
  );
});

/**
 * The example reports under examples/reports/ are the examples' Markdown reports,
 * as `fleetsim run examples/<name>.yaml --format markdown` prints them, without
 * the run line (wall time and host). They are committed so a reader sees the
 * numbers without running anything; this test fails when the model moves them
 * and they were not regenerated: `UPDATE_EXAMPLE_REPORTS=1 npx vitest run
 * test/example-reports.spec.ts` rewrites them.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatReportMarkdown,
  parseSpecOrThrow,
  renderReportHtml,
  runExperiment,
} from '../libs/kdump-core/src/index';

const ROOT = join(__dirname, '..');
const EXAMPLES = [
  'quickstart',
  'kexec-rollout',
  'fleet-100k',
  'kernel-rollout-waves',
  'crash-storm',
];

describe('examples/reports', () => {
  it.each(EXAMPLES)(
    '%s.md is the current report of its example spec',
    (name) => {
      const spec = parseSpecOrThrow(readFileSync(join(ROOT, 'examples', `${name}.yaml`), 'utf8'));
      const markdown = formatReportMarkdown(runExperiment(spec).report);
      const file = join(ROOT, 'examples', 'reports', `${name}.md`);
      if (process.env.UPDATE_EXAMPLE_REPORTS === '1') {
        writeFileSync(file, markdown);
      }
      expect(existsSync(file), `${file} is missing: run with UPDATE_EXAMPLE_REPORTS=1`).toBe(true);
      expect(readFileSync(file, 'utf8')).toBe(markdown);
    },
    60_000,
  );

  it.each(EXAMPLES)(
    '%s: no report format sends the reader to DOMAIN.md, and the basis says where the sources are',
    (name) => {
      const spec = parseSpecOrThrow(readFileSync(join(ROOT, 'examples', `${name}.yaml`), 'utf8'));
      const { report } = runExperiment(spec);
      const markdown = formatReportMarkdown(report);
      for (const text of [JSON.stringify(report), markdown, renderReportHtml(report)]) {
        expect(text).not.toMatch(/DOMAIN/);
      }
      if (report.basis.length > 0) {
        expect(markdown).toContain(
          '`fleetsim catalogue NAME` prints each figure with its full source',
        );
      }
    },
    60_000,
  );
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseSpecOrThrow,
  renderReportHtml,
  runExperiment,
  type Report,
} from '../../../libs/kdump-core/src';
import { formatFromExtension, planOutput, renderReport } from './output-format';

describe('formatFromExtension', () => {
  it.each([
    ['report.json', 'json'],
    ['out/REPORT.JSON', 'json'],
    ['report.md', 'markdown'],
    ['report.markdown', 'markdown'],
    ['report.html', 'html'],
    ['out/REPORT.HTM', 'html'],
    ['report.txt', 'table'],
    ['report', 'table'],
    ['report.json.bak', 'table'],
  ] as const)('%s → %s', (file, format) => {
    expect(formatFromExtension(file)).toBe(format);
  });
});

describe('planOutput', () => {
  it('prints the table on stdout by default', () => {
    expect(planOutput({})).toEqual({ stdout: 'table', file: null });
  });

  it('prints --format on stdout without --out', () => {
    expect(planOutput({ format: 'json' })).toEqual({ stdout: 'json', file: null });
    expect(planOutput({ format: 'markdown' })).toEqual({ stdout: 'markdown', file: null });
  });

  it('writes --out in the format its extension names, and the table on stdout', () => {
    expect(planOutput({ out: 'r.json' })).toEqual({
      stdout: 'table',
      file: { path: 'r.json', format: 'json' },
    });
    expect(planOutput({ out: 'r.md' }).file?.format).toBe('markdown');
    expect(planOutput({ out: 'r.txt' }).file?.format).toBe('table');
    expect(planOutput({ out: 'report.html' })).toEqual({
      stdout: 'table',
      file: { path: 'report.html', format: 'html' },
    });
  });

  it('prints --format html on stdout without --out, and writes it to any --out', () => {
    expect(planOutput({ format: 'html' })).toEqual({ stdout: 'html', file: null });
    expect(planOutput({ out: 'r.txt', format: 'html' }).file).toEqual({
      path: 'r.txt',
      format: 'html',
    });
  });

  it('lets --format override the extension of --out', () => {
    expect(planOutput({ out: 'r.txt', format: 'json' })).toEqual({
      stdout: 'table',
      file: { path: 'r.txt', format: 'json' },
    });
  });
});

describe('renderReport', () => {
  const spec = readFileSync(join(__dirname, '../../../examples/quickstart.yaml'), 'utf8')
    // A small fleet keeps the test quick; the profiles stay those of the example.
    .replace(/count: \d+/g, 'count: 20');
  const report: Report = runExperiment(parseSpecOrThrow(spec)).report;

  it('renders JSON as pretty-printed JSON with a final newline', () => {
    const text = renderReport(report, 'json');
    expect(text).toBe(JSON.stringify(report, null, 2) + '\n');
    expect(JSON.parse(text)).toEqual(report);
  });

  it('renders the table and markdown, each ending in a newline', () => {
    const table = renderReport(report, 'table');
    const markdown = renderReport(report, 'markdown');
    expect(table).toContain('Experiment quickstart');
    expect(markdown).toMatch(/^# kdump fleet simulation: quickstart/);
    expect(table.endsWith('\n')).toBe(true);
    expect(markdown.endsWith('\n')).toBe(true);
    expect(table).not.toBe(markdown);
  });

  it('renders html as the core renders it: one page, ending in a newline', () => {
    const html = renderReport(report, 'html');
    expect(html).toBe(renderReportHtml(report));
    expect(html).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
    expect(html.endsWith('</html>\n')).toBe(true);
    expect(html).toContain('<h1>kdump fleet simulation: quickstart</h1>');
  });
});

/**
 * Where a report goes and in which format: stdout gets `--format` (default
 * table); with `--out FILE` the file gets `--format`, or the format its extension
 * names, and stdout still gets the table.
 */
import { extname } from 'node:path';
import {
  formatReportCsv,
  formatReportMarkdown,
  formatReportTable,
  renderReportHtml,
  type Report,
} from '../../../libs/kdump-core/src';

export const REPORT_FORMATS = ['table', 'json', 'markdown', 'html', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function isReportFormat(value: string): value is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(value);
}

/**
 * The format a file name asks for: `.json` json, `.md`/`.markdown` markdown,
 * `.html`/`.htm` html, `.csv` csv, else table.
 */
export function formatFromExtension(file: string): ReportFormat {
  switch (extname(file).toLowerCase()) {
    case '.json':
      return 'json';
    case '.md':
    case '.markdown':
      return 'markdown';
    case '.html':
    case '.htm':
      return 'html';
    case '.csv':
      return 'csv';
    default:
      return 'table';
  }
}

/** Where each rendering of the report goes. */
export interface OutputPlan {
  stdout: ReportFormat;
  file: { path: string; format: ReportFormat } | null;
}

export function planOutput(options: { format?: ReportFormat; out?: string }): OutputPlan {
  if (options.out === undefined) {
    return { stdout: options.format ?? 'table', file: null };
  }
  return {
    stdout: 'table',
    file: { path: options.out, format: options.format ?? formatFromExtension(options.out) },
  };
}

/** The report as text, ending in a newline. */
export function renderReport(report: Report, format: ReportFormat): string {
  switch (format) {
    case 'table':
      return formatReportTable(report);
    case 'json':
      return JSON.stringify(report, null, 2) + '\n';
    case 'markdown':
      return formatReportMarkdown(report);
    case 'html':
      return renderReportHtml(report);
    case 'csv':
      return formatReportCsv(report);
  }
}

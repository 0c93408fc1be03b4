import type { ExportFormat } from './export-kinds.js';

/** Writes rows (plain JSON values, as the chains' canonical rows) in one export format. */
export interface ExportWriter {
  readonly contentType: string;
  /** What comes before the first row (CSV's header line). */
  head(columns: readonly string[]): string;
  /** The lines of a page of rows. */
  rows(columns: readonly string[], rows: readonly Record<string, unknown>[]): string;
}

/** Characters a spreadsheet reads as the start of a formula (tab and carriage return included, as OWASP advises). */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A cell with any of these is quoted (RFC 4180), and so is one with spaces at either end, which some readers trim. */
const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

/**
 * One CSV cell: null is empty, objects and lists are their JSON, and text a spreadsheet would
 * run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading `'` so it shows as text.
 * Numbers and booleans are written as they are.
 */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const csvLine = (cells: readonly unknown[]) => `${cells.map(csvCell).join(',')}\r\n`;

export const EXPORT_WRITERS: Readonly<Record<ExportFormat, ExportWriter>> = {
  ndjson: {
    contentType: 'application/x-ndjson; charset=utf-8',
    head: () => '',
    rows: (_columns, rows) => rows.map((row) => `${JSON.stringify(row)}\n`).join(''),
  },
  csv: {
    // RFC 4180: CRLF line ends, a header row.
    contentType: 'text/csv; charset=utf-8; header=present',
    head: (columns) => csvLine(columns),
    rows: (columns, rows) => rows.map((row) => csvLine(columns.map((c) => row[c]))).join(''),
  },
};

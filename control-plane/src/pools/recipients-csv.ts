import { isEmail } from 'class-validator';
import { readUsd } from '../budgets/money.js';
import { MAX_EMAIL_LENGTH, normalizeEmail } from '../users/email.js';

/** The most recipients one CSV may add. */
const MAX_CSV_RECIPIENTS = 1000;
/** The longest CSV accepted, in characters. */
const MAX_CSV_LENGTH = 1_000_000;

/** Limits a recipient line sets for itself; a missing field takes the pool's. */
export interface LimitOverrides {
  readonly budgetMicros?: number;
  readonly requestsPerMinute?: number;
  readonly tokensPerMinute?: number;
  readonly concurrentRequests?: number;
  readonly expiresAt?: Date;
}

/** A valid recipient line. */
export interface RecipientLine {
  readonly line: number;
  readonly email: string;
  readonly name: string;
  readonly overrides: LimitOverrides;
}

/** A line that cannot be imported, with the reason. */
export interface LineError {
  readonly line: number;
  readonly message: string;
}

/** Columns, in the order used when the CSV has no header line. */
const COLUMNS = ['email', 'name', 'budget', 'requests_per_minute', 'tokens_per_minute', 'concurrent_requests', 'expires_at'] as const;
type Column = (typeof COLUMNS)[number];
/** Other names a header may use for a column. */
const ALIASES: Readonly<Record<string, Column>> = {
  rpm: 'requests_per_minute',
  tpm: 'tokens_per_minute',
  concurrency: 'concurrent_requests',
  expires: 'expires_at',
};
const WHOLE = /^\d{1,10}$/;
const MAX_NAME = 200;
const MAX_RATE = 1_000_000_000;
const LATEST_EXPIRY_MS = 10 * 365 * 24 * 3600 * 1000;

/**
 * Reads a recipients CSV: `email`, then optionally `name`, `budget` (US dollars), `requests_per_minute`,
 * `tokens_per_minute`, `concurrent_requests` and `expires_at` (ISO date or time). A first line
 * whose first cell is `email` is a header naming the columns in any order; otherwise the columns
 * are in that order. Fields may be quoted (`"Lovelace, Ada"`); blank lines are skipped. Every
 * problem is reported with its line number, so the caller can refuse the whole file at once.
 */
export function readRecipientsCsv(text: string, now: Date): { recipients: RecipientLine[]; errors: LineError[] } {
  if (text.length > MAX_CSV_LENGTH) return { recipients: [], errors: [{ line: 1, message: `The CSV is longer than ${MAX_CSV_LENGTH} characters.` }] };
  const records = splitRecords(text);
  const errors: LineError[] = [];
  const recipients: RecipientLine[] = [];
  let columns: readonly (Column | null)[] = COLUMNS;
  const first = records[0];
  if (first && first.cells[0]?.trim().toLowerCase() === 'email') {
    records.shift();
    columns = first.cells.map((cell) => columnOf(cell));
    first.cells.forEach((cell, i) => {
      if (columns[i] === null) errors.push({ line: first.line, message: `Unknown column "${cell.trim().slice(0, 40)}" (expected ${COLUMNS.join(', ')}).` });
    });
  }
  const seen = new Map<string, number>();
  for (const record of records) {
    if (record.error) {
      errors.push({ line: record.line, message: record.error });
      continue;
    }
    if (record.cells.every((c) => c.trim() === '')) continue;
    const result = readLine(record.line, record.cells, columns, now);
    if (typeof result === 'string') {
      errors.push({ line: record.line, message: result });
      continue;
    }
    const earlier = seen.get(result.email);
    if (earlier !== undefined) {
      errors.push({ line: record.line, message: `${result.email} is already on line ${earlier}.` });
      continue;
    }
    seen.set(result.email, record.line);
    recipients.push(result);
  }
  if (recipients.length + errors.length === 0) errors.push({ line: 1, message: 'The CSV has no recipients.' });
  if (recipients.length > MAX_CSV_RECIPIENTS)
    errors.push({ line: recipients[MAX_CSV_RECIPIENTS].line, message: `A CSV may add at most ${MAX_CSV_RECIPIENTS} recipients.` });
  return { recipients, errors };
}

function columnOf(cell: string): Column | null {
  const name = cell
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  if ((COLUMNS as readonly string[]).includes(name)) return name as Column;
  return ALIASES[name] ?? null;
}

/** A recipient line, or the sentence saying what is wrong with it. */
function readLine(line: number, cells: readonly string[], columns: readonly (Column | null)[], now: Date): RecipientLine | string {
  if (cells.length > columns.length) return `The line has ${cells.length} fields; at most ${columns.length} are expected.`;
  const field = (column: Column) => {
    const i = columns.indexOf(column);
    return i >= 0 ? (cells[i] ?? '').trim() : '';
  };
  const email = normalizeEmail(field('email'));
  if (email === '') return 'The email is missing.';
  if (email.length > MAX_EMAIL_LENGTH || !isEmail(email)) return `"${email.slice(0, 80)}" is not an email address.`;
  const name = field('name');
  if (name.length > MAX_NAME) return `The name is longer than ${MAX_NAME} characters.`;
  if (/\p{Cc}/u.test(name)) return 'The name contains control characters.';
  const overrides: { -readonly [K in keyof LimitOverrides]: LimitOverrides[K] } = {};
  const budget = field('budget');
  if (budget !== '') {
    const micros = readUsd(budget);
    if (micros === null) return `The budget "${budget.slice(0, 40)}" is not a US-dollar amount with at most 6 decimals, e.g. 25.00.`;
    overrides.budgetMicros = micros;
  }
  for (const [column, property, words] of [
    ['requests_per_minute', 'requestsPerMinute', 'requests per minute'],
    ['tokens_per_minute', 'tokensPerMinute', 'tokens per minute'],
    ['concurrent_requests', 'concurrentRequests', 'concurrent requests'],
  ] as const) {
    const value = field(column);
    if (value === '') continue;
    const n = WHOLE.test(value) ? Number(value) : NaN;
    if (!(n >= 1 && n <= MAX_RATE)) return `The ${words} "${value.slice(0, 40)}" must be a whole number from 1 to ${MAX_RATE}.`;
    overrides[property] = n;
  }
  const expires = field('expires_at');
  if (expires !== '') {
    const at = /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(expires) ? new Date(expires) : new Date(NaN);
    if (Number.isNaN(at.getTime())) return `The expiry "${expires.slice(0, 40)}" is not an ISO date or time (2027-01-31 or 2027-01-31T18:00:00Z).`;
    if (at.getTime() <= now.getTime()) return `The expiry ${expires} is in the past.`;
    if (at.getTime() > now.getTime() + LATEST_EXPIRY_MS) return `The expiry ${expires} is more than ten years ahead.`;
    overrides.expiresAt = at;
  }
  return { line, email, name, overrides };
}

interface RawRecord {
  readonly line: number;
  readonly cells: string[];
  readonly error?: string;
}

/** Splits CSV text into records (RFC 4180 quoting; a quoted field may span lines), each with the line it starts on. */
function splitRecords(text: string): RawRecord[] {
  const records: RawRecord[] = [];
  let line = 1;
  let start = 1;
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let error: string | undefined;
  const endRecord = () => {
    cells.push(cell);
    records.push({ line: start, cells, error });
    cells = [];
    cell = '';
    error = undefined;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        cell += c;
      }
    } else if (c === '"' && cell.trim() === '') {
      cell = '';
      quoted = true;
    } else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else {
      if (c === '"') error ??= 'A quote appears inside an unquoted field; quote the whole field and double the quote ("").';
      cell += c;
    }
  }
  if (quoted) error = 'A quoted field is not closed.';
  if (cell !== '' || cells.length > 0 || error) endRecord();
  return records;
}

import { toMicros } from '@/composables/money';
import type { UsageEventFieldsFragment } from '@/gql/graphql';

/** Fields of an export, in order (also what leaves out GraphQL's `__typename`). */
const CSV_COLUMNS: readonly (keyof UsageEventFieldsFragment)[] = [
  'startedAt',
  'id',
  'requestId',
  'decision',
  'status',
  'errorCode',
  'keyId',
  'keyPrefix',
  'ownerLabel',
  'teamId',
  'provider',
  'credentialId',
  'endpoint',
  'model',
  'stream',
  'inputTokens',
  'outputTokens',
  'cachedInputTokens',
  'costMicros',
  'latencyMs',
  'ttftMs',
  'nodeId',
  'tags',
];

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. A leading
 * `= + - @` is prefixed with an apostrophe so spreadsheets do not run it as a formula.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = Array.isArray(value) ? value.join(' ') : String(value);
  if (/^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Events as CSV with a header row; money stays in integer micro-dollars (`costMicros`). */
export function eventsToCsv(events: readonly UsageEventFieldsFragment[]): string {
  const rows = events.map((e) => CSV_COLUMNS.map((c) => csvField(c === 'costMicros' ? toMicros(e.costMicros).toString() : e[c])).join(','));
  return [CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}

/** Events as a JSON array of the same fields as the CSV; money as a string of micro-dollars. */
export function eventsToJson(events: readonly UsageEventFieldsFragment[]): string {
  const rows = events.map((e) => Object.fromEntries(CSV_COLUMNS.map((c) => [c, c === 'costMicros' ? toMicros(e.costMicros).toString() : e[c]])));
  return JSON.stringify(rows, null, 2);
}

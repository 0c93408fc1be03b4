import { USAGE_EVENT_FIELDS, type EventFieldSpec, type UsageEvent } from '@keyward/shared';
import type { UsageEventMessage } from './usage-event.type.js';

/**
 * SQL and row mapping derived from the shared event field table, so a field added there is
 * stored, returned and shown without a second list to keep in step.
 */

/** SQL: whether the organization row `alias` keeps prompt and completion text (content capture on). */
export function contentCaptured(alias: string): string {
  return `coalesce((${alias}.settings ->> 'contentCapture')::boolean, false)`;
}

/** The value stored for one field, read from the `jsonb_to_recordset` alias `e`. */
function storedValue(field: EventFieldSpec): string {
  const value = `e."${field.name}"`;
  if (field.content) {
    // Content text is kept only for organizations with capture on; otherwise it never touches disk.
    return `case when ${contentCaptured('o')} then nullif(${value}, 'null'::jsonb) else null end`;
  }
  if (field.list) return `coalesce(nullif(${value}, 'null'::jsonb), '[]'::jsonb)`;
  // A flag older nodes leave out is stored as false.
  if (field.columnType === 'boolean' && field.optional) return `coalesce(${value}, false)`;
  return value;
}

/** `column as "name"` for every field, plus when the control plane received the event. */
export function eventSelectList(fields: readonly EventFieldSpec[] = USAGE_EVENT_FIELDS, table = ''): string {
  const prefix = table ? `${table}.` : '';
  return [`${prefix}created_at as "receivedAt"`, ...fields.map((f) => `${prefix}${f.column} as "${f.name}"`)].join(', ');
}

/**
 * Stores events idempotently by id. Events of organizations that do not exist (deleted since)
 * are skipped by the join; a re-sent id is skipped by the conflict clause. Returns only the ids
 * stored: reading every row back costs more than storing it (PostgreSQL prints the rows,
 * the client parses them), and `storedEventMessage` knows what was stored.
 */
export function insertEventsStatement(fields: readonly EventFieldSpec[] = USAGE_EVENT_FIELDS): string {
  return [
    `insert into usage_events (created_at, updated_at, ${fields.map((f) => f.column).join(', ')})`,
    `select now(), now(), ${fields.map(storedValue).join(', ')}`,
    `from jsonb_to_recordset(?::jsonb) as e(${fields.map((f) => `"${f.name}" ${f.columnType}`).join(', ')})`,
    'join organizations o on o.id = e."orgId"',
    'on conflict (id) do nothing',
    'returning id',
  ].join('\n');
}

/** A stored event as `eventSelectList` returns it (PostgreSQL sends bigints as strings). */
export type UsageEventRow = Record<string, unknown>;

/**
 * The GraphQL view of a stored event, from a row selected with `eventSelectList` or from an
 * entity (whose properties carry the same names). Bigints become numbers, times become dates,
 * ids are read as PostgreSQL prints them (lower case), absent lists become empty ones and absent flags false.
 * `contentPurgedAt` is read when the row has it (entities do; `eventSelectList` leaves it out).
 */
export function toUsageEventMessage(row: UsageEventRow, fields: readonly EventFieldSpec[] = USAGE_EVENT_FIELDS): UsageEventMessage {
  return messageOf(row, row.receivedAt as string | Date, true, fields, row.contentPurgedAt as string | Date | null | undefined);
}

/**
 * The view of an event as `insertEventsStatement` stored it, without reading it back: received
 * at `receivedAt` (the storing transaction's `now()`), its content text kept only when its
 * organization captures content.
 */
export function storedEventMessage(
  event: UsageEvent,
  receivedAt: Date,
  captured: boolean,
  fields: readonly EventFieldSpec[] = USAGE_EVENT_FIELDS,
): UsageEventMessage {
  return messageOf(event as unknown as UsageEventRow, receivedAt, captured, fields, null);
}

function messageOf(
  source: UsageEventRow,
  receivedAt: string | Date,
  captured: boolean,
  fields: readonly EventFieldSpec[],
  purgedAt: string | Date | null | undefined,
): UsageEventMessage {
  const view: Record<string, unknown> = { receivedAt: new Date(receivedAt), contentPurgedAt: purgedAt ? new Date(purgedAt) : null };
  for (const field of fields) {
    const value = field.content && !captured ? null : source[field.name];
    if (value === undefined || value === null) view[field.name] = field.list ? [] : field.columnType === 'boolean' ? false : null;
    else if (field.columnType === 'bigint') view[field.name] = Number(value);
    else if (field.columnType === 'timestamptz') view[field.name] = new Date(value as string | Date);
    else if (field.columnType === 'uuid') view[field.name] = String(value).toLowerCase();
    else view[field.name] = value;
  }
  return view as unknown as UsageEventMessage;
}

import { createHash, hash } from 'node:crypto';
import { canonicalJson, USAGE_EVENT_FIELDS, type EventFieldSpec } from '@keyward/shared';
import { eventSelectList, toUsageEventMessage, type UsageEventRow } from '../events/event-columns.js';
import { AppError } from '../errors.js';

/**
 * The two chains of an organization: one over its stored usage events (`usage`), one over its
 * administrative audit entries (`audit`). Each row's link (`audit_chain_links`) holds its
 * position `seq` (1, 2, 3, … in commit order), `prev_hash` and `hash = sha256(prev_hash ‖
 * canonical row)`, where `prev_hash` is the previous link's hash (64 zero hex digits before the
 * first), both hashes are taken as their 32 raw bytes, and the canonical row is the RFC 8785
 * JSON of what `canonicalRow` returns, in UTF-8.
 *
 * "The row" is every stored column a reader can see, under its API name: for a usage event
 * every field of the shared event table plus `receivedAt` (a field marked `canonicalWhenSet`, such
 * as `traceId`, only when it is not null); for an audit entry `id`, `orgId`,
 * `createdAt`, `actor`, `action`, `targetId`, `outcome`, `errorCode`, `args`, `ipHash`,
 * `userAgent` and `requestId`. Times are ISO 8601 UTC strings to the millisecond, absent values
 * `null`. `updated_at` is not part of it, nor the position: that is bound by `prev_hash`, so
 * moving a link breaks the chain there rather than a row's own hash.
 *
 * A link's `format` says which canonical row it hashed. Format 1 (audit entries, and usage
 * events linked before content retention existed): the row above, content inline. Format 2
 * (usage events since): the row without its content fields plus `contentDigest`, the SHA-256
 * (hex) of the RFC 8785 JSON of the content fields alone (`{"content": …}`), which the link
 * also stores (`content_digest`). Content can then be cleared by retention (`content_purged_at`
 * marks the row) while the row still verifies; content still present must match the digest.
 */
export type ChainKindName = 'usage' | 'audit';

/** Which canonical row a link hashed (see above). */
export type LinkFormat = 1 | 2;

export const CHAIN_KIND_NAMES: readonly ChainKindName[] = ['usage', 'audit'];

/** The hash before the first row of every chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** Exact-match filters readers narrow a chain's rows by (the trail in GraphQL, exports); each chain has some of them. */
export type RowFilterName = 'keyId' | 'decision' | 'actor' | 'action';

const ROW_FILTER_NAMES: readonly RowFilterName[] = ['keyId', 'decision', 'actor', 'action'];

/** One chain: where its rows live and how a row read with `selectList` becomes canonical. */
export interface ChainKind {
  readonly name: ChainKindName;
  readonly table: 'usage_events' | 'audit_entries';
  /** What its rows are, for sentences: `usage events`, `audit entries`. */
  readonly rowsName: string;
  /** The filters its rows can be narrowed by, with the column each one matches. */
  readonly filterColumns: Readonly<Partial<Record<RowFilterName, string>>>;
  /** The canonical row's field names, in the order `canonicalRow` writes them (an export's columns). */
  readonly fieldNames: readonly string[];
  /** `column as "name"` for every canonical field, columns qualified with `alias.` when given. */
  selectList(alias?: string): string;
  /**
   * `selectList` over the columns the table had when the chain began: what its migration
   * (`Migration20261207000500`) reads, since columns added later do not exist yet when it runs.
   */
  readonly chainStartSelectList: string;
  /** The format new links of this chain are written in. */
  readonly format: LinkFormat;
  /** The whole row under its API names, content included: what a format 1 link hashed. */
  canonicalRow(row: Record<string, unknown>): Record<string, unknown>;
  /** The row as a link of `format` shows it: format 2 keeps its content fields apart. */
  trailView(row: Record<string, unknown>, format: LinkFormat): { row: Record<string, unknown>; content?: Record<string, unknown> };
  /**
   * What a new link of this chain hashes, in `format`: the canonical text (as `canonicalJson` of
   * `linkedRow(trailView(row).row, contentDigest)` writes it, possibly by a faster road: ingestion
   * hashes every row) and the content digest the link stores (null in format 1).
   */
  canonicalForm(row: Record<string, unknown>): { text: string; contentDigest: string | null };
}

const AUDIT_COLUMNS: readonly [column: string, name: string][] = [
  ['id', 'id'],
  ['organization_id', 'orgId'],
  ['created_at', 'createdAt'],
  ['actor', 'actor'],
  ['action', 'action'],
  ['target_id', 'targetId'],
  ['outcome', 'outcome'],
  ['error_code', 'errorCode'],
  ['args', 'args'],
  ['ip_hash', 'ipHash'],
  ['user_agent', 'userAgent'],
  ['request_id', 'requestId'],
];

/** The usage event fields retention may clear (prompt and answer text). */
const CONTENT_FIELDS = (USAGE_EVENT_FIELDS as readonly EventFieldSpec[]).filter((field) => field.content);
const CONTENT_NAMES = new Set(CONTENT_FIELDS.map((field) => field.name));

/** The name under which a format 2 row commits to its content. */
const CONTENT_DIGEST = 'contentDigest';

type CanonicalField = Pick<EventFieldSpec, 'name' | 'list' | 'canonicalWhenSet'> & {
  readonly prefix: string;
  /** The field's value (never null) as RFC 8785 JSON, by its column type. */
  readonly write: (value: unknown) => string;
};

/** Strings JSON writes between quotes as they are (no character to escape, no lone surrogate). */
// oxlint-disable-next-line no-control-regex -- the control characters are those JSON escapes
const PLAIN_STRING = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/** How a column type's value is written: what `canonicalJson` writes for its API value, without its checks. */
function writerFor(columnType: EventFieldSpec['columnType']): (value: unknown) => string {
  switch (columnType) {
    case 'timestamptz':
      return (value) => `"${(value instanceof Date ? value : new Date(value as string)).toISOString()}"`;
    case 'bigint':
    case 'smallint':
      return (value) => JSON.stringify(Number(value));
    case 'boolean':
      return (value) => (value ? 'true' : 'false');
    case 'jsonb':
      return canonicalJson;
    default:
      return (value) => (typeof value === 'string' && PLAIN_STRING.test(value) ? `"${value}"` : canonicalJson(value));
  }
}

/**
 * Fields in canonical (sorted) order, each with its `"name":` prefix and its value's writer. The
 * writer puts the comma before every field but the first it writes: a field sorted first
 * (`anomalyReasons`) may be left out.
 */
const inCanonicalOrder = (fields: readonly Pick<EventFieldSpec, 'name' | 'columnType' | 'list' | 'canonicalWhenSet'>[]): CanonicalField[] =>
  [...fields]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((field) => ({
      name: field.name,
      list: field.list,
      canonicalWhenSet: field.canonicalWhenSet,
      prefix: `${JSON.stringify(field.name)}:`,
      write: writerFor(field.columnType),
    }));

/** Format 2: usage event fields with `receivedAt`, the content fields replaced by `contentDigest`. */
const USAGE_LINKED_FIELDS = inCanonicalOrder([
  { name: 'receivedAt', columnType: 'timestamptz', list: false },
  { name: CONTENT_DIGEST, columnType: 'text', list: false },
  ...(USAGE_EVENT_FIELDS as readonly EventFieldSpec[]).filter((field) => !field.content),
]);
const USAGE_CONTENT_FIELDS = inCanonicalOrder(CONTENT_FIELDS);

/** SHA-256 (hex) of the RFC 8785 JSON of a row's content fields: what a format 2 link commits to. */
export function contentDigestOf(content: Record<string, unknown> | string): string {
  return createHash('sha256')
    .update(typeof content === 'string' ? content : canonicalJson(content))
    .digest('hex');
}

/**
 * `contentDigestOf` a content text, remembering the last one: most events of a batch carry the
 * same content (none, when the organization does not capture it), so most rows hash nothing here.
 */
const contentDigestOfText = (() => {
  let lastText: string | null = null;
  let lastDigest = '';
  return (text: string): string => {
    if (text !== lastText) {
      lastDigest = contentDigestOf(text);
      lastText = text;
    }
    return lastDigest;
  };
})();

/** A format 2 trail row with its content digest: the object whose canonical JSON the link hashed. */
export function linkedRow(row: Record<string, unknown>, contentDigest: string | null): Record<string, unknown> {
  return { ...row, [CONTENT_DIGEST]: contentDigest };
}

/** Whether a `canonicalWhenSet` field is left out: null, absent, false, or an empty list. */
function isUnset(value: unknown): boolean {
  return value === null || value === undefined || value === false || (Array.isArray(value) && value.length === 0);
}

/** Fields a canonical row leaves out while they are unset (see `EventFieldSpec.canonicalWhenSet`). */
const USAGE_FIELDS_WHEN_SET = (USAGE_EVENT_FIELDS as readonly EventFieldSpec[]).filter((field) => field.canonicalWhenSet).map((field) => field.name);

/**
 * The canonical JSON of a usage event's `fields` written straight from the row, the way
 * `canonicalJson` writes the trail's objects (a test holds them equal), without the intermediate
 * objects: ingestion hashes every event in the transaction that stores it.
 */
function usageCanonicalText(fields: readonly CanonicalField[], row: Record<string, unknown>, contentDigest?: string): string {
  let out = '{';
  for (const field of fields) {
    const value = field.name === CONTENT_DIGEST ? contentDigest : row[field.name];
    if (field.canonicalWhenSet && isUnset(value)) continue;
    out += out.length === 1 ? field.prefix : `,${field.prefix}`;
    out += value === null || value === undefined ? (field.list ? '[]' : 'null') : field.write(value);
  }
  return `${out}}`;
}

/** The row under its API names, without the fields marked `canonicalWhenSet` while they are unset. */
function usageCanonicalRow(row: Record<string, unknown>): Record<string, unknown> {
  const view = plainJson(toUsageEventMessage(row as UsageEventRow) as unknown as Record<string, unknown>);
  // Retention's mark is not part of the row it hashed: the trail shows it beside the row.
  delete view.contentPurgedAt;
  for (const name of USAGE_FIELDS_WHEN_SET) if (isUnset(view[name])) delete view[name];
  return view;
}

export const USAGE_CHAIN: ChainKind = {
  name: 'usage',
  table: 'usage_events',
  rowsName: 'usage events',
  filterColumns: { keyId: 'key_id', decision: 'decision' },
  fieldNames: ['receivedAt', ...USAGE_EVENT_FIELDS.map((f) => f.name)],
  format: 2,
  selectList: (alias) => eventSelectList(undefined, alias ?? ''),
  chainStartSelectList: eventSelectList((USAGE_EVENT_FIELDS as readonly EventFieldSpec[]).filter((field) => !field.canonicalWhenSet)),
  canonicalRow: usageCanonicalRow,
  trailView: (row, format) => {
    const whole = usageCanonicalRow(row);
    if (format === 1) return { row: whole };
    const view = { row: {} as Record<string, unknown>, content: {} as Record<string, unknown> };
    for (const [name, value] of Object.entries(whole)) (CONTENT_NAMES.has(name) ? view.content : view.row)[name] = value;
    return view;
  },
  canonicalForm: (row) => {
    const contentDigest = contentDigestOfText(usageCanonicalText(USAGE_CONTENT_FIELDS, row));
    return { text: usageCanonicalText(USAGE_LINKED_FIELDS, row, contentDigest), contentDigest };
  },
};

export const AUDIT_CHAIN: ChainKind = {
  name: 'audit',
  table: 'audit_entries',
  rowsName: 'audit entries',
  filterColumns: { actor: 'actor', action: 'action' },
  fieldNames: AUDIT_COLUMNS.map(([, name]) => name),
  format: 1,
  selectList: auditSelectList,
  chainStartSelectList: auditSelectList(),
  canonicalRow: auditCanonicalRow,
  trailView: (row) => ({ row: auditCanonicalRow(row) }),
  canonicalForm: (row) => ({ text: canonicalJson(auditCanonicalRow(row)), contentDigest: null }),
};

function auditSelectList(alias?: string): string {
  return AUDIT_COLUMNS.map(([column, name]) => `${alias ? `${alias}.` : ''}${column} as "${name}"`).join(', ');
}

function auditCanonicalRow(row: Record<string, unknown>): Record<string, unknown> {
  return plainJson({ ...Object.fromEntries(AUDIT_COLUMNS.map(([, name]) => [name, row[name] ?? null])), createdAt: new Date(row.createdAt as string | Date) });
}

export const CHAIN_KINDS: Record<ChainKindName, ChainKind> = { usage: USAGE_CHAIN, audit: AUDIT_CHAIN };

/** `sha256(prev ‖ canonical JSON of row)` in hex, the link every chained row stores; `row` as `canonicalRow` returns it, or its canonical text. */
export function linkHash(prevHash: string, row: Record<string, unknown> | string): string {
  return linkDigest(Buffer.from(prevHash, 'hex'), framedCanonical(typeof row === 'string' ? row : canonicalJson(row))).toString('hex');
}

/** Bytes of a link's hashed message before the canonical row: the previous link's raw hash. */
const PREV_BYTES = 32;

/**
 * A canonical row's UTF-8 bytes behind room for the previous hash: `linkDigest` writes the
 * previous hash in front and hashes the whole in one call, whichever previous hash it is given.
 */
export function framedCanonical(text: string): Buffer {
  const framed = Buffer.allocUnsafe(PREV_BYTES + Buffer.byteLength(text));
  framed.write(text, PREV_BYTES);
  return framed;
}

/** `linkHash` on raw bytes: the previous hash's 32 bytes, written into the front of a `framedCanonical` row. */
export function linkDigest(prev: Buffer, framed: Buffer): Buffer {
  prev.copy(framed, 0, 0, PREV_BYTES);
  return hash('sha256', framed, 'buffer');
}

/** Dates as ISO strings, bigints given as strings left alone, `undefined` as null: what JSON carries. */
function plainJson(view: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(view)) out[name] = value instanceof Date ? value.toISOString() : (value ?? null);
  return out;
}

/**
 * The filters given (null and undefined mean "any"), checked against the chain: `alias.column = ?`
 * conditions with their values. A filter of the other chain is BAD_USER_INPUT naming it as
 * `<path>.<name>`.
 */
export function rowFilters(
  kind: ChainKind,
  given: Partial<Record<RowFilterName, string | null | undefined>>,
  path: string,
): Partial<Record<RowFilterName, string>> {
  const filters: Partial<Record<RowFilterName, string>> = {};
  for (const name of ROW_FILTER_NAMES) {
    const value = given[name];
    if (value === null || value === undefined) continue;
    if (!kind.filterColumns[name]) {
      const owner = Object.values(CHAIN_KINDS).find((k) => k.filterColumns[name])!;
      throw new AppError('BAD_USER_INPUT', `\`${path}.${name}\` filters ${owner.rowsName} only.`);
    }
    filters[name] = value;
  }
  return filters;
}

/** SQL conditions (`alias.column = ?`) and their bindings for filters `rowFilters` accepted. */
export function rowFilterConditions(kind: ChainKind, filters: Partial<Record<RowFilterName, string>>, alias: string): { where: string[]; bindings: string[] } {
  const entries = Object.entries(filters) as [RowFilterName, string][];
  return { where: entries.map(([name]) => `${alias}.${kind.filterColumns[name]} = ?`), bindings: entries.map(([, value]) => value) };
}

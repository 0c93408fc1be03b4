import { AUDIT_CHAIN, USAGE_CHAIN, type ChainKind, type RowFilterName } from '../audit-chain/chain-kinds.js';
import type { Permission } from '../auth/roles.js';

/** What an export holds: the organization's usage events or its admin audit entries. */
export type ExportKindName = 'usage-events' | 'audit-entries';

/** How an export is written: one JSON object a line, or CSV with a header row. */
export type ExportFormat = 'ndjson' | 'csv';

export const EXPORT_KIND_NAMES: readonly ExportKindName[] = ['usage-events', 'audit-entries'];
export const EXPORT_FORMATS: readonly ExportFormat[] = ['ndjson', 'csv'];

/**
 * One kind of export. Its rows are read, filtered and written exactly as the audit trail's
 * chains hold them (`chain`: table, select list, canonical row, field names, filters), so a
 * usage event has one definition (`shared/src/wire/event-fields.ts`) wherever it is read.
 */
export interface ExportKind {
  readonly name: ExportKindName;
  readonly chain: ChainKind;
  /** The column `[from, to)` applies to, and the order rows come in (then by id). */
  readonly timeColumn: string;
  /** What the caller's role must grant to export it (what reading it in GraphQL needs). */
  readonly permission: Permission;
}

export const EXPORT_KINDS: Readonly<Record<ExportKindName, ExportKind>> = {
  // By the time the request started, as the `usageEvents` query filters them.
  'usage-events': {
    name: 'usage-events',
    chain: USAGE_CHAIN,
    timeColumn: 'started_at',
    permission: 'events:read',
  },
  'audit-entries': {
    name: 'audit-entries',
    chain: AUDIT_CHAIN,
    timeColumn: 'created_at',
    permission: 'audit:read',
  },
};

/** What one export link carries: which rows, how written, and until when the link works. */
export interface ExportRequest {
  readonly orgId: string;
  readonly kind: ExportKindName;
  readonly format: ExportFormat;
  readonly from: Date;
  readonly to: Date;
  /** Exact matches, by filter name; only filters of the kind. */
  readonly filters: Readonly<Partial<Record<RowFilterName, string>>>;
  readonly expiresAt: Date;
}

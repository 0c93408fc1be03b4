import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from '../config-publish/sql.js';
import { AppError } from '../errors.js';
import type { AuditTrailFilter } from './audit-chain.input.js';
import type { AuditTrailPage, AuditTrailRow } from './audit-chain.type.js';
import { CHAIN_KINDS, rowFilterConditions, rowFilters, type ChainKindName } from './chain-kinds.js';

/** Most rows one page returns. */
const MAX_TRAIL_PAGE = 200;

/** What a chain's rows are summarised by: the columns read, and who, what and how it ended. */
const SUMMARIES: Record<ChainKindName, { select: string; summary(row: Row): Summary }> = {
  usage: {
    select: `t.key_id as "keyId", t.key_prefix as "keyPrefix", t.owner_label as "ownerLabel", t.endpoint, t.model, t.decision as result`,
    summary: (r) => ({
      actor: r.ownerLabel ? `${r.keyPrefix} · ${r.ownerLabel}` : String(r.keyPrefix),
      keyId: r.keyId as string,
      action: r.model ? `${r.endpoint} · ${r.model}` : String(r.endpoint),
      result: String(r.result),
    }),
  },
  audit: {
    select: `t.actor, t.action, t.outcome as result`,
    summary: (r) => ({ actor: String(r.actor), keyId: null, action: String(r.action), result: String(r.result) }),
  },
};

type Row = Record<string, unknown>;
type Summary = Pick<AuditTrailRow, 'actor' | 'keyId' | 'action' | 'result'>;

/**
 * A page of one chain of the organization, newest position first, each row with its link and
 * the checkpoint signed at it; `after` is the last position of the previous page. Only rows
 * still stored and linked are listed (verification finds the others).
 */
export async function trailPage(
  em: EntityManager,
  orgId: string,
  filter: AuditTrailFilter,
  first: number | null,
  after: string | null,
): Promise<AuditTrailPage> {
  const limit = first ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_TRAIL_PAGE) throw new AppError('BAD_USER_INPUT', `\`first\` must be from 1 to ${MAX_TRAIL_PAGE}.`);
  if (after !== null && !/^[1-9]\d{0,15}$/.test(after)) throw new AppError('BAD_USER_INPUT', '`after` is not a cursor from this list.');
  if (filter.from && filter.to && filter.from >= filter.to) throw new AppError('BAD_USER_INPUT', '`filter.from` must be before `filter.to`.');
  const kind = CHAIN_KINDS[filter.chain];
  const summary = SUMMARIES[filter.chain];
  const filters = rowFilterConditions(kind, rowFilters(kind, filter, 'filter'), 't');
  const where = ['l.organization_id = ?', 'l.kind = ?', ...filters.where];
  const bindings: unknown[] = [orgId, filter.chain, ...filters.bindings];
  const bounds: [string, unknown][] = [
    ['t.created_at >= ?', filter.from],
    ['t.created_at < ?', filter.to],
    ['l.seq < ?', after],
  ];
  for (const [condition, value] of bounds) {
    if (value === null || value === undefined) continue;
    where.push(condition);
    bindings.push(value);
  }
  const rows = await sqlRows<Row>(
    em,
    `select l.seq, l.row_id as "rowId", l.prev_hash as "prevHash", l.hash, t.created_at as at, ${summary.select},
            c.signed_at as "signedAt", c.key_id as "checkpointKeyId"
       from audit_chain_links l join ${kind.table} t on t.id = l.row_id
       left join audit_checkpoints c on c.organization_id = l.organization_id and c.kind = l.kind and c.seq = l.seq
      where ${where.join(' and ')} order by l.seq desc limit ${limit + 1}`,
    bindings,
  );
  const page = rows.slice(0, limit).map((r): AuditTrailRow => ({
    chain: filter.chain,
    seq: Number(r.seq),
    rowId: r.rowId as string,
    prevHash: r.prevHash as string,
    hash: r.hash as string,
    at: new Date(r.at as string | Date),
    ...summary.summary(r),
    checkpoint: r.signedAt ? { signedAt: new Date(r.signedAt as string | Date), keyId: r.checkpointKeyId as string } : null,
  }));
  return { rows: page, nextCursor: rows.length > limit && page.length > 0 ? String(page[page.length - 1]!.seq) : null };
}

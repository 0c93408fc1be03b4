import type { EntityManager } from '@mikro-orm/postgresql';
import { CHAIN_KINDS, type ChainKindName } from '../audit-chain/chain-kinds.js';
import { linkedColumns, linkedLine, type LinkedLine } from '../audit-chain/trail-lines.js';
import { sqlRows } from '../config-publish/sql.js';

/**
 * One chained row as a sink exports it: its chain, its position and hashes, and the row as the
 * audit-trail export shows it (`linkedLine`: in format 2 with its content apart and the content
 * digest). The same fields as the export's `row` lines, so a SIEM holds exactly what
 * `audit:verify` checks.
 */
export interface SinkRecord {
  readonly chain: ChainKindName;
  readonly seq: number;
  readonly id: string;
  readonly format?: LinkedLine['format'];
  readonly prevHash: string;
  readonly hash: string;
  readonly row: Record<string, unknown>;
  readonly contentDigest?: string | null;
  readonly content?: Record<string, unknown> | null;
  readonly contentPurgedAt?: string | null;
  /** A test event ("send test event"), not a stored row. */
  readonly test?: true;
}

/** One batch of a chain: its records and the last position it covers (rows deleted by retention are skipped, not waited for). */
export interface SinkBatch {
  readonly chain: ChainKindName;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly records: readonly SinkRecord[];
}

/** The links of `chain` after `afterSeq`, up to `limit` of them, with their rows, in sequence order; null when there is none. */
export async function readBatch(
  em: EntityManager,
  orgId: string,
  chain: ChainKindName,
  afterSeq: number,
  limit: number,
  toSeq?: number,
): Promise<SinkBatch | null> {
  const kind = CHAIN_KINDS[chain];
  const rows = await sqlRows<Record<string, unknown>>(
    em,
    `select ${linkedColumns(kind)}
       from audit_chain_links l left join ${kind.table} t on t.id = l.row_id
      where l.organization_id = ? and l.kind = ? and l.seq > ? and l.seq <= ? order by l.seq limit ${Math.floor(limit)}`,
    [orgId, chain, afterSeq, toSeq ?? Number.MAX_SAFE_INTEGER],
  );
  if (rows.length === 0) return null;
  const records = rows
    .filter((row) => row.present)
    .map((row) => {
      const line = linkedLine(kind, Number(row.chainSeq), row);
      const { id, format, contentDigest, content, contentPurgedAt } = line;
      return {
        chain,
        seq: line.seq!,
        id,
        format: format!,
        prevHash: line.prevHash!,
        hash: line.hash!,
        row: line.row!,
        contentDigest,
        content,
        contentPurgedAt,
      };
    });
  return { chain, fromSeq: Number(rows[0]!.chainSeq), toSeq: Number(rows[rows.length - 1]!.chainSeq), records };
}

/** The last position of each chain of an organization (0 for a chain with no row yet). */
export async function chainHeads(em: EntityManager, orgId: string): Promise<Record<ChainKindName, number>> {
  const rows = await sqlRows<{ kind: ChainKindName; seq: string }>(em, `select kind, seq from audit_chain_heads where organization_id = ?`, [orgId]);
  const heads: Record<ChainKindName, number> = { usage: 0, audit: 0 };
  for (const row of rows) heads[row.kind] = Number(row.seq);
  return heads;
}

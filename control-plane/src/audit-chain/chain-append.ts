import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { sqlRows } from '../config-publish/sql.js';
import { linkHash, type ChainKind } from './chain-kinds.js';

/**
 * Locks the heads of the given organizations' chains of one kind, creating missing heads, and
 * returns them. `on conflict do update` takes the row lock even when the head exists, so every
 * transaction that appends to a chain waits here for the one before it to commit: sequence
 * numbers follow commit order with no gap, across nodes and control-plane instances. Heads are
 * locked in organization order, so two batches touching the same organizations cannot deadlock.
 */
const LOCK_HEADS = `
insert into audit_chain_heads (id, organization_id, kind, seq, hash)
select gen_random_uuid(), org, ?, 0, repeat('0', 64) from unnest(?::uuid[]) as org order by org
on conflict (organization_id, kind) do update set seq = audit_chain_heads.seq
returning organization_id as "orgId", seq, hash`;

/** Inserts each new row's link and moves the heads, in one statement. */
const WRITE_LINKS = `
with links as (
  insert into audit_chain_links (organization_id, kind, seq, row_id, prev_hash, hash)
  select l.org, ?, l.seq, l.id, l.prev, l.hash from jsonb_to_recordset(?::jsonb) as l(org uuid, seq bigint, id uuid, prev text, hash text)
  returning 1)
update audit_chain_heads a set seq = h.seq, hash = h.hash, updated_at = now()
  from jsonb_to_recordset(?::jsonb) as h(org uuid, seq bigint, hash text) where a.organization_id = h.org and a.kind = ?`;

/**
 * Appends rows just inserted in the transaction `trx` to their organizations' chains of `kind`,
 * in the order given. Each row must carry what `kind.selectList()` selects (`id` and `orgId`
 * included); rows without an organization are not chained.
 */
export async function appendToChain(trx: Knex, kind: ChainKind, rows: readonly Record<string, unknown>[]): Promise<void> {
  const chained = rows.filter((row) => typeof row.orgId === 'string');
  if (chained.length === 0) return;
  const orgIds = [...new Set(chained.map((row) => row.orgId as string))];
  const locked = await trx.raw<{ rows: { orgId: string; seq: string; hash: string }[] }>(LOCK_HEADS, [kind.name, orgIds]);
  const heads = new Map(locked.rows.map((h) => [h.orgId, { seq: Number(h.seq), hash: h.hash }]));
  const links = chained.map((row) => {
    const head = heads.get(row.orgId as string)!;
    const prev = head.hash;
    head.seq += 1;
    head.hash = linkHash(prev, kind.canonicalText(row));
    return { org: row.orgId, seq: head.seq, id: row.id, prev, hash: head.hash };
  });
  const moved = [...heads].map(([org, head]) => ({ org, seq: head.seq, hash: head.hash }));
  await trx.raw(WRITE_LINKS, [kind.name, JSON.stringify(links), JSON.stringify(moved), kind.name]);
}

/**
 * Appends one row already flushed in `em`'s transaction (an audit entry written through the
 * ORM) to its organization's chain of `kind`, reading it back as stored.
 */
export async function appendStoredRow(em: EntityManager, kind: ChainKind, id: string): Promise<void> {
  const trx = em.getTransactionContext<Knex.Transaction>();
  if (!trx) throw new Error('appendStoredRow runs inside the transaction that inserted the row');
  const rows = await sqlRows(em, `select ${kind.selectList()} from ${kind.table} where id = ?`, [id]);
  await appendToChain(trx, kind, rows);
}

import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { sqlRows } from '../config-publish/sql.js';
import { linkDigest, type ChainKind } from './chain-kinds.js';

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

/**
 * Inserts each new row's link and moves the heads, in one statement. The links come as one
 * array per column: `unnest` reads them with no per-row parsing, unlike a JSON document.
 */
const WRITE_LINKS = `
with links as (
  insert into audit_chain_links (organization_id, kind, seq, row_id, prev_hash, hash, format, content_digest)
  select l.org, ?, l.seq, l.id, l.prev, l.hash, ?, l.digest
    from unnest(?::uuid[], ?::bigint[], ?::uuid[], ?::text[], ?::text[], ?::text[]) as l(org, seq, id, prev, hash, digest)
  returning 1)
update audit_chain_heads a set seq = h.seq, hash = h.hash, updated_at = now()
  from unnest(?::uuid[], ?::bigint[], ?::text[]) as h(org, seq, hash) where a.organization_id = h.org and a.kind = ?`;

/** Rows ready to join their chains: the canonical work done, no lock taken yet. */
export interface PreparedLinks {
  readonly kind: ChainKind;
  readonly rows: readonly Record<string, unknown>[];
  /** Each row's canonical text, hashed as UTF-8. */
  readonly canonical: readonly string[];
  readonly contentDigests: readonly (string | null)[];
}

/**
 * Does everything a link needs that does not need its chain's head: the rows' canonical bytes
 * and content digests, in the kind's link format. Each row must carry every field
 * `kind.selectList()` selects, under the same names (`id` and `orgId` included): a selected row,
 * or for usage events the stored batch's messages, which carry the same fields. Rows without an
 * organization are not chained. Ingestion prepares before it takes any row lock, so this CPU
 * work never runs while another batch of the same organization waits.
 */
export function prepareLinks(kind: ChainKind, rows: readonly Record<string, unknown>[]): PreparedLinks {
  const chained = rows.filter((row) => typeof row.orgId === 'string');
  const forms = chained.map((row) => kind.canonicalForm(row));
  return {
    kind,
    rows: chained,
    canonical: forms.map((form) => form.text),
    contentDigests: forms.map((form) => form.contentDigest),
  };
}

/**
 * Appends prepared rows, just inserted in the transaction `trx`, to their organizations' chains,
 * in the order given. The heads stay locked until the commit; under the lock only the hashes
 * are chained and one statement writes the links.
 */
export async function appendPrepared(trx: Knex, prepared: PreparedLinks): Promise<void> {
  const { kind, rows: chained, canonical } = prepared;
  if (chained.length === 0) return;
  const orgIds = [...new Set(chained.map((row) => row.orgId as string))];
  const locked = await trx.raw<{ rows: { orgId: string; seq: string; hash: string }[] }>(LOCK_HEADS, [kind.name, orgIds]);
  const heads = new Map<string, { seq: number; hash: string; digest: Buffer }>(
    locked.rows.map((h) => [h.orgId, { seq: Number(h.seq), hash: h.hash, digest: Buffer.from(h.hash, 'hex') }]),
  );
  const links = { org: [] as string[], seq: [] as number[], id: [] as string[], prev: [] as string[], hash: [] as string[] };
  chained.forEach((row, i) => {
    const head = heads.get(row.orgId as string)!;
    links.org.push(row.orgId as string);
    links.id.push(row.id as string);
    links.prev.push(head.hash);
    head.seq += 1;
    head.digest = linkDigest(head.digest, canonical[i]!);
    head.hash = head.digest.toString('hex');
    links.seq.push(head.seq);
    links.hash.push(head.hash);
  });
  const moved = [...heads];
  await trx.raw(WRITE_LINKS, [
    kind.name,
    kind.format,
    links.org,
    links.seq,
    links.id,
    links.prev,
    links.hash,
    prepared.contentDigests as string[], // null in format 1
    moved.map(([org]) => org),
    moved.map(([, head]) => head.seq),
    moved.map(([, head]) => head.hash),
    kind.name,
  ]);
}

/** Prepares and appends rows just inserted in `trx` (see `prepareLinks` and `appendPrepared`). */
export async function appendToChain(trx: Knex, kind: ChainKind, rows: readonly Record<string, unknown>[]): Promise<void> {
  await appendPrepared(trx, prepareLinks(kind, rows));
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

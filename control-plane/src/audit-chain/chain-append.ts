import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { sqlRows } from '../config-publish/sql.js';
import { framedCanonical, linkDigest, type ChainKind } from './chain-kinds.js';
import type { ChainTip, ChainTips } from './chain-tips.js';

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

/**
 * Locks the heads of the organizations of a batch hashed onto guessed tips (`ChainTips`), in
 * organization order like `LOCK_HEADS`, and in the same statement writes the links and moves
 * the heads of the organizations whose head is the tip guessed. Returns every locked head as it
 * was, whether it matched, and how many heads and links were written (checked by the caller).
 */
const WRITE_GUESSED_LINKS = `
with locked as (
  select organization_id as org, seq, hash from audit_chain_heads
   where kind = ? and organization_id = any(?::uuid[]) order by organization_id for update),
matched as (
  select l.org from locked l join unnest(?::uuid[], ?::bigint[], ?::text[]) as g(org, seq, hash)
    on g.org = l.org and g.seq = l.seq and g.hash = l.hash),
links as (
  insert into audit_chain_links (organization_id, kind, seq, row_id, prev_hash, hash, format, content_digest)
  select l.org, ?, l.seq, l.id, l.prev, l.hash, ?, l.digest
    from unnest(?::uuid[], ?::bigint[], ?::uuid[], ?::text[], ?::text[], ?::text[]) as l(org, seq, id, prev, hash, digest)
   where l.org in (select org from matched)
  returning 1),
moved as (
  update audit_chain_heads a set seq = h.seq, hash = h.hash, updated_at = now()
    from unnest(?::uuid[], ?::bigint[], ?::text[]) as h(org, seq, hash)
   where a.organization_id = h.org and a.kind = ? and h.org in (select org from matched)
  returning 1)
select l.org as "orgId", l.seq, l.hash, l.org in (select org from matched) as matched,
  (select count(*) from moved)::int as moved, (select count(*) from links)::int as linked
  from locked l`;

/** Rows ready to join their chains: the canonical work done, no lock taken yet. */
export interface PreparedLinks {
  readonly kind: ChainKind;
  readonly rows: readonly Record<string, unknown>[];
  /** Each row's canonical bytes, framed for `linkDigest`. */
  readonly framed: readonly Buffer[];
  readonly contentDigests: readonly (string | null)[];
  /** The links hashed onto the tips this process expected, when it knew every organization's tip. */
  readonly guessed: Links | null;
}

/** Links of some of the prepared rows, one array per column, and where each organization's chain then ends. */
interface Links {
  readonly org: string[];
  readonly seq: number[];
  readonly id: string[];
  readonly prev: string[];
  readonly hash: string[];
  readonly digest: (string | null)[];
  /** The tips the links were hashed onto, and the tips after them. */
  readonly from: ReadonlyMap<string, ChainTip>;
  readonly to: ReadonlyMap<string, ChainTip>;
}

/** Hashes the prepared rows at `indexes` onto `from`, in order. */
function chainLinks(
  prepared: Pick<PreparedLinks, 'rows' | 'framed' | 'contentDigests'>,
  indexes: readonly number[],
  from: ReadonlyMap<string, ChainTip>,
): Links {
  const to = new Map(from);
  const links: Links = { org: [], seq: [], id: [], prev: [], hash: [], digest: [], from, to };
  for (const i of indexes) {
    const row = prepared.rows[i]!;
    const org = row.orgId as string;
    const tip = to.get(org)!;
    const digest = linkDigest(tip.digest, prepared.framed[i]!);
    const next = { seq: tip.seq + 1, hash: digest.toString('hex'), digest };
    links.org.push(org);
    links.seq.push(next.seq);
    links.id.push(row.id as string);
    links.prev.push(tip.hash);
    links.hash.push(next.hash);
    links.digest.push(prepared.contentDigests[i]!);
    to.set(org, next);
  }
  return links;
}

const tipOf = (head: { seq: string; hash: string }): ChainTip => ({ seq: Number(head.seq), hash: head.hash, digest: Buffer.from(head.hash, 'hex') });

/**
 * Does everything a link needs that does not need its chain's head: the rows' canonical bytes
 * and content digests, in the kind's link format, and with `tips`, when every organization of
 * the rows has one, their links hashed onto those tips (which then move past them). Each row
 * must carry every field `kind.selectList()` selects, under the same names (`id` and `orgId`
 * included): a selected row, or for usage events the stored batch's messages, which carry the
 * same fields. Rows without an organization are not chained. Ingestion prepares before it takes
 * any row lock, so this CPU work never runs while another batch of the same organization waits.
 */
export function prepareLinks(kind: ChainKind, rows: readonly Record<string, unknown>[], tips?: ChainTips): PreparedLinks {
  const chained = rows.filter((row) => typeof row.orgId === 'string');
  const forms = chained.map((row) => kind.canonicalForm(row));
  const prepared = {
    kind,
    rows: chained,
    framed: forms.map((form) => framedCanonical(form.text)),
    contentDigests: forms.map((form) => form.contentDigest),
  };
  const from = new Map<string, ChainTip>();
  for (const row of chained) {
    const org = row.orgId as string;
    const tip = tips?.get(org);
    if (!tip) return { ...prepared, guessed: null };
    from.set(org, tip);
  }
  if (!tips || from.size === 0) return { ...prepared, guessed: null };
  const guessed = chainLinks(
    prepared,
    chained.map((_, i) => i),
    from,
  );
  for (const [org, tip] of guessed.to) tips.set(org, tip);
  return { ...prepared, guessed };
}

/**
 * Appends prepared rows, just inserted in the transaction `trx`, to their organizations' chains,
 * in the order given. The heads stay locked until the commit. Rows hashed onto guessed tips take
 * one statement when the guess was right; otherwise (and for rows prepared without tips) only the
 * hashes are chained under the lock and one more statement writes the links. `tips` learns
 * where the chains end.
 */
export async function appendPrepared(trx: Knex, prepared: PreparedLinks, tips?: ChainTips): Promise<void> {
  const { kind, rows: chained, guessed } = prepared;
  if (chained.length === 0) return;
  let heads: Map<string, ChainTip>;
  if (guessed) {
    const orgIds = [...guessed.from.keys()].sort();
    const from = [...guessed.from];
    const written = await trx.raw<{ rows: { orgId: string; seq: string; hash: string; matched: boolean; moved: number; linked: number }[] }>(
      WRITE_GUESSED_LINKS,
      [kind.name, orgIds, from.map(([org]) => org), from.map(([, tip]) => tip.seq), from.map(([, tip]) => tip.hash), ...linkColumns(kind, guessed)],
    );
    const matched = new Set(written.rows.filter((head) => head.matched).map((head) => head.orgId));
    const expected = guessed.org.filter((org) => matched.has(org)).length;
    if ((written.rows[0]?.moved ?? 0) !== matched.size || (written.rows[0]?.linked ?? 0) !== expected) {
      throw new Error(
        `the ${kind.name} chain moved ${written.rows[0]?.moved} heads and wrote ${written.rows[0]?.linked} links, not ${matched.size} and ${expected}`,
      );
    }
    heads = new Map(written.rows.filter((head) => !head.matched).map((head) => [head.orgId, tipOf(head)]));
    // A head that is gone (its organization deleted meanwhile) is made again, as for a first row.
    const missing = orgIds.filter((org) => !matched.has(org) && !heads.has(org));
    if (missing.length > 0) for (const [org, tip] of await lockHeads(trx, kind, missing)) heads.set(org, tip);
    if (heads.size === 0) return;
  } else {
    heads = await lockHeads(trx, kind, [...new Set(chained.map((row) => row.orgId as string))]);
  }
  const pending = chained.flatMap((row, i) => (heads.has(row.orgId as string) ? [i] : []));
  const links = chainLinks(prepared, pending, heads);
  await trx.raw(WRITE_LINKS, linkColumns(kind, links));
  if (tips) for (const [org, tip] of links.to) tips.set(org, tip);
}

/** Locks (creating when missing) the heads of `orgIds`' chains of `kind`, in organization order. */
async function lockHeads(trx: Knex, kind: ChainKind, orgIds: readonly string[]): Promise<Map<string, ChainTip>> {
  const locked = await trx.raw<{ rows: { orgId: string; seq: string; hash: string }[] }>(LOCK_HEADS, [kind.name, [...orgIds]]);
  return new Map(locked.rows.map((head) => [head.orgId, tipOf(head)]));
}

/** The bindings `WRITE_LINKS` (and the end of `WRITE_GUESSED_LINKS`) take: the links' columns, then the heads' new tips. */
function linkColumns(kind: ChainKind, links: Links): Knex.RawBinding[] {
  const moved = [...links.to].filter(([org]) => links.from.get(org) !== links.to.get(org));
  return [
    kind.name,
    kind.format,
    links.org,
    links.seq,
    links.id,
    links.prev,
    links.hash,
    links.digest as string[], // null in format 1
    moved.map(([org]) => org),
    moved.map(([, tip]) => tip.seq),
    moved.map(([, tip]) => tip.hash),
    kind.name,
  ];
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

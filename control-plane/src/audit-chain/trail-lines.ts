import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from '../config-publish/sql.js';
import { CHAIN_KIND_NAMES, CHAIN_KINDS, type ChainKind, type ChainKindName, type LinkFormat } from './chain-kinds.js';
import type { CheckpointFields } from './checkpoints.js';
import type { PublicSigningKey } from './signing-key.js';

/**
 * The audit trail of one organization as a sequence of self-contained JSON lines, the same
 * for the NDJSON export and for `verifyAuditTrail`, so both judge exactly the same evidence:
 *
 * - `{ type: "keys", keys: [{ keyId, algorithm, publicKey }] }` — the checkpoint keys;
 * - per chain (`usage`, then `audit`): the checkpoint the walk starts from, if any
 *   (`{ type: "checkpoint", anchor: true, … }`), then its links in sequence order with their
 *   rows (`{ type: "row", chain, seq, id, format, prevHash, hash, row }`, `row: null` when the
 *   row is gone; a format 2 link adds `contentDigest`, `content` — the content fields, null once
 *   retention cleared them — and `contentPurgedAt`), each checkpoint right after the link it covers
 *   (`{ type: "checkpoint", chain, orgId, kind, seq, hash, signedAt, keyId, signature }`), rows of
 *   the range that have no link (`seq: null`), and `{ type: "end", chain, seq }`, the last
 *   position the range should reach.
 */
export type TrailLine =
  | { readonly type: 'keys'; readonly keys: readonly Omit<PublicSigningKey, 'createdAt'>[] }
  | CheckpointLine
  | {
      readonly type: 'row';
      readonly chain: ChainKindName;
      readonly seq: number | null;
      readonly id: string;
      /** The link's format (`chain-kinds.ts`); null for a row with no link. */
      readonly format: LinkFormat | null;
      readonly prevHash: string | null;
      readonly hash: string | null;
      readonly row: Record<string, unknown> | null;
      /** Format 2: what the canonical row holds instead of the content. */
      readonly contentDigest?: string | null;
      /** Format 2: the content fields, or null when retention cleared them (then `contentPurgedAt` says when). */
      readonly content?: Record<string, unknown> | null;
      readonly contentPurgedAt?: string | null;
    }
  | { readonly type: 'end'; readonly chain: ChainKindName; readonly seq: number };

interface CheckpointLine extends CheckpointFields {
  readonly type: 'checkpoint';
  readonly chain: ChainKindName;
  readonly anchor?: true;
  readonly signature: string;
}

/** Which rows a walk covers: those received in [from, to), widened back to a checkpoint. */
export interface TrailRange {
  readonly orgId: string;
  readonly from: Date | null;
  readonly to: Date | null;
}

/** Rows read per statement: memory stays flat however long the range. */
const PAGE = 1_000;

const CHECKPOINT_SELECT = `organization_id as "orgId", kind, seq, hash, signed_at as "signedAt", key_id as "keyId", signature`;

/** Every line of the trail of `range`, read page by page along the links' `seq` (a keyset cursor). */
export async function* trailLines(em: EntityManager, keys: readonly PublicSigningKey[], range: TrailRange): AsyncGenerator<TrailLine> {
  yield { type: 'keys', keys: keys.map(({ keyId, algorithm, publicKey }) => ({ keyId, algorithm, publicKey })) };
  for (const name of CHAIN_KIND_NAMES) yield* chainLines(em, CHAIN_KINDS[name], range);
}

async function* chainLines(em: EntityManager, kind: ChainKind, range: TrailRange): AsyncGenerator<TrailLine> {
  const { orgId, from, to } = range;
  const T = kind.table;
  const links = `audit_chain_links l join ${T} t on t.id = l.row_id where l.organization_id = ? and l.kind = ?`;
  const [bounds] = await sqlRows<{ first: string | null; last: string | null }>(
    em,
    `select case when ?::timestamptz is null then (select min(seq) from audit_chain_links where organization_id = ? and kind = ?)
                 else (select min(l.seq) from ${links} and t.created_at >= ?) end as first,
            case when ?::timestamptz is null then (select seq from audit_chain_heads where organization_id = ? and kind = ?)
                 else (select max(l.seq) from ${links} and t.created_at < ?) end as last`,
    [from, orgId, kind.name, orgId, kind.name, from, to, orgId, kind.name, orgId, kind.name, to],
  );
  const end = Number(bounds?.last ?? 0);
  const first = bounds?.first === null || bounds?.first === undefined ? end + 1 : Number(bounds.first);
  const [anchor] = await checkpoints(em, kind, orgId, `seq < ? order by seq desc limit 1`, [first]);
  if (anchor) yield { ...anchor, anchor: true };
  const pending = await checkpoints(em, kind, orgId, `seq > ? and seq <= ? order by seq`, [anchor?.seq ?? 0, end]);
  let after = anchor?.seq ?? 0;
  for (;;) {
    const page = await sqlRows<Record<string, unknown>>(
      em,
      `select ${linkedColumns(kind)}
         from audit_chain_links l left join ${T} t on t.id = l.row_id
        where l.organization_id = ? and l.kind = ? and l.seq > ? and l.seq <= ? order by l.seq limit ${PAGE}`,
      [orgId, kind.name, after, end],
    );
    for (const row of page) {
      const seq = Number(row.chainSeq);
      while (pending.length > 0 && pending[0]!.seq < seq) yield pending.shift()!;
      yield linkedLine(kind, seq, row);
      after = seq;
    }
    if (page.length < PAGE) break;
  }
  yield* pending;
  yield* unlinkedLines(em, kind, range);
  yield { type: 'end', chain: kind.name, seq: end };
}

/**
 * SQL: what `linkedLine` reads of a link `l` and its row `t` (joined `left`: the row may be gone),
 * for the export and for audit sinks, which write the same lines.
 */
export function linkedColumns(kind: ChainKind): string {
  const purgedAt = kind.name === 'usage' ? 't.content_purged_at' : 'null::timestamptz';
  return `l.seq as "chainSeq", l.row_id as "rowId", l.prev_hash as "prevHash", l.hash as "chainHash", l.format as "linkFormat",
          l.content_digest as "linkContentDigest", t.id is not null as "present", ${purgedAt} as "purgedAt", ${kind.selectList('t')}`;
}

/** A trail line of one link. */
export type LinkedLine = Extract<TrailLine, { type: 'row' }>;

/** The line of one link read with `linkedColumns`, with its row as the link's format shows it. */
export function linkedLine(kind: ChainKind, seq: number, row: Record<string, unknown>): LinkedLine {
  const format = Number(row.linkFormat) as LinkFormat;
  const line = {
    type: 'row',
    chain: kind.name,
    seq,
    id: row.rowId as string,
    format,
    prevHash: row.prevHash as string,
    hash: row.chainHash as string,
  } as const;
  if (!row.present) return { ...line, row: null };
  const view = kind.trailView(row, format);
  if (format === 1) return { ...line, row: view.row };
  const purged = row.purgedAt === null ? null : new Date(row.purgedAt as string).toISOString();
  return { ...line, row: view.row, contentDigest: row.linkContentDigest as string | null, content: purged ? null : view.content!, contentPurgedAt: purged };
}

/** Rows of the range with no link: written around the chain, never by Keyward. */
async function* unlinkedLines(em: EntityManager, kind: ChainKind, range: TrailRange): AsyncGenerator<TrailLine> {
  let afterId = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const page = await sqlRows<Record<string, unknown>>(
      em,
      `select ${kind.selectList('t')} from ${kind.table} t
        where t.organization_id = ? and t.id > ? and not exists (select 1 from audit_chain_links l where l.row_id = t.id)
          and (?::timestamptz is null or t.created_at >= ?) and (?::timestamptz is null or t.created_at < ?)
        order by t.id limit ${PAGE}`,
      [range.orgId, afterId, range.from, range.from, range.to, range.to],
    );
    for (const row of page)
      yield { type: 'row', chain: kind.name, seq: null, id: row.id as string, format: null, prevHash: null, hash: null, row: kind.canonicalRow(row) };
    if (page.length < PAGE) return;
    afterId = page[page.length - 1]!.id as string;
  }
}

async function checkpoints(em: EntityManager, kind: ChainKind, orgId: string, where: string, bindings: unknown[]): Promise<CheckpointLine[]> {
  const rows = await sqlRows<{ orgId: string; kind: ChainKindName; seq: string; hash: string; signedAt: Date; keyId: string; signature: string }>(
    em,
    `select ${CHECKPOINT_SELECT} from audit_checkpoints where organization_id = ? and kind = ? and ${where}`,
    [orgId, kind.name, ...bindings],
  );
  return rows.map((c) => ({
    type: 'checkpoint',
    chain: kind.name,
    orgId: c.orgId,
    kind: c.kind,
    seq: Number(c.seq),
    hash: c.hash,
    signedAt: new Date(c.signedAt).toISOString(),
    keyId: c.keyId,
    signature: c.signature,
  }));
}

import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from '../config-publish/sql.js';
import { CHAIN_KIND_NAMES, CHAIN_KINDS, type ChainKind, type ChainKindName } from './chain-kinds.js';
import type { CheckpointFields } from './checkpoints.js';
import type { PublicSigningKey } from './signing-key.js';

/**
 * The audit trail of one organization as a sequence of self-contained JSON lines, the same
 * for the NDJSON export and for `verifyAuditTrail`, so both judge exactly the same evidence:
 *
 * - `{ type: "keys", keys: [{ keyId, algorithm, publicKey }] }` — the checkpoint keys;
 * - per chain (`usage`, then `audit`): the checkpoint the walk starts from, if any
 *   (`{ type: "checkpoint", anchor: true, … }`), then its rows in sequence order
 *   (`{ type: "row", chain, seq, prevHash, hash, row }`), each checkpoint right after the row
 *   it covers (`{ type: "checkpoint", chain, orgId, kind, seq, hash, signedAt, keyId, signature }`),
 *   rows of the range that carry no chain position (`seq: null`), and
 *   `{ type: "end", chain, seq }`, the last position the range should reach.
 */
export type TrailLine =
  | { readonly type: 'keys'; readonly keys: readonly Omit<PublicSigningKey, 'createdAt'>[] }
  | CheckpointLine
  | { readonly type: 'row'; readonly chain: ChainKindName; readonly seq: number | null; readonly prevHash: string | null; readonly hash: string | null; readonly row: Record<string, unknown> }
  | { readonly type: 'end'; readonly chain: ChainKindName; readonly seq: number };

export interface CheckpointLine extends CheckpointFields {
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

/** Every line of the trail of `range`, read page by page along `chain_seq` (a keyset cursor). */
export async function* trailLines(em: EntityManager, keys: readonly PublicSigningKey[], range: TrailRange): AsyncGenerator<TrailLine> {
  yield { type: 'keys', keys: keys.map(({ keyId, algorithm, publicKey }) => ({ keyId, algorithm, publicKey })) };
  for (const name of CHAIN_KIND_NAMES) yield* chainLines(em, CHAIN_KINDS[name], range);
}

async function* chainLines(em: EntityManager, kind: ChainKind, range: TrailRange): AsyncGenerator<TrailLine> {
  const { orgId, from, to } = range;
  const T = kind.table;
  const [bounds] = await sqlRows<{ first: string | null; last: string | null }>(
    em,
    `select (select min(chain_seq) from ${T} where organization_id = ? and chain_seq is not null and (?::timestamptz is null or created_at >= ?)) as first,
            case when ?::timestamptz is null then (select seq from audit_chain_heads where organization_id = ? and kind = ?)
                 else (select max(chain_seq) from ${T} where organization_id = ? and chain_seq is not null and created_at < ?) end as last`,
    [orgId, from, from, to, orgId, kind.name, orgId, to],
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
      `select chain_seq as "chainSeq", prev_hash as "prevHash", chain_hash as "chainHash", ${kind.selectList}
         from ${T} where organization_id = ? and chain_seq > ? and chain_seq <= ? order by chain_seq limit ${PAGE}`,
      [orgId, after, end],
    );
    for (const row of page) {
      const seq = Number(row.chainSeq);
      while (pending.length > 0 && pending[0]!.seq < seq) yield pending.shift()!;
      yield { type: 'row', chain: kind.name, seq, prevHash: row.prevHash as string, hash: row.chainHash as string, row: kind.canonicalRow(row) };
      after = seq;
    }
    if (page.length < PAGE) break;
  }
  yield* pending;
  yield* unchainedLines(em, kind, range);
  yield { type: 'end', chain: kind.name, seq: end };
}

/** Rows of the range with no chain position: written around the chain, never by Keyward. */
async function* unchainedLines(em: EntityManager, kind: ChainKind, range: TrailRange): AsyncGenerator<TrailLine> {
  let afterId = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const page = await sqlRows<Record<string, unknown>>(
      em,
      `select ${kind.selectList} from ${kind.table}
        where organization_id = ? and chain_seq is null and id > ?
          and (?::timestamptz is null or created_at >= ?) and (?::timestamptz is null or created_at < ?)
        order by id limit ${PAGE}`,
      [range.orgId, afterId, range.from, range.from, range.to, range.to],
    );
    for (const row of page) yield { type: 'row', chain: kind.name, seq: null, prevHash: null, hash: null, row: kind.canonicalRow(row) };
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
  return rows.map((c) => ({ type: 'checkpoint', chain: kind.name, orgId: c.orgId, kind: c.kind, seq: Number(c.seq), hash: c.hash, signedAt: new Date(c.signedAt).toISOString(), keyId: c.keyId, signature: c.signature }));
}


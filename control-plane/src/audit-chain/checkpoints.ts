import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from '../config-publish/sql.js';
import { startAloneRounds } from '../workers/alone-rounds.js';
import type { Services } from '../services.js';
import type { StopBackgroundWork } from '../startup.js';
import { canonicalJson } from '@keyward/shared';
import type { ChainKindName } from './chain-kinds.js';

/** What a checkpoint states; its signature covers `checkpointMessage` of exactly these fields. */
export interface CheckpointFields {
  readonly orgId: string;
  readonly kind: ChainKindName;
  readonly seq: number;
  readonly hash: string;
  /** ISO 8601 UTC, to the millisecond. */
  readonly signedAt: string;
  readonly keyId: string;
}

/** The bytes an Ed25519 checkpoint signature covers: RFC 8785 JSON of the fields and a type tag. */
export function checkpointMessage(fields: CheckpointFields): string {
  const { orgId, kind, seq, hash, signedAt, keyId } = fields;
  return canonicalJson({ type: 'keyward.audit.checkpoint', orgId, kind, seq, hash, signedAt, keyId });
}

/** How often the signer looks for chains due a checkpoint. */
const SIGNER_INTERVAL_MS = 15_000;

/**
 * Heads with rows after their last checkpoint that are due one: `everyRows` rows since it, or
 * `everyMinutes` minutes since it was signed (or none signed yet). A committed head's seq and
 * hash always belong together, so reading it needs no lock and never waits for ingestion.
 */
const DUE_HEADS = `
select h.organization_id as "orgId", h.kind, h.seq, h.hash
  from audit_chain_heads h
  left join lateral (select c.seq, c.signed_at from audit_checkpoints c
                      where c.organization_id = h.organization_id and c.kind = h.kind order by c.seq desc limit 1) c on true
 where h.seq > coalesce(c.seq, 0)
   and (? or h.seq - coalesce(c.seq, 0) >= ? or c.signed_at is null or c.signed_at <= now() - make_interval(mins => ?))`;

/**
 * Signs a checkpoint for every chain that is due one (or, with `all`, every chain with unsigned
 * rows). Several control-plane instances may race: the unique (organization, kind, seq) keeps
 * one checkpoint per position. Returns how many were written.
 */
export async function signDueCheckpoints(services: Services, options: { all?: boolean } = {}): Promise<number> {
  const em = services.orm.em.fork({ clear: true }) as EntityManager;
  const { checkpointRows, checkpointMinutes } = services.config.auditChain;
  const due = await sqlRows<{ orgId: string; kind: ChainKindName; seq: string; hash: string }>(em, DUE_HEADS, [
    options.all === true,
    checkpointRows,
    checkpointMinutes,
  ]);
  let written = 0;
  for (const head of due) written += await signCheckpoint(services, em, { orgId: head.orgId, kind: head.kind, seq: Number(head.seq), hash: head.hash });
  return written;
}

/**
 * Signs and stores a checkpoint stating that the chain had `hash` at `seq`, unless one exists
 * there already (another instance, an earlier sweep). Returns 1 when it wrote one.
 */
export async function signCheckpoint(services: Services, em: EntityManager, at: Omit<CheckpointFields, 'signedAt' | 'keyId'>): Promise<number> {
  const signedAt = new Date().toISOString();
  const { keyId, signature } = await services.auditSigner.sign((keyId) => checkpointMessage({ ...at, signedAt, keyId }));
  const rows = await sqlRows(
    em,
    `insert into audit_checkpoints (id, organization_id, kind, seq, hash, signed_at, key_id, signature)
     values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?) on conflict (organization_id, kind, seq) do nothing returning 1`,
    [at.orgId, at.kind, at.seq, at.hash, signedAt, keyId, signature],
  );
  return rows.length;
}

/**
 * Start-up task: opens (or creates) the signing key, so the public key is published from the
 * first start, then signs due checkpoints now and every 15 seconds until the control plane
 * closes, one control plane of the database at a time (`runAlone`). A KMS that cannot open the
 * key is logged and retried with the next checkpoint.
 */
export async function startCheckpointSigner(services: Services): Promise<StopBackgroundWork> {
  await services.auditSigner
    .keyId()
    .catch((error: unknown) => services.log.error({ err: error }, 'could not open the audit signing key; checkpoints wait for it'));
  return startAloneRounds(
    services,
    'audit-checkpoints',
    SIGNER_INTERVAL_MS,
    () => signDueCheckpoints(services),
    'signing audit checkpoints failed; retrying shortly',
  );
}

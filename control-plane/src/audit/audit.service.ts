import type { EntityManager } from '@mikro-orm/postgresql';
import { AUDIT_CHAIN } from '../audit-chain/chain-kinds.js';
import { appendStoredRow } from '../audit-chain/chain-append.js';
import { actorOf } from '../auth/viewer.js';
import type { GraphQLContext } from '../graphql/context.js';
import { hashClientAddress } from '../http/client-address.js';
import type { Services } from '../services.js';
import { AuditEntry, type AuditOutcome } from './audit-entry.entity.js';
import { redactArgs } from './redact-args.js';

/**
 * What a resolver may tell the audit trail that the trail cannot see for itself: sign-in
 * mutations start anonymous and end as a person, `createOrganization` acts in an organization
 * the caller was not in yet.
 */
export interface AuditNote {
  readonly actor?: string;
  readonly orgId?: string | null;
  readonly targetId?: string;
}

const notes = new WeakMap<object, AuditNote>();

/** Adds facts to the audit entry of the mutation running in `ctx` (later notes win). */
export function noteAudit(ctx: GraphQLContext, note: AuditNote): void {
  notes.set(ctx, { ...notes.get(ctx), ...note });
}

/** The note left on `ctx`, if any. */
export function auditNoteOf(ctx: GraphQLContext): AuditNote | undefined {
  return notes.get(ctx);
}

/** One row for the audit table, before redaction. */
export interface AuditRecord {
  readonly orgId: string | null;
  readonly actor: string;
  readonly action: string;
  readonly targetId: string | null;
  readonly outcome: AuditOutcome;
  readonly errorCode: string | null;
  readonly args: Record<string, unknown>;
  readonly ip: string;
  /** The address already hashed (a node hashed it): stored instead of hashing `ip`. */
  readonly ipHash?: string;
  readonly userAgent: string;
  readonly requestId: string;
}

/**
 * Appends one entry, on its own entity manager so a failed mutation's half-flushed state
 * cannot take the audit row down with it. A failure to write is logged, never thrown: the
 * mutation already happened and its caller must learn how it went.
 */
export async function recordAudit(services: Services, record: AuditRecord): Promise<void> {
  try {
    const em = services.orm.em.fork({ clear: true }) as EntityManager;
    await em.transactional(async (tx) => {
      const entry = tx.create(AuditEntry, {
        organization: record.orgId,
        actor: record.actor.slice(0, 80),
        action: record.action.slice(0, 120),
        targetId: record.targetId?.slice(0, 120) ?? null,
        outcome: record.outcome,
        errorCode: record.errorCode?.slice(0, 64) ?? null,
        args: redactArgs(record.args),
        ipHash: record.ipHash?.slice(0, 32) ?? hashClientAddress(record.ip, services.config.hashSalt),
        userAgent: record.userAgent.slice(0, 300),
        requestId: record.requestId.slice(0, 128),
      });
      await tx.flush();
      // Tamper evidence: the entry joins its organization's hash chain in the same transaction.
      if (services.config.auditChain.enabled) await appendStoredRow(tx, AUDIT_CHAIN, entry.id);
    });
  } catch (err) {
    services.log.error({ err, action: record.action, requestId: record.requestId }, 'could not write audit entry');
  }
}

/** The audit actor for the caller of `ctx`, after any note a resolver left. */
export function auditActor(ctx: GraphQLContext): string {
  return auditNoteOf(ctx)?.actor ?? (ctx.viewer ? actorOf(ctx.viewer) : 'anonymous');
}

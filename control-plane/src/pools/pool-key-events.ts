import { auditActor, recordAudit } from '../audit/audit.service.js';
import type { GraphQLContext } from '../graphql/context.js';
import { hashClientAddress } from '../http/client-address.js';
import type { Services } from '../services.js';
import { notify } from '../webhooks/notify.js';
import type { WebhookEvent } from '../webhooks/webhook-events.js';
import type { KeyPool, PoolRecipient } from './pool.entity.js';

/** What can happen to a pool recipient's key that its owner hears of. */
export type PoolKeyEventKind = 'revealed' | 'link_resent' | 'rotated' | 'revoked' | 'expired' | 'limit_hit';

/** Who caused an event and from where, as the audit trail stores it. */
export interface PoolKeyEventSource {
  /** The audit actor: `user:<id>`, `recipient <email>`, `node:<id>`, `keyward`. */
  readonly actor: string;
  /** The caller's address (hashed before it is stored), its hash when a node already hashed it, or nothing (a sweeper). */
  readonly from: { readonly ip: string } | { readonly ipHash: string } | null;
  readonly userAgent: string;
  readonly requestId: string;
}

/** One event of one recipient's key. `details` are plain facts (no secret): the refusal, the period, the expiry time. */
export interface PoolKeyEvent {
  readonly kind: PoolKeyEventKind;
  readonly orgId: string;
  readonly pool: { readonly id: string; readonly name: string };
  readonly recipient: { readonly id: string; readonly email: string; readonly name: string };
  readonly keyPrefix: string | null;
  readonly details?: Readonly<Record<string, string | number | null>>;
}

const WEBHOOK_EVENT: Record<PoolKeyEventKind, WebhookEvent> = {
  revealed: 'pool_key.revealed',
  link_resent: 'pool_key.link_resent',
  rotated: 'pool_key.rotated',
  revoked: 'pool_key.revoked',
  expired: 'pool_key.expired',
  limit_hit: 'pool_key.limit_hit',
};

const ACTIONS: Record<PoolKeyEventKind, string> = {
  revealed: 'poolKeyRevealed',
  link_resent: 'poolKeyLinkResent',
  rotated: 'poolKeyRotated',
  revoked: 'poolKeyRevoked',
  expired: 'poolKeyExpired',
  limit_hit: 'poolKeyLimitHit',
};

/** The event `kind` of a recipient's key, from the rows it is about. */
export function poolKeyEvent(
  kind: PoolKeyEventKind,
  recipient: PoolRecipient,
  pool: KeyPool,
  details?: Readonly<Record<string, string | number | null>>,
): PoolKeyEvent {
  return {
    kind,
    orgId: pool.organization.id,
    pool: { id: pool.id, name: pool.name },
    recipient: { id: recipient.id, email: recipient.email, name: recipient.name },
    keyPrefix: recipient.revealedAt ? recipient.key.getEntity().prefix : null,
    ...(details ? { details } : {}),
  };
}

/** The columns a notice query reads of a recipient, its key and its pool (`RECIPIENT_COLUMNS`, joined as r, k and p). */
export interface RecipientRow {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly key_id: string;
  readonly organization_id: string;
  readonly prefix: string;
  readonly revealed: boolean;
  readonly pool_id: string;
  readonly pool_name: string;
}

/** The select list of `RecipientRow` over `pool_recipients r`, `keys k` and `key_pools p`. */
export const RECIPIENT_COLUMNS =
  'r.id, r.email, r.name, r.key_id, r.organization_id, k.prefix, r.revealed_at is not null as revealed, p.id as pool_id, p.name as pool_name';

/** The event `kind` of the recipient a notice query read. */
export function poolKeyEventOfRow(kind: PoolKeyEventKind, row: RecipientRow, details: Readonly<Record<string, string | number | null>>): PoolKeyEvent {
  return {
    kind,
    orgId: row.organization_id,
    pool: { id: row.pool_id, name: row.pool_name },
    recipient: { id: row.id, email: row.email, name: row.name },
    keyPrefix: row.revealed ? row.prefix : null,
    details,
  };
}

/** The source of an event caused by the GraphQL request in `ctx` (after any audit note its resolver left). */
export function requestSource(ctx: GraphQLContext): PoolKeyEventSource {
  return { actor: auditActor(ctx), from: { ip: ctx.ip }, userAgent: ctx.userAgent, requestId: ctx.requestId };
}

/**
 * Records an event of a pool recipient's key in the organization's audit trail, with a sentence
 * saying what happened ("key revealed to alice@example.com from 3f…"), and notifies the
 * organization's webhooks and Slack integration subscribed to `pool_key.<kind>`. Neither ever
 * fails the caller: the audit writer logs its own failures, and a failed notification is logged here.
 */
export async function recordPoolKeyEvent(services: Services, event: PoolKeyEvent, source: PoolKeyEventSource): Promise<void> {
  const ipHash = source.from === null ? null : 'ipHash' in source.from ? source.from.ipHash : hashClientAddress(source.from.ip, services.config.hashSalt);
  const summary = summaryOf(event, ipHash);
  const facts = {
    summary,
    poolId: event.pool.id,
    pool: event.pool.name,
    recipientId: event.recipient.id,
    email: event.recipient.email,
    keyPrefix: event.keyPrefix,
    ...event.details,
  };
  await recordAudit(services, {
    orgId: event.orgId,
    actor: source.actor,
    action: ACTIONS[event.kind],
    targetId: event.recipient.id,
    outcome: 'success',
    errorCode: null,
    args: facts,
    ip: '',
    ipHash: ipHash ?? '',
    userAgent: source.userAgent,
    requestId: source.requestId,
  });
  try {
    await notify(services, event.orgId, WEBHOOK_EVENT[event.kind], { kind: event.kind, ...facts, name: event.recipient.name, ipHash });
  } catch (err) {
    services.log.error({ err, orgId: event.orgId, kind: event.kind, recipientId: event.recipient.id }, 'could not queue a pool key notification');
  }
}

function summaryOf(event: PoolKeyEvent, ipHash: string | null): string {
  const email = event.recipient.email;
  const from = ipHash ? ` from ${ipHash}` : '';
  const d = event.details ?? {};
  switch (event.kind) {
    case 'revealed':
      return `key revealed to ${email}${from}`;
    case 'link_resent':
      return `new key link emailed to ${email}`;
    case 'rotated':
      return `key of ${email} rotated${from}`;
    case 'revoked':
      return `key of ${email} revoked`;
    case 'expired':
      return `key of ${email} expired at ${String(d.expiredAt)}`;
    case 'limit_hit':
      return `key of ${email} refused by its ${String(d.limit)} (${String(d.refusal)})${from}; reported once per ${String(d.periodKind)} ${String(d.period)}`;
  }
}

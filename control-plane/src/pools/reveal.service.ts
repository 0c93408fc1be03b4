import { displayPrefix, generateSecret, hashSecret } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { noteAudit } from '../audit/audit.service.js';
import { Budget } from '../budgets/budget.entity.js';
import { RateLimit } from '../budgets/rate-limit.entity.js';
import { applyConfigChange } from '../config-publish/publish.js';
import { AppError } from '../errors.js';
import { forkForOrg, type GraphQLContext } from '../graphql/context.js';
import { KeySecret } from '../keys/key-secret.entity.js';
import { hashOpaqueToken, isOpaqueToken } from '../sessions/opaque-token.js';
import { hitWindow, throttleKey } from '../sessions/throttle.js';
import { PoolRecipient } from './pool.entity.js';
import { poolKeyEvent, recordPoolKeyEvent, requestSource } from './pool-key-events.js';
import { effectiveExpiry, limitsView, recipientStatusOf } from './pool-views.js';
import type { RevealedPoolKey } from './pool.type.js';

/** Links one address may try per window, valid or not: enough for a class opening theirs, too few to guess. */
const OPENS_PER_ADDRESS = 30;
const OPEN_WINDOW_SECONDS = 600;
const ASK_AGAIN = 'Ask whoever gave you the key to send you a new link.';

/**
 * Opens a delivery link: makes the key's secret, stores only its keyed hash, publishes it, and
 * returns it this once. A link works once and until it expires; a second visit, an expired or a
 * replaced link is refused and reveals nothing. Every attempt that names a recipient is in the
 * audit trail under that recipient (the mutation's entry: its token argument is redacted, the
 * address hashed); attempts are limited per address.
 */
export async function revealPoolKey(ctx: GraphQLContext, token: string): Promise<RevealedPoolKey> {
  const { services } = ctx;
  const em = services.orm.em.fork({ clear: true }) as EntityManager;
  const hit = await hitWindow(em, throttleKey('pool-key-link', [ctx.ip], services.config.hashSalt), OPENS_PER_ADDRESS, OPEN_WINDOW_SECONDS);
  if (!hit.allowed) throw new AppError('RATE_LIMITED', `Too many key links were opened from this address; try again in ${hit.retryAfterSeconds} seconds.`);
  const invalid = new AppError('NOT_FOUND', `This key link is not valid: check that it was copied whole (a newer link replaces older ones). ${ASK_AGAIN}`);
  if (!isOpaqueToken(token)) throw invalid;
  const found = await em.findOne(
    PoolRecipient,
    { linkHash: hashOpaqueToken(token, services.config.keyPepper) },
    { filters: { tenant: false }, populate: ['key', 'pool'] },
  );
  if (!found) throw invalid;
  const orgId = found.organization.id;
  noteAudit(ctx, { orgId, actor: `recipient ${found.email}`, targetId: found.id });
  const now = new Date();
  if (found.linkUsedAt)
    throw new AppError('CONFLICT', `This link was already opened at ${found.linkUsedAt.toISOString()}: a key is shown only once. ${ASK_AGAIN}`);
  if (found.linkExpiresAt && found.linkExpiresAt <= now)
    throw new AppError('CONFLICT', `This link expired at ${found.linkExpiresAt.toISOString()}. ${ASK_AGAIN}`);
  const pool = found.pool.getEntity();
  const status = recipientStatusOf(found, found.key.getEntity(), pool, now);
  if (status === 'revoked' || status === 'expired')
    throw new AppError('CONFLICT', `The key this link was for has ${status === 'revoked' ? 'been revoked' : 'expired'}.`);

  const secret = generateSecret('key');
  const recipient = await applyConfigChange(services, forkForOrg(services, orgId), orgId, 'pool key revealed', async (tx) => {
    // One opening wins even when two race: the update claims the link only while it is unused.
    const claimed = await tx.nativeUpdate(PoolRecipient, { id: found.id, linkUsedAt: null }, { linkUsedAt: now, revealedAt: now });
    if (claimed === 0) throw new AppError('CONFLICT', `This link was already opened: a key is shown only once. ${ASK_AGAIN}`);
    const recipient = await tx.findOneOrFail(PoolRecipient, { id: found.id }, { populate: ['key'], refresh: true });
    const key = recipient.key.getEntity();
    // A later link makes a new secret, and the one shown before stops at once.
    if (found.revealedAt) key.rotatedAt = now;
    key.secretHash = hashSecret(secret, services.config.keyPepper);
    key.prefix = displayPrefix(secret);
    await tx.nativeDelete(KeySecret, { key: key.id });
    return recipient;
  });
  await recordPoolKeyEvent(services, poolKeyEvent('revealed', recipient, pool), requestSource(ctx));
  const key = recipient.key.getEntity();
  const budget = recipient.budgetId ? await em.findOne(Budget, { id: recipient.budgetId }, { filters: { tenant: false } }) : null;
  const rates = recipient.rateLimitId ? await em.findOne(RateLimit, { id: recipient.rateLimitId }, { filters: { tenant: false } }) : null;
  return {
    secret,
    prefix: key.prefix,
    email: recipient.email,
    poolName: pool.name,
    note: pool.note,
    allowedModels: key.allowedModels,
    limits: limitsView(budget?.period ?? pool.budgetPeriod, budget ? Number(budget.limitMicros) : null, rates),
    expiresAt: effectiveExpiry(key, pool),
    gatewayUrl: services.config.gatewayUrl,
  };
}

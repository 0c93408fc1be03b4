import { displayPrefix, generateSecret, hashSecret } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Budget } from '../budgets/budget.entity.js';
import { periodDays } from '../budgets/periods.js';
import { RateLimit } from '../budgets/rate-limit.entity.js';
import { sumSpend } from '../budgets/spend.js';
import { formatUsd } from '../budgets/money.js';
import { auditActor } from '../audit/audit.service.js';
import { applyConfigChange } from '../config-publish/publish.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { Key } from '../keys/key.entity.js';
import { revokeKeyIn } from '../keys/key.service.js';
import { assertUuid } from '../keys/validators.js';
import { orgCallerOf } from '../sessions/caller.js';
import { normalizeEmail } from '../users/email.js';
import { issueLink, sendLinks, type IssuedLink } from './delivery.js';
import { KeyPool, PoolRecipient } from './pool.entity.js';
import { poolKeyEvent, recordPoolKeyEvent, requestSource } from './pool-key-events.js';
import type { AddRecipientInput } from './pool.input.js';
import { bindToPoolRoute, findPool, parseLimits, recipientsOf } from './pool.service.js';
import { effectiveExpiry, limitsView, orgTimeZone, poolStatusOf, recipientStatusOf } from './pool-views.js';
import type { CsvPreview, RecipientType } from './pool.type.js';
import { readRecipientsCsv, type LimitOverrides, type LineError, type RecipientLine } from './recipients-csv.js';

/** What owners can do to many recipients at once. */
export type RecipientAction = 'extend' | 'pause' | 'resume' | 'revoke';

/** A pool's recipients with their limits and this period's spend, oldest first. */
export async function listRecipients(ctx: GraphQLContext, poolId: string): Promise<RecipientType[]> {
  const { orgId } = orgCallerOf(ctx);
  const pool = await findPool(ctx.em, poolId);
  return toRecipientTypes(ctx.em, orgId, pool, await recipientsOf(ctx.em, pool.id));
}

/** Adds one recipient and emails them their delivery link. */
export async function addRecipient(ctx: GraphQLContext, poolId: string, input: AddRecipientInput): Promise<RecipientType> {
  const { orgId } = orgCallerOf(ctx);
  const overrides = parseLimits(input.limits, 'limits');
  const [recipient] = await issue(ctx, orgId, poolId, [{ line: 1, email: normalizeEmail(input.email), name: input.name.trim(), overrides }], (e) => {
    throw new AppError('CONFLICT', e.message);
  });
  return recipient;
}

/**
 * Adds every recipient of a CSV in one transaction and emails each a delivery link. A file with
 * any invalid line adds nobody: the error lists every bad line (`extensions.lines`).
 */
export async function importRecipients(ctx: GraphQLContext, poolId: string, csv: string): Promise<RecipientType[]> {
  const { orgId } = orgCallerOf(ctx);
  const { recipients, errors } = readRecipientsCsv(csv, new Date());
  if (errors.length > 0) throw csvRefusal(errors);
  return issue(ctx, orgId, poolId, recipients, (_e, all) => {
    throw csvRefusal(all);
  });
}

/** What importing a CSV would do, without doing it: the console's preview. */
export async function previewRecipientsCsv(ctx: GraphQLContext, poolId: string, csv: string): Promise<CsvPreview> {
  const pool = await findPool(ctx.em, poolId);
  const { recipients, errors } = readRecipientsCsv(csv, new Date());
  const all = [...errors, ...(await alreadyInPool(ctx.em, pool, recipients))].sort((a, b) => a.line - b.line);
  return {
    recipients: recipients.map((r) => {
      const limits = limitsOf(pool, r.overrides);
      return {
        line: r.line,
        email: r.email,
        name: r.name,
        limits: limitsView(pool.budgetPeriod, limits.budgetMicros, limits),
        expiresAt: limits.expiresAt,
      };
    }),
    errors: all,
  };
}

/** Extends, pauses, resumes or revokes the keys of some of a pool's recipients, in one config change. */
export async function updateRecipients(
  ctx: GraphQLContext,
  poolId: string,
  recipientIds: readonly string[],
  action: RecipientAction,
  expiresAt: Date | null | undefined,
): Promise<RecipientType[]> {
  const { orgId } = orgCallerOf(ctx);
  for (const id of recipientIds) assertUuid(id, 'a recipient id');
  if (action === 'extend' && !expiresAt)
    throw new AppError('BAD_USER_INPUT', 'expiresAt is required to extend keys.', { fields: { expiresAt: ['is required'] } });
  const { pool, recipients, revoked } = await applyConfigChange(ctx.services, ctx.em, orgId, `pool recipients: ${action}`, async (tx) => {
    const pool = await findPool(tx, poolId);
    const recipients = await tx.find(PoolRecipient, { pool: pool.id, id: { $in: [...new Set(recipientIds)] } }, { populate: ['key'] });
    if (recipients.length !== new Set(recipientIds).size) throw new AppError('NOT_FOUND', 'One of recipientIds is not a recipient of this pool.');
    const now = new Date();
    const revoked: PoolRecipient[] = [];
    for (const recipient of recipients) {
      const key = recipient.key.getEntity();
      if (action === 'revoke') {
        if (key.status !== 'revoked') revoked.push(recipient);
        await revokeKeyIn(tx, key, now);
        recipient.linkHash = null;
        continue;
      }
      if (key.status === 'revoked') throw new AppError('CONFLICT', `The key of ${recipient.email} is revoked and can no longer be changed.`);
      if (action === 'extend') key.expiresAt = expiresAt!;
      if (action === 'pause') recipient.pausedAt ??= now;
      if (action === 'resume') recipient.pausedAt = null;
    }
    return { pool, recipients, revoked };
  });
  if (action === 'extend') ctx.services.poolExpiry.wake();
  for (const recipient of revoked) await recordPoolKeyEvent(ctx.services, poolKeyEvent('revoked', recipient, pool), requestSource(ctx));
  return toRecipientTypes(ctx.em, orgId, pool, recipients);
}

/** Sends a recipient a new delivery link; the previous one stops working. Opening it makes a new secret. */
export async function resendLink(ctx: GraphQLContext, recipientId: string): Promise<RecipientType> {
  const { orgId } = orgCallerOf(ctx);
  assertUuid(recipientId, 'a recipient id');
  ctx.services.mailer.assertCanDeliver();
  const recipient = await ctx.em.findOne(PoolRecipient, { id: recipientId }, { populate: ['key', 'pool'] });
  if (!recipient) throw new AppError('NOT_FOUND', `No recipient with id ${recipientId} in this organization.`);
  const pool = recipient.pool.getEntity();
  const key = recipient.key.getEntity();
  if (key.status === 'revoked') throw new AppError('CONFLICT', `The key of ${recipient.email} is revoked; there is nothing to send.`);
  if (recipientStatusOf(recipient, key, pool, new Date()) === 'expired') {
    throw new AppError('CONFLICT', `The key of ${recipient.email} has expired; extend it before sending a new link.`);
  }
  const link = issueLink(recipient, ctx.services.config.keyPepper, new Date());
  await ctx.em.flush();
  await sendLinks(ctx.services, ctx.em, pool, [link]);
  await recordPoolKeyEvent(ctx.services, poolKeyEvent('link_resent', recipient, pool, { emailed: recipient.linkSentAt ? 'yes' : 'no' }), requestSource(ctx));
  const [view] = await toRecipientTypes(ctx.em, orgId, pool, [recipient]);
  return view;
}

/**
 * Creates each recipient's key (with a secret nobody holds: the real one is made when the
 * delivery link is opened), its own budget and rate limit, and its link, in one transaction
 * with the config publish; then emails the links. `refuse` is called when some emails are
 * already recipients of the pool, with the first problem and all of them.
 */
async function issue(
  ctx: GraphQLContext,
  orgId: string,
  poolId: string,
  lines: readonly RecipientLine[],
  refuse: (first: LineError, all: LineError[]) => never,
): Promise<RecipientType[]> {
  ctx.services.mailer.assertCanDeliver();
  const { pool, issued } = await applyConfigChange(ctx.services, ctx.em, orgId, 'pool recipients added', async (tx) => {
    const pool = await findPool(tx, poolId);
    const now = new Date();
    if (poolStatusOf(pool, now) === 'expired') throw new AppError('CONFLICT', `Pool "${pool.name}" has expired; it gives no more keys.`);
    const taken = await alreadyInPool(tx, pool, lines);
    if (taken.length > 0) refuse(taken[0], taken);
    const actor = auditActor(ctx);
    const issued = lines.map((line) => issueOne(tx, ctx.services.config.keyPepper, orgId, pool, line, now, actor));
    return { pool, issued };
  });
  await sendLinks(ctx.services, ctx.em, pool, issued);
  ctx.services.poolExpiry.wake();
  return toRecipientTypes(
    ctx.em,
    orgId,
    pool,
    issued.map((i) => i.recipient),
  );
}

function issueOne(tx: EntityManager, pepper: Buffer, orgId: string, pool: KeyPool, line: RecipientLine, now: Date, actor: string): IssuedLink {
  const limits = limitsOf(pool, line.overrides, now);
  // A placeholder secret, thrown away at once: the key works only after its link is opened.
  const placeholder = generateSecret('key');
  const key = tx.create(Key, {
    organization: orgId,
    name: `${pool.name}: ${line.email}`.slice(0, 120),
    ownerLabel: (line.name ? `${line.name} <${line.email}>` : line.email).slice(0, 200),
    prefix: displayPrefix(placeholder),
    secretHash: hashSecret(placeholder, pepper),
    expiresAt: limits.expiresAt,
    allowedModels: pool.allowedModels,
    credentialIds: pool.credentialIds,
    labels: pool.labels,
  });
  bindToPoolRoute(tx, orgId, pool, key, actor);
  const budget =
    limits.budgetMicros === null
      ? null
      : tx.create(Budget, {
          organization: orgId,
          name: `${line.email} in pool ${pool.name}`.slice(0, 120),
          scopeKind: 'key',
          scopeId: key.id,
          period: pool.budgetPeriod,
          limitMicros: limits.budgetMicros,
        });
  const rated = limits.requestsPerMinute !== null || limits.tokensPerMinute !== null || limits.concurrentRequests !== null;
  const rateLimit = rated
    ? tx.create(RateLimit, {
        organization: orgId,
        name: `${line.email} in pool ${pool.name}`.slice(0, 120),
        scopeKind: 'key',
        scopeId: key.id,
        requestsPerMinute: limits.requestsPerMinute,
        tokensPerMinute: limits.tokensPerMinute,
        concurrentRequests: limits.concurrentRequests,
      })
    : null;
  const recipient = tx.create(PoolRecipient, {
    organization: orgId,
    pool,
    email: line.email,
    name: line.name,
    key,
    budgetId: budget?.id ?? null,
    rateLimitId: rateLimit?.id ?? null,
  });
  return issueLink(recipient, pepper, now);
}

/** A recipient's limits: its overrides, else the pool's defaults. */
function limitsOf(pool: KeyPool, overrides: LimitOverrides, now = new Date()) {
  const lifetimeEnd = pool.keyLifetimeDays ? new Date(now.getTime() + pool.keyLifetimeDays * 24 * 3600 * 1000) : null;
  return {
    budgetMicros: overrides.budgetMicros ?? (pool.budgetMicros === null ? null : Number(pool.budgetMicros)),
    requestsPerMinute: overrides.requestsPerMinute ?? pool.requestsPerMinute,
    tokensPerMinute: overrides.tokensPerMinute ?? pool.tokensPerMinute,
    concurrentRequests: overrides.concurrentRequests ?? pool.concurrentRequests,
    expiresAt: overrides.expiresAt ?? pool.keyExpiresAt ?? lifetimeEnd,
  };
}

/** Lines whose email is already a recipient of the pool. */
async function alreadyInPool(em: EntityManager, pool: KeyPool, lines: readonly RecipientLine[]): Promise<LineError[]> {
  if (lines.length === 0) return [];
  const existing = await em.find(PoolRecipient, { pool: pool.id, email: { $in: lines.map((l) => l.email) } }, { fields: ['email'] });
  const taken = new Set(existing.map((r) => r.email));
  return lines.filter((l) => taken.has(l.email)).map((l) => ({ line: l.line, message: `${l.email} is already a recipient of pool "${pool.name}".` }));
}

function csvRefusal(errors: readonly LineError[]): AppError {
  const count = errors.length === 1 ? 'One line' : `${errors.length} lines`;
  const first = errors[0];
  return new AppError('BAD_USER_INPUT', `${count} of the CSV cannot be imported, so nobody was added. Line ${first.line}: ${first.message}`, {
    lines: errors.map((e) => ({ line: e.line, message: e.message })),
  });
}

/** The API view of recipients of one pool: limits from their budget and rate limit rows, spend of the current period. */
export async function toRecipientTypes(em: EntityManager, orgId: string, pool: KeyPool, recipients: readonly PoolRecipient[]): Promise<RecipientType[]> {
  if (recipients.length === 0) return [];
  const now = new Date();
  const timeZone = await orgTimeZone(em, orgId);
  const budgetIds = recipients.flatMap((r) => (r.budgetId ? [r.budgetId] : []));
  const rateIds = recipients.flatMap((r) => (r.rateLimitId ? [r.rateLimitId] : []));
  const budgets = new Map((budgetIds.length ? await em.find(Budget, { id: { $in: budgetIds } }) : []).map((b) => [b.id, b]));
  const rates = new Map((rateIds.length ? await em.find(RateLimit, { id: { $in: rateIds } }) : []).map((l) => [l.id, l]));
  const periods = recipients.map((r) => periodDays((r.budgetId && budgets.get(r.budgetId)?.period) || pool.budgetPeriod, now, timeZone));
  const spent = await sumSpend(
    em,
    recipients.map((r, i) => ({ id: r.id, orgId, scope: { kind: 'key', id: r.key.id }, fromDay: periods[i].fromDay, toDay: periods[i].toDay })),
  );
  return recipients.map((r, i) => {
    const key = r.key.getEntity();
    const budget = r.budgetId ? budgets.get(r.budgetId) : undefined;
    const limitMicros = budget ? Number(budget.limitMicros) : null;
    const spentMicros = spent.get(r.id) ?? 0;
    const remainingMicros = limitMicros === null ? null : Math.max(0, limitMicros - spentMicros);
    return {
      id: r.id,
      poolId: pool.id,
      email: r.email,
      name: r.name,
      keyId: key.id,
      keyPrefix: r.revealedAt ? key.prefix : null,
      status: recipientStatusOf(r, key, pool, now),
      limits: limitsView(budget?.period ?? pool.budgetPeriod, limitMicros, (r.rateLimitId && rates.get(r.rateLimitId)) || null),
      expiresAt: effectiveExpiry(key, pool),
      spent: formatUsd(spentMicros),
      spentMicros,
      remaining: remainingMicros === null ? null : formatUsd(remainingMicros),
      remainingMicros,
      currentPeriod: periods[i].key,
      lastUsedAt: key.lastUsedAt,
      linkSentAt: r.linkSentAt,
      linkExpiresAt: r.linkExpiresAt,
      revealedAt: r.revealedAt,
      createdAt: r.createdAt,
    };
  });
}

import { displayPrefix, generateSecret, generateSignInCode, hashSecret, secretsEqual } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { noteAudit } from '../audit/audit.service.js';
import { applyConfigChange } from '../config-publish/publish.js';
import { AppError } from '../errors.js';
import { forkForOrg, type GraphQLContext } from '../graphql/context.js';
import { KeySecret } from '../keys/key-secret.entity.js';
import { assertUuid } from '../keys/validators.js';
import { recipientCodeMessage } from '../mail/messages.js';
import { hashOpaqueToken, isOpaqueToken, newOpaqueToken } from '../sessions/opaque-token.js';
import { requireCookies } from '../sessions/sign-in.service.js';
import { clearThrottle, hitWindow, lockedFor, recordFailure, throttleKey } from '../sessions/throttle.js';
import { normalizeEmail } from '../users/email.js';
import { PoolRecipient } from './pool.entity.js';
import { poolKeyEvent, recordPoolKeyEvent, requestSource } from './pool-key-events.js';
import type { MyPoolKey, RotatedPoolKey } from './pool.type.js';
import { RecipientCode, RecipientSession } from './recipient-access.entity.js';
import { toRecipientTypes } from './recipient.service.js';

/** The cookie of a recipient's page session (separate from a console session). */
const RECIPIENT_COOKIE = 'kw_recipient';
const CODE_MINUTES = 10;
const CODE_MAX_ATTEMPTS = 5;
const CODE_REQUESTS_PER_EMAIL = 5;
const CODE_REQUESTS_PER_ADDRESS = 20;
const CODE_REQUEST_WINDOW_SECONDS = 15 * 60;
const SESSION_SECONDS = 12 * 3600;

/**
 * Emails a code to an address that some pool gave a key to. The answer is true either way and
 * the email goes out in the background, so nobody learns who holds a key.
 */
export async function requestRecipientCode(ctx: GraphQLContext, rawEmail: string): Promise<boolean> {
  ctx.services.mailer.assertCanDeliver();
  const email = normalizeEmail(rawEmail);
  const em = globalEm(ctx);
  const salt = ctx.services.config.hashSalt;
  for (const [key, limit] of [
    [throttleKey('recipient-code-email', [email], salt), CODE_REQUESTS_PER_EMAIL],
    [throttleKey('recipient-code-ip', [ctx.ip], salt), CODE_REQUESTS_PER_ADDRESS],
  ] as const) {
    const hit = await hitWindow(em, key, limit, CODE_REQUEST_WINDOW_SECONDS);
    if (!hit.allowed) throw new AppError('RATE_LIMITED', `Too many codes requested; try again in ${hit.retryAfterSeconds} seconds.`);
  }
  if ((await em.count(PoolRecipient, { email }, { filters: { tenant: false } })) === 0) return true;
  const code = generateSignInCode();
  // One live code per email, so guesses cannot be spread over several.
  await em.nativeUpdate(RecipientCode, { email, consumedAt: null }, { consumedAt: new Date() });
  em.create(RecipientCode, { email, codeHash: codeHash(ctx, email, code), expiresAt: new Date(Date.now() + CODE_MINUTES * 60_000), attempts: 0 });
  await em.flush();
  ctx.services.mailer.send(recipientCodeMessage(email, code, CODE_MINUTES)).catch(() => {
    // The mailer logged the failure without the message.
  });
  return true;
}

/** Opens the recipient's page with the emailed code: sets the page's session cookie and answers the email. */
export async function signInAsRecipient(ctx: GraphQLContext, rawEmail: string, code: string): Promise<string> {
  const cookies = requireCookies(ctx);
  const email = normalizeEmail(rawEmail);
  const em = globalEm(ctx);
  const failures = throttleKey('recipient-signin', [email, ctx.ip], ctx.services.config.hashSalt);
  const locked = await lockedFor(em, failures);
  if (locked > 0) throw new AppError('RATE_LIMITED', `Too many wrong codes; try again in ${locked} seconds.`);
  const invalid = async () => {
    await recordFailure(em, failures);
    return new AppError('UNAUTHENTICATED', 'This code is wrong, used or expired; request a new one.');
  };
  const live = await em.findOne(RecipientCode, { email, consumedAt: null }, { orderBy: { createdAt: 'desc' } });
  if (!live || live.expiresAt.getTime() <= Date.now() || live.attempts >= CODE_MAX_ATTEMPTS) throw await invalid();
  if (!secretsEqual(live.codeHash, codeHash(ctx, email, code))) {
    await em.execute('update recipient_codes set attempts = attempts + 1 where id = ?', [live.id]);
    throw await invalid();
  }
  const consumed = await em.nativeUpdate(RecipientCode, { id: live.id, consumedAt: null, attempts: { $lt: CODE_MAX_ATTEMPTS } }, { consumedAt: new Date() });
  if (consumed !== 1) throw await invalid();
  await clearThrottle(em, failures);
  const token = newOpaqueToken();
  em.create(RecipientSession, {
    email,
    tokenHash: hashOpaqueToken(token, ctx.services.config.keyPepper),
    expiresAt: new Date(Date.now() + SESSION_SECONDS * 1000),
  });
  await em.flush();
  cookies.set(RECIPIENT_COOKIE, token, { maxAgeSeconds: SESSION_SECONDS });
  noteAudit(ctx, { actor: `recipient ${email}` });
  return email;
}

/** Ends the recipient's page session. */
export async function signOutRecipient(ctx: GraphQLContext): Promise<boolean> {
  const token = ctx.cookies?.get(RECIPIENT_COOKIE);
  if (token && isOpaqueToken(token)) await globalEm(ctx).nativeDelete(RecipientSession, { tokenHash: hashOpaqueToken(token, ctx.services.config.keyPepper) });
  ctx.cookies?.clear(RECIPIENT_COOKIE);
  return true;
}

/** The signed-in recipient's keys, one per pool that gave them one: limits, spend this period, expiry. Nothing of anyone else. */
export async function myPoolKeys(ctx: GraphQLContext): Promise<MyPoolKey[]> {
  const email = await recipientEmail(ctx);
  const recipients = await globalEm(ctx).find(
    PoolRecipient,
    { email },
    { filters: { tenant: false }, populate: ['key', 'pool', 'organization'], orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
  );
  const keys: MyPoolKey[] = [];
  for (const recipient of recipients) keys.push(await myKey(ctx, recipient));
  return keys;
}

/** Gives the signed-in recipient's key a new secret (shown once); the old one stops at once. Limits stay as the owner set them. */
export async function rotateMyPoolKey(ctx: GraphQLContext, recipientId: string): Promise<RotatedPoolKey> {
  const email = await recipientEmail(ctx);
  assertUuid(recipientId, 'a recipient id');
  const found = await globalEm(ctx).findOne(PoolRecipient, { id: recipientId, email }, { filters: { tenant: false }, populate: ['key', 'pool'] });
  if (!found) throw new AppError('NOT_FOUND', `You have no key with id ${recipientId}.`);
  const orgId = found.organization.id;
  noteAudit(ctx, { actor: `recipient ${email}`, orgId, targetId: found.id });
  const secret = generateSecret('key');
  const recipient = await applyConfigChange(ctx.services, forkForOrg(ctx.services, orgId), orgId, 'pool key rotated by its recipient', async (tx) => {
    const recipient = await tx.findOneOrFail(PoolRecipient, { id: found.id }, { populate: ['key', 'pool', 'organization'] });
    const key = recipient.key.getEntity();
    const status = (await toRecipientTypes(tx, orgId, recipient.pool.getEntity(), [recipient]))[0].status;
    if (status === 'revoked' || status === 'expired')
      throw new AppError('CONFLICT', `Your key has ${status === 'revoked' ? 'been revoked' : 'expired'}; it cannot be rotated.`);
    if (status === 'pending') throw new AppError('CONFLICT', 'Open the link in your email first: your key has not been shown to you yet.');
    key.secretHash = hashSecret(secret, ctx.services.config.keyPepper);
    key.prefix = displayPrefix(secret);
    key.rotatedAt = new Date();
    await tx.nativeDelete(KeySecret, { key: key.id });
    return recipient;
  });
  await recordPoolKeyEvent(ctx.services, poolKeyEvent('rotated', recipient, recipient.pool.getEntity()), requestSource(ctx));
  return { secret, key: await myKey(ctx, recipient) };
}

async function myKey(ctx: GraphQLContext, recipient: PoolRecipient): Promise<MyPoolKey> {
  const orgId = recipient.organization.id;
  const pool = recipient.pool.getEntity();
  const [view] = await toRecipientTypes(forkForOrg(ctx.services, orgId), orgId, pool, [recipient]);
  return { recipient: view, poolName: pool.name, note: pool.note, organizationName: recipient.organization.getEntity().name };
}

/** The email of the recipient's page session, or UNAUTHENTICATED. */
async function recipientEmail(ctx: GraphQLContext): Promise<string> {
  const token = ctx.cookies?.get(RECIPIENT_COOKIE);
  const session =
    token && isOpaqueToken(token)
      ? await globalEm(ctx).findOne(RecipientSession, { tokenHash: hashOpaqueToken(token, ctx.services.config.keyPepper), expiresAt: { $gt: new Date() } })
      : null;
  if (!session) throw new AppError('UNAUTHENTICATED', 'Sign in with the code emailed to you to see your keys.');
  return session.email;
}

/** Recipients sign in across organizations: their page reads without the tenant filter and always by their email. */
function globalEm(ctx: GraphQLContext): EntityManager {
  return ctx.services.orm.em.fork({ clear: true }) as EntityManager;
}

function codeHash(ctx: GraphQLContext, email: string, code: string): string {
  return hashSecret(`recipient:${email}:${code}`, ctx.services.config.keyPepper);
}

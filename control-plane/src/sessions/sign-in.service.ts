import { generateSignInCode, hashSecret, secretsEqual } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { noteAudit } from '../audit/audit.service.js';
import { SESSION_COOKIE } from '../auth/authenticate.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { hashClientAddress } from '../http/client-address.js';
import { signInCodeMessage } from '../mail/messages.js';
import { enforceRequiredSso } from '../sso/require-sso.js';
import { normalizeEmail } from '../users/email.js';
import { verifyPassword } from '../users/password.js';
import { User } from '../users/user.entity.js';
import { viewerInfo } from '../users/viewer-info.js';
import type { ViewerInfo } from '../users/viewer-info.type.js';
import { hashOpaqueToken, isOpaqueToken } from './opaque-token.js';
import { createSession, deleteSessionByToken, pickMembership } from './session.service.js';
import { SignInCode } from './sign-in-code.entity.js';
import { SignInLink } from './sign-in-link.entity.js';
import { clearThrottle, hitWindow, lockedFor, recordFailure, throttleKey } from './throttle.js';

/** How long an emailed code works. */
export const SIGN_IN_CODE_MINUTES = 10;
/** Wrong guesses a code survives. */
export const SIGN_IN_CODE_MAX_ATTEMPTS = 5;
/** Code requests allowed per email per window. */
const CODE_REQUESTS_PER_EMAIL = 5;
/** Code requests allowed per client address per window, whatever the emails. */
const CODE_REQUESTS_PER_ADDRESS = 20;
/** The fixed window code requests are counted in. */
const CODE_REQUEST_WINDOW_SECONDS = 15 * 60;

/** Signs a person in with email and password. Unknown emails and wrong passwords get the same answer in the same time. */
export async function signInWithPassword(ctx: GraphQLContext, rawEmail: string, password: string): Promise<ViewerInfo> {
  requireCookies(ctx);
  const email = normalizeEmail(rawEmail);
  const key = failureKey(ctx, email);
  await refuseWhileLocked(ctx, key, email, 'password');
  const user = await ctx.em.findOne(User, { email }, { populate: ['passwordHash'] });
  const ok = await verifyPassword(user?.passwordHash ?? null, password);
  if (!user || !ok) {
    await countFailure(ctx, key, email, 'password');
    throw new AppError('UNAUTHENTICATED', 'The email or password is incorrect.', { reason: 'BAD_CREDENTIALS' });
  }
  await clearThrottle(ctx.em, key);
  await enforceRequiredSso(ctx, user.id, 'password');
  return establishSession(ctx, user, null);
}

/**
 * Emails a six-digit code when the address belongs to an account. The answer is the same
 * either way, and the email goes out in the background, so neither the answer nor its timing
 * says whether the account exists.
 */
export async function requestSignInCode(ctx: GraphQLContext, rawEmail: string): Promise<boolean> {
  ctx.services.mailer.assertCanDeliver();
  const email = normalizeEmail(rawEmail);
  const salt = ctx.services.config.hashSalt;
  for (const [key, limit] of [
    [throttleKey('code-email', [email], salt), CODE_REQUESTS_PER_EMAIL],
    [throttleKey('code-ip', [ctx.ip], salt), CODE_REQUESTS_PER_ADDRESS],
  ] as const) {
    const hit = await hitWindow(ctx.em, key, limit, CODE_REQUEST_WINDOW_SECONDS);
    if (!hit.allowed) {
      ctx.log.warn({ email, ipHash: ipHash(ctx), scope: key.split(':')[0] }, 'sign-in code requests rate limited');
      throw new AppError('RATE_LIMITED', `Too many sign-in codes requested; try again in ${hit.retryAfterSeconds} seconds.`, {
        retryAfterSeconds: hit.retryAfterSeconds,
      });
    }
  }
  const user = await ctx.em.findOne(User, { email });
  if (!user) {
    ctx.log.info({ email }, 'sign-in code requested for an unknown email');
    return true;
  }
  const code = generateSignInCode();
  // One live code per email: a new request retires the old one, so guesses cannot be spread over several.
  await ctx.em.nativeUpdate(SignInCode, { email, consumedAt: null }, { consumedAt: new Date() });
  await ctx.em.nativeDelete(SignInCode, { email, expiresAt: { $lt: new Date(Date.now() - 24 * 3600_000) } });
  ctx.em.create(SignInCode, {
    email,
    codeHash: codeHash(ctx, email, code),
    expiresAt: new Date(Date.now() + SIGN_IN_CODE_MINUTES * 60_000),
    attempts: 0,
  });
  await ctx.em.flush();
  ctx.services.mailer.send(signInCodeMessage(email, code, SIGN_IN_CODE_MINUTES)).catch((err: unknown) => {
    ctx.log.error({ email, err: (err as Error).message }, 'sign-in code email failed');
  });
  ctx.log.info({ email }, 'sign-in code sent');
  return true;
}

/** Signs a person in with the code from their email: the latest one, unexpired, unused, within its guess budget. */
export async function signInWithCode(ctx: GraphQLContext, rawEmail: string, code: string): Promise<ViewerInfo> {
  requireCookies(ctx);
  const email = normalizeEmail(rawEmail);
  const key = failureKey(ctx, email);
  await refuseWhileLocked(ctx, key, email, 'code');
  const invalid = async () => {
    await countFailure(ctx, key, email, 'code');
    return new AppError('UNAUTHENTICATED', 'This sign-in code is wrong, used or expired; request a new one.', { reason: 'CODE_INVALID' });
  };
  const live = await ctx.em.findOne(SignInCode, { email, consumedAt: null }, { orderBy: { createdAt: 'desc' } });
  if (!live || live.expiresAt.getTime() <= Date.now() || live.attempts >= SIGN_IN_CODE_MAX_ATTEMPTS) throw await invalid();
  if (!secretsEqual(live.codeHash, codeHash(ctx, email, code))) {
    await ctx.em.execute('update sign_in_codes set attempts = attempts + 1 where id = ?', [live.id]);
    throw await invalid();
  }
  // Single use even under concurrent attempts: only one update finds the code unconsumed.
  const consumed = await ctx.em.nativeUpdate(
    SignInCode,
    { id: live.id, consumedAt: null, attempts: { $lt: SIGN_IN_CODE_MAX_ATTEMPTS } },
    { consumedAt: new Date() },
  );
  if (consumed !== 1) throw await invalid();
  const user = await ctx.em.findOne(User, { email });
  if (!user) throw await invalid();
  await clearThrottle(ctx.em, key);
  await enforceRequiredSso(ctx, user.id, 'code');
  return establishSession(ctx, user, null);
}

/** Signs a person in with a one-time link token (the first-start owner link). */
export async function signInWithLinkToken(ctx: GraphQLContext, token: string): Promise<ViewerInfo> {
  requireCookies(ctx);
  const user = await consumeSignInLink(ctx.services.config.keyPepper, ctx.em, token);
  if (!user) {
    ctx.log.warn({ ipHash: ipHash(ctx) }, 'sign-in link refused');
    throw new AppError('UNAUTHENTICATED', 'This sign-in link is wrong, used or expired.', { reason: 'LINK_INVALID' });
  }
  return establishSession(ctx, user, null);
}

/** Marks a sign-in link used and returns its person, or null when it is unknown, used or expired. */
export async function consumeSignInLink(pepper: Buffer, em: EntityManager, token: string): Promise<User | null> {
  if (!isOpaqueToken(token)) return null;
  const link = await em.findOne(SignInLink, { tokenHash: hashOpaqueToken(token, pepper) });
  if (!link || link.consumedAt || link.expiresAt.getTime() <= Date.now()) return null;
  const consumed = await em.nativeUpdate(SignInLink, { id: link.id, consumedAt: null }, { consumedAt: new Date() });
  if (consumed !== 1) return null;
  return em.findOne(User, { id: link.user.id });
}

/**
 * Starts a session for `user` in `orgId` (or their first organization): replaces the session
 * the browser already had (no session fixation), sets the cookie, and tells the audit trail
 * who the anonymous caller turned out to be.
 */
export async function establishSession(ctx: GraphQLContext, user: User, orgId: string | null): Promise<ViewerInfo> {
  const cookies = requireCookies(ctx);
  const previous = cookies.get(SESSION_COOKIE);
  if (previous) await deleteSessionByToken(ctx.services, ctx.em, previous);
  const membership = await pickMembership(ctx.em, user.id, [orgId]);
  const activeOrgId = membership?.organization.id ?? null;
  const { token, expiresAt } = await createSession(ctx.services, ctx.em, { userId: user.id, orgId: activeOrgId, ip: ctx.ip, userAgent: ctx.userAgent });
  cookies.set(SESSION_COOKIE, token, { maxAgeSeconds: ctx.services.config.sessionTtlSeconds });
  noteAudit(ctx, { actor: `user:${user.id}`, orgId: activeOrgId, targetId: user.id });
  ctx.log.info({ userId: user.id, orgId: activeOrgId }, 'signed in');
  return viewerInfo(ctx.em, { kind: 'user', userId: user.id, orgId: activeOrgId, role: membership?.role ?? null, sessionExpiresAt: expiresAt });
}

/** The cookie jar of an HTTP request; sign-in over graphql-ws is refused because it cannot set a cookie. */
export function requireCookies(ctx: GraphQLContext) {
  if (!ctx.cookies) throw new AppError('BAD_USER_INPUT', 'Sign in over HTTP; a WebSocket connection cannot set the session cookie.');
  return ctx.cookies;
}

/** The failed-sign-in throttle of one email from one client address. */
function failureKey(ctx: GraphQLContext, email: string): string {
  return throttleKey('signin', [email, ctx.ip], ctx.services.config.hashSalt);
}

async function refuseWhileLocked(ctx: GraphQLContext, key: string, email: string, method: string): Promise<void> {
  const seconds = await lockedFor(ctx.em, key);
  if (seconds > 0) {
    ctx.log.warn({ email, ipHash: ipHash(ctx), method, retryAfterSeconds: seconds }, 'sign-in refused while locked');
    throw new AppError('RATE_LIMITED', `Too many failed sign-ins; try again in ${seconds} seconds.`, { retryAfterSeconds: seconds });
  }
}

async function countFailure(ctx: GraphQLContext, key: string, email: string, method: string): Promise<void> {
  const { failures, lockSeconds } = await recordFailure(ctx.em, key);
  ctx.log.warn({ email, ipHash: ipHash(ctx), method, failures, lockSeconds }, 'sign-in failed');
}

function codeHash(ctx: GraphQLContext, email: string, code: string): string {
  return hashSecret(`${email}:${code}`, ctx.services.config.keyPepper);
}

function ipHash(ctx: GraphQLContext): string {
  return hashClientAddress(ctx.ip, ctx.services.config.hashSalt);
}

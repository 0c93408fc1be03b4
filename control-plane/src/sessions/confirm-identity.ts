import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { normalizeEmail } from '../users/email.js';
import { verifyPassword } from '../users/password.js';
import type { User } from '../users/user.entity.js';
import type { PersonViewer } from './caller.js';
import { Session } from './session.entity.js';
import { clearThrottle, lockedFor, recordFailure, throttleKey } from './throttle.js';

/**
 * How soon after signing in a person without a password may set a first one with nothing but
 * their session. Later, a stolen or forgotten-open session must not be able to add a password
 * (a lasting way in), so the person signs in again with a code first.
 */
export const FIRST_PASSWORD_WINDOW_MINUTES = 15;

/**
 * Checks, before a change to how a person signs in (password, email), that the person at the
 * browser is the account's owner: the current password when there is one, else a sign-in
 * within the last few minutes.
 */
export async function confirmIdentity(ctx: GraphQLContext, person: PersonViewer, user: User, currentPassword: string | null | undefined): Promise<void> {
  if (user.passwordHash) await checkCurrentPassword(ctx, user, currentPassword);
  else await checkRecentSignIn(ctx, person);
}

/** Whether a session started within the first-password window. */
export function isRecent(session: Session): boolean {
  return session.createdAt.getTime() > Date.now() - FIRST_PASSWORD_WINDOW_MINUTES * 60_000;
}

/** Guessing the current password here is throttled like guessing it at sign-in. */
export async function checkCurrentPassword(ctx: GraphQLContext, user: User, currentPassword: string | null | undefined): Promise<void> {
  const key = throttleKey('signin', [normalizeEmail(user.email), ctx.ip], ctx.services.config.hashSalt);
  const locked = await lockedFor(ctx.em, key);
  if (locked > 0) throw new AppError('RATE_LIMITED', `Too many wrong passwords; try again in ${locked} seconds.`, { retryAfterSeconds: locked });
  if (!currentPassword || !(await verifyPassword(user.passwordHash, currentPassword))) {
    await recordFailure(ctx.em, key);
    ctx.log.warn({ userId: user.id }, 'account change refused: wrong current password');
    throw new AppError('BAD_USER_INPUT', 'The current password is incorrect.', { reason: 'BAD_CREDENTIALS', fields: { currentPassword: ['incorrect'] } });
  }
  await clearThrottle(ctx.em, key);
}

/** Without a password, a fresh sign-in (by code or link) stands in for it, not just any open session. */
async function checkRecentSignIn(ctx: GraphQLContext, person: PersonViewer): Promise<void> {
  const session = await ctx.em.findOne(Session, { id: person.sessionId });
  if (session && isRecent(session)) return;
  ctx.log.warn({ userId: person.userId }, 'account change refused: no password and the sign-in is not recent');
  throw new AppError(
    'FORBIDDEN',
    `Without a password, sign in again with an emailed code, then make this change within ${FIRST_PASSWORD_WINDOW_MINUTES} minutes.`,
    { reason: 'RECENT_SIGN_IN_REQUIRED' },
  );
}

import { Args, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { SESSION_COOKIE } from '../auth/authenticate.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { normalizeEmail } from '../users/email.js';
import { assertPasswordAcceptable } from '../users/password-policy.js';
import { hashPassword, verifyPassword } from '../users/password.js';
import { User } from '../users/user.entity.js';
import { ChangePasswordArgs, SessionIdArgs, UpdateAccountArgs } from './account.input.js';
import { Account, AccountSession } from './account.type.js';
import { personOf, type PersonViewer } from './caller.js';
import { Session } from './session.entity.js';
import { clearThrottle, lockedFor, recordFailure, throttleKey } from './throttle.js';

/**
 * How soon after signing in a person without a password may set a first one with nothing but
 * their session. Later, a stolen or forgotten-open session must not be able to add a password
 * (a lasting way in), so the person signs in again with a code first.
 */
export const FIRST_PASSWORD_WINDOW_MINUTES = 15;

/** The caller's own account: name, password and sessions. Only people at the console, never tokens. */
@Resolver()
export class AccountResolver {
  @Authorized()
  @Query(() => Account, { description: 'Your own account: name, email, whether you have a password, and your sessions.' })
  async account(@Ctx() ctx: GraphQLContext): Promise<Account> {
    const person = personOf(ctx);
    const user = await ctx.em.findOneOrFail(User, { id: person.userId }, { populate: ['passwordHash'] });
    const sessions = await ctx.em.find(Session, { user: person.userId, expiresAt: { $gt: new Date() } }, { orderBy: { createdAt: 'desc' } });
    const current = sessions.find((s) => s.id === person.sessionId);
    return {
      user,
      hasPassword: user.passwordHash !== null,
      canSetFirstPassword: user.passwordHash === null && current !== undefined && isRecent(current),
      sessions: sessions.map((s) => ({
        id: s.id,
        createdAt: s.createdAt,
        lastSeenAt: s.lastSeenAt,
        expiresAt: s.expiresAt,
        userAgent: s.userAgent,
        current: s.id === person.sessionId,
      })) satisfies AccountSession[],
    };
  }

  @Authorized()
  @Mutation(() => User, { description: 'Changes your name.' })
  async updateAccount(@Args() args: UpdateAccountArgs, @Ctx() ctx: GraphQLContext): Promise<User> {
    const person = personOf(ctx);
    const user = await ctx.em.findOneOrFail(User, { id: person.userId });
    user.name = args.name.trim();
    await ctx.em.flush();
    return user;
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description:
      "Sets a new password and ends the person's other sessions. With a password already set, the current one is required; " +
      `a first password can be set without one only within ${FIRST_PASSWORD_WINDOW_MINUTES} minutes of signing in.`,
  })
  async changePassword(@Args() args: ChangePasswordArgs, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    const person = personOf(ctx);
    const user = await ctx.em.findOneOrFail(User, { id: person.userId }, { populate: ['passwordHash'] });
    if (user.passwordHash) await checkCurrentPassword(ctx, user, args.currentPassword);
    else await checkRecentSignIn(ctx, person);
    assertPasswordAcceptable(args.newPassword, user.email);
    user.passwordHash = await hashPassword(args.newPassword);
    await ctx.em.flush();
    await ctx.em.nativeDelete(Session, { user: user.id, id: { $ne: person.sessionId } });
    ctx.log.info({ userId: user.id }, 'password changed');
    return true;
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Ends one of your sessions (signing that browser out). Ending the current one also clears its cookie.' })
  async signOutSession(@Args() args: SessionIdArgs, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    const person = personOf(ctx);
    const deleted = await ctx.em.nativeDelete(Session, { id: args.id, user: person.userId });
    if (deleted !== 1) throw new AppError('NOT_FOUND', 'You have no such session; it may have ended already.');
    if (args.id === person.sessionId) ctx.cookies?.clear(SESSION_COOKIE);
    return true;
  }

  @Authorized()
  @Mutation(() => Int, { description: 'Ends every session of yours except this one; returns how many ended.' })
  async signOutOtherSessions(@Ctx() ctx: GraphQLContext): Promise<number> {
    const person = personOf(ctx);
    return ctx.em.nativeDelete(Session, { user: person.userId, id: { $ne: person.sessionId } });
  }
}

function isRecent(session: Session): boolean {
  return session.createdAt.getTime() > Date.now() - FIRST_PASSWORD_WINDOW_MINUTES * 60_000;
}

/** Guessing the current password here is throttled like guessing it at sign-in. */
async function checkCurrentPassword(ctx: GraphQLContext, user: User, currentPassword: string | null | undefined): Promise<void> {
  const key = throttleKey('signin', [normalizeEmail(user.email), ctx.ip], ctx.services.config.hashSalt);
  const locked = await lockedFor(ctx.em, key);
  if (locked > 0) throw new AppError('RATE_LIMITED', `Too many wrong passwords; try again in ${locked} seconds.`, { retryAfterSeconds: locked });
  if (!currentPassword || !(await verifyPassword(user.passwordHash, currentPassword))) {
    await recordFailure(ctx.em, key);
    ctx.log.warn({ userId: user.id }, 'password change refused: wrong current password');
    throw new AppError('BAD_USER_INPUT', 'The current password is incorrect.', { reason: 'BAD_CREDENTIALS', fields: { currentPassword: ['incorrect'] } });
  }
  await clearThrottle(ctx.em, key);
}

/** A first password needs a fresh sign-in (by code or link), not just any open session. */
async function checkRecentSignIn(ctx: GraphQLContext, person: PersonViewer): Promise<void> {
  const session = await ctx.em.findOne(Session, { id: person.sessionId });
  if (session && isRecent(session)) return;
  ctx.log.warn({ userId: person.userId }, 'first password refused: the sign-in is not recent');
  throw new AppError(
    'FORBIDDEN',
    `To set your first password, sign in again with an emailed code, then set it within ${FIRST_PASSWORD_WINDOW_MINUTES} minutes.`,
    { reason: 'RECENT_SIGN_IN_REQUIRED' },
  );
}

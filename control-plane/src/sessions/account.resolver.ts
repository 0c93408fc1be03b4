import { Args, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { SESSION_COOKIE } from '../auth/authenticate.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { assertPasswordAcceptable } from '../users/password-policy.js';
import { hashPassword } from '../users/password.js';
import { User } from '../users/user.entity.js';
import { ChangePasswordArgs, ConfirmEmailChangeArgs, ReauthenticateArgs, RequestEmailChangeArgs, SessionIdArgs, UpdateAccountArgs } from './account.input.js';
import { Account, AccountSession } from './account.type.js';
import { personOf } from './caller.js';
import { checkCurrentPassword, confirmIdentity, FIRST_PASSWORD_WINDOW_MINUTES, isRecent } from './confirm-identity.js';
import { confirmEmailChange, requestEmailChange } from './email-change.service.js';
import { RECENT_SIGN_IN_MINUTES } from './recent-sign-in.js';
import { Session } from './session.entity.js';

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
    await confirmIdentity(ctx, person, user, args.currentPassword);
    assertPasswordAcceptable(args.newPassword, user.email);
    user.passwordHash = await hashPassword(args.newPassword);
    await ctx.em.flush();
    await ctx.em.nativeDelete(Session, { user: user.id, id: { $ne: person.sessionId } });
    ctx.log.info({ userId: user.id }, 'password changed');
    return true;
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description:
      'Sends a six-digit code to a new email address; confirmEmailChange with it makes the change. Needs the current password, or a recent sign-in without one.',
  })
  requestEmailChange(@Args() args: RequestEmailChangeArgs, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    return requestEmailChange(ctx, personOf(ctx), args.newEmail, args.currentPassword);
  }

  @Authorized()
  @Mutation(() => User, { description: 'Makes the new address yours with the code sent to it; ends your other sessions and tells the old address.' })
  confirmEmailChange(@Args() args: ConfirmEmailChangeArgs, @Ctx() ctx: GraphQLContext): Promise<User> {
    return confirmEmailChange(ctx, personOf(ctx), args.code);
  }

  @Authorized()
  @Mutation(() => Date, {
    description:
      `Confirms it is you with your current password, so exports and deletions are allowed in this session for the next ${RECENT_SIGN_IN_MINUTES} minutes; ` +
      'returns when that was. Without a password, sign in again with an emailed code instead.',
  })
  async reauthenticate(@Args() args: ReauthenticateArgs, @Ctx() ctx: GraphQLContext): Promise<Date> {
    const person = personOf(ctx);
    const user = await ctx.em.findOneOrFail(User, { id: person.userId }, { populate: ['passwordHash'] });
    if (!user.passwordHash)
      throw new AppError('BAD_USER_INPUT', 'You have no password: sign in again with an emailed code instead.', { reason: 'NO_PASSWORD' });
    await checkCurrentPassword(ctx, user, args.currentPassword);
    await ctx.em.nativeUpdate(Session, { id: person.sessionId }, { authenticatedAt: new Date() });
    return new Date();
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

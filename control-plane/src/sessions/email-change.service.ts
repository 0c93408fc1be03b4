import { generateSignInCode, hashSecret, secretsEqual } from '@keyward/shared';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { emailChangeCodeMessage, emailChangedMessage } from '../mail/messages.js';
import { normalizeEmail } from '../users/email.js';
import { User } from '../users/user.entity.js';
import type { PersonViewer } from './caller.js';
import { confirmIdentity } from './confirm-identity.js';
import { EmailChange } from './email-change.entity.js';
import { Session } from './session.entity.js';
import { SIGN_IN_CODE_MAX_ATTEMPTS, SIGN_IN_CODE_MINUTES } from './sign-in.service.js';
import { hitWindow, throttleKey } from './throttle.js';

/** Email-change codes a person may ask for per window. */
const EMAIL_CHANGE_REQUESTS = 5;
const EMAIL_CHANGE_WINDOW_SECONDS = 15 * 60;

/**
 * Starts an email change: after the person proves it is them (current password, or a recent
 * sign-in without one), sends a six-digit code to the new address. Nothing changes until the
 * code comes back through `confirmEmailChange`.
 */
export async function requestEmailChange(
  ctx: GraphQLContext,
  person: PersonViewer,
  rawEmail: string,
  currentPassword: string | null | undefined,
): Promise<boolean> {
  ctx.services.mailer.assertCanDeliver();
  const user = await ctx.em.findOneOrFail(User, { id: person.userId }, { populate: ['passwordHash'] });
  await confirmIdentity(ctx, person, user, currentPassword);
  const newEmail = normalizeEmail(rawEmail);
  if (newEmail === user.email) throw new AppError('BAD_USER_INPUT', 'That is already your email address.', { fields: { newEmail: ['unchanged'] } });
  if (await ctx.em.count(User, { email: newEmail })) throw new AppError('CONFLICT', 'Another account already uses that email address.');
  const hit = await hitWindow(ctx.em, throttleKey('email-change', [user.id], ctx.services.config.hashSalt), EMAIL_CHANGE_REQUESTS, EMAIL_CHANGE_WINDOW_SECONDS);
  if (!hit.allowed) {
    throw new AppError('RATE_LIMITED', `Too many confirmation codes requested; try again in ${hit.retryAfterSeconds} seconds.`, {
      retryAfterSeconds: hit.retryAfterSeconds,
    });
  }
  const code = generateSignInCode();
  // One live change per person: a new request retires the previous code.
  await ctx.em.nativeUpdate(EmailChange, { user: user.id, consumedAt: null }, { consumedAt: new Date() });
  ctx.em.create(EmailChange, {
    user: user.id,
    newEmail,
    codeHash: changeCodeHash(ctx, user.id, newEmail, code),
    expiresAt: new Date(Date.now() + SIGN_IN_CODE_MINUTES * 60_000),
    attempts: 0,
  });
  await ctx.em.flush();
  await ctx.services.mailer.send(emailChangeCodeMessage(newEmail, code, SIGN_IN_CODE_MINUTES));
  ctx.log.info({ userId: user.id }, 'email change requested; confirmation code sent to the new address');
  return true;
}

/**
 * Finishes an email change with the code from the new address: the account then signs in with
 * it, the person's other sessions end, and the old address is told.
 */
export async function confirmEmailChange(ctx: GraphQLContext, person: PersonViewer, code: string): Promise<User> {
  const invalid = new AppError('BAD_USER_INPUT', 'This confirmation code is wrong, used or expired; request a new one.', { reason: 'CODE_INVALID' });
  const pending = await ctx.em.findOne(EmailChange, { user: person.userId, consumedAt: null }, { orderBy: { createdAt: 'desc' } });
  if (!pending || pending.expiresAt.getTime() <= Date.now() || pending.attempts >= SIGN_IN_CODE_MAX_ATTEMPTS) throw invalid;
  if (!secretsEqual(pending.codeHash, changeCodeHash(ctx, person.userId, pending.newEmail, code))) {
    await ctx.em.execute('update email_changes set attempts = attempts + 1 where id = ?', [pending.id]);
    throw invalid;
  }
  const consumed = await ctx.em.nativeUpdate(
    EmailChange,
    { id: pending.id, consumedAt: null, attempts: { $lt: SIGN_IN_CODE_MAX_ATTEMPTS } },
    { consumedAt: new Date() },
  );
  if (consumed !== 1) throw invalid;
  const user = await ctx.em.findOneOrFail(User, { id: person.userId });
  const oldEmail = user.email;
  user.email = pending.newEmail;
  try {
    await ctx.em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw new AppError('CONFLICT', 'Another account started using that email address meanwhile.');
    throw error;
  }
  await ctx.em.nativeDelete(Session, { user: user.id, id: { $ne: person.sessionId } });
  ctx.services.mailer.send(emailChangedMessage(oldEmail, user.email)).catch((err: unknown) => {
    ctx.log.error({ userId: user.id, err: (err as Error).message }, 'email-change notice to the old address failed');
  });
  ctx.log.info({ userId: user.id }, 'email changed');
  return user;
}

function changeCodeHash(ctx: GraphQLContext, userId: string, newEmail: string, code: string): string {
  return hashSecret(`email-change:${userId}:${newEmail}:${code}`, ctx.services.config.keyPepper);
}

import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { noteAudit } from '../audit/audit.service.js';
import { roleIncludes, type Role } from '../auth/roles.js';
import { enforceRequiredSso } from '../sso/require-sso.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { invitationMessage } from '../mail/messages.js';
import { Membership } from '../organizations/membership.entity.js';
import { Organization } from '../organizations/organization.entity.js';
import { orgCallerOf } from '../sessions/caller.js';
import { hashOpaqueToken, isOpaqueToken, newOpaqueToken } from '../sessions/opaque-token.js';
import { establishSession, requireCookies } from '../sessions/sign-in.service.js';
import { normalizeEmail } from '../users/email.js';
import { assertPasswordAcceptable } from '../users/password-policy.js';
import { hashPassword } from '../users/password.js';
import { User } from '../users/user.entity.js';
import type { ViewerInfo } from '../users/viewer-info.type.js';
import { Invitation } from './invitation.entity.js';

/** How long an invitation link works. */
const INVITATION_DAYS = 7;

/** The state of an invitation, derived from its timestamps. */
export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

/** Whether an invitation can still be accepted, or why not. */
export function invitationStatus(inv: Invitation, now = Date.now()): InvitationStatus {
  if (inv.acceptedAt) return 'accepted';
  if (inv.revokedAt) return 'revoked';
  if (inv.expiresAt.getTime() <= now) return 'expired';
  return 'pending';
}

/**
 * Invites someone by email with at most the inviter's role. A pending invitation to the same
 * address is replaced. The link (with the only copy of the token) goes out by email; if it
 * cannot be sent, the invitation is withdrawn so no unusable invitation lingers.
 */
export async function inviteMember(ctx: GraphQLContext, rawEmail: string, role: Role): Promise<Invitation> {
  const caller = orgCallerOf(ctx);
  if (!roleIncludes(caller.role, role)) {
    throw new AppError('FORBIDDEN', `You cannot invite someone with more permissions than you: your role is ${caller.role}, the invitation asks for ${role}.`);
  }
  ctx.services.mailer.assertCanDeliver();
  const email = normalizeEmail(rawEmail);
  const existing = await ctx.em.findOne(User, { email });
  if (existing && (await ctx.em.count(Membership, { user: existing.id }))) {
    throw new AppError('CONFLICT', `${email} is already a member of this organization.`, { reason: 'ALREADY_MEMBER' });
  }
  await ctx.em.nativeUpdate(Invitation, { email, acceptedAt: null, revokedAt: null }, { revokedAt: new Date() });
  const token = newOpaqueToken();
  const invitation = ctx.em.create(Invitation, {
    organization: caller.orgId,
    email,
    role,
    tokenHash: hashOpaqueToken(token, ctx.services.config.keyPepper),
    invitedBy: caller.userId,
    expiresAt: new Date(Date.now() + INVITATION_DAYS * 86_400_000),
  });
  await ctx.em.flush();
  const [org, inviter] = await Promise.all([ctx.em.findOneOrFail(Organization, { id: caller.orgId }), ctx.em.findOneOrFail(User, { id: caller.userId })]);
  const link = `${ctx.services.config.publicUrl}/accept-invitation?token=${token}`;
  try {
    await ctx.services.mailer.send(invitationMessage(email, { orgName: org.name, inviterName: inviter.name, role, link, days: INVITATION_DAYS }));
  } catch (error) {
    await ctx.em.nativeDelete(Invitation, { id: invitation.id });
    throw error;
  }
  ctx.log.info({ invitationId: invitation.id, email, role }, 'invitation sent');
  return invitation;
}

/** Revokes a pending invitation (idempotent); an accepted one cannot be revoked. */
export async function revokeInvitation(em: EntityManager, id: string): Promise<Invitation> {
  const inv = await em.findOne(Invitation, { id });
  if (!inv) throw new AppError('NOT_FOUND', 'No invitation with this id.');
  if (inv.acceptedAt) throw new AppError('CONFLICT', 'This invitation was already accepted; remove the member instead.', { reason: 'ALREADY_ACCEPTED' });
  if (!inv.revokedAt) {
    inv.revokedAt = new Date();
    await em.flush();
  }
  return inv;
}

/**
 * Accepts an invitation: creates the account if the email has none (a name is then required,
 * a password optional), adds the membership, marks the invitation used and signs the person in
 * to the inviting organization. An existing account keeps its password: an invitation link is
 * not a way to reset one.
 */
export async function acceptInvitation(ctx: GraphQLContext, input: { token: string; name?: string | null; password?: string | null }): Promise<ViewerInfo> {
  requireCookies(ctx);
  const invalid = () => new AppError('UNAUTHENTICATED', 'This invitation link is wrong, used or revoked.', { reason: 'INVITATION_INVALID' });
  if (!isOpaqueToken(input.token)) throw invalid();
  // The token is the only thing that identifies the invitation, before any organization is known.
  const inv = await ctx.em.findOne(Invitation, { tokenHash: hashOpaqueToken(input.token, ctx.services.config.keyPepper) }, { filters: { tenant: false } });
  if (!inv) throw invalid();
  const status = invitationStatus(inv);
  if (status === 'expired') {
    throw new AppError('UNAUTHENTICATED', 'This invitation has expired; ask for a new one.', { reason: 'INVITATION_EXPIRED' });
  }
  if (status !== 'pending') throw invalid();
  const orgId = inv.organization.id;
  let user = await ctx.em.findOne(User, { email: inv.email });
  if (user && input.password) {
    throw new AppError('BAD_USER_INPUT', 'You already have an account: accept without a password and keep the one you have.', {
      reason: 'ACCOUNT_EXISTS',
    });
  }
  if (!user) {
    if (!input.name?.trim()) {
      throw new AppError('BAD_USER_INPUT', 'Your name is required to create your account.', { fields: { name: ['is required for a new account'] } });
    }
    if (input.password) assertPasswordAcceptable(input.password, inv.email);
  }
  const passwordHash = !user && input.password ? await hashPassword(input.password) : null;
  try {
    user = await ctx.em.transactional(async (tx) => {
      const consumed = await tx.nativeUpdate(
        Invitation,
        { id: inv.id, acceptedAt: null, revokedAt: null },
        { acceptedAt: new Date() },
        { filters: { tenant: false } },
      );
      if (consumed !== 1) throw invalid();
      const person = user ?? tx.create(User, { email: inv.email, name: input.name!.trim(), passwordHash });
      const already = await tx.count(Membership, { user: person.id, organization: orgId }, { filters: { tenant: false } });
      if (!already) tx.create(Membership, { organization: orgId, user: person, role: inv.role });
      return person;
    });
  } catch (error) {
    // Two invitations to one new address accepted at the same moment: the other one made the account.
    if (error instanceof UniqueConstraintViolationException) {
      throw new AppError('CONFLICT', 'Your account was created a moment ago by another invitation; accept this one again.');
    }
    throw error;
  }
  ctx.log.info({ invitationId: inv.id, userId: user.id }, 'invitation accepted');
  noteAudit(ctx, { targetId: inv.id });
  // The membership stands; a session starts only where single sign-on is not required (or for owners, audited).
  await enforceRequiredSso(ctx, user.id, 'invitation');
  return establishSession(ctx, user, orgId);
}

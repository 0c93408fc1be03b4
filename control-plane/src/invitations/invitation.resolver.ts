import { Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root, registerEnumType } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { User } from '../users/user.entity.js';
import { ViewerInfo } from '../users/viewer-info.type.js';
import { Invitation } from './invitation.entity.js';
import { AcceptInvitationArgs, InvitationIdArgs, InviteMemberArgs } from './invitation.input.js';
import { acceptInvitation, invitationStatus, inviteMember, revokeInvitation, type InvitationStatus } from './invitation.service.js';

const InvitationStatusEnum = { PENDING: 'pending', ACCEPTED: 'accepted', REVOKED: 'revoked', EXPIRED: 'expired' } as const;
registerEnumType(InvitationStatusEnum, { name: 'InvitationStatus' });

/** Invitations to the caller's organization, and accepting one. */
@Resolver(() => Invitation)
export class InvitationResolver {
  @Authorized('members:read')
  @Query(() => [Invitation], { description: 'Invitations of the organization, newest first, whatever their status.' })
  invitations(@Ctx() ctx: GraphQLContext): Promise<Invitation[]> {
    return ctx.em.find(Invitation, {}, { orderBy: { createdAt: 'desc', id: 'desc' } });
  }

  @Authorized('members:manage')
  @Mutation(() => Invitation, { description: 'Emails an invitation link (valid 7 days, single use) for a role no higher than yours.' })
  inviteMember(@Args() args: InviteMemberArgs, @Ctx() ctx: GraphQLContext): Promise<Invitation> {
    return inviteMember(ctx, args.email, args.role);
  }

  @Authorized('members:manage')
  @Mutation(() => Invitation, { description: 'Withdraws a pending invitation.' })
  revokeInvitation(@Args() args: InvitationIdArgs, @Ctx() ctx: GraphQLContext): Promise<Invitation> {
    return revokeInvitation(ctx.em, args.id);
  }

  @Mutation(() => ViewerInfo, { description: 'Accepts an invitation (creating the account if needed) and signs in; sets the session cookie.' })
  acceptInvitation(@Args() args: AcceptInvitationArgs, @Ctx() ctx: GraphQLContext): Promise<ViewerInfo> {
    return acceptInvitation(ctx, args);
  }

  @FieldResolver(() => InvitationStatusEnum)
  status(@Root() invitation: Invitation): InvitationStatus {
    return invitationStatus(invitation);
  }

  @FieldResolver(() => User, { nullable: true, description: 'Who sent the invitation.' })
  invitedBy(@Root() invitation: Invitation, @Ctx() ctx: GraphQLContext): Promise<User | null> {
    return ctx.em.findOne(User, { id: invitation.invitedBy.id });
  }
}

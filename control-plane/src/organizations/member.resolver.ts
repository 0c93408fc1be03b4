import { Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { orgCallerOf } from '../sessions/caller.js';
import { User } from '../users/user.entity.js';
import { Membership } from './membership.entity.js';
import { changeMemberRole, removeMember } from './member.service.js';
import { ChangeMemberRoleArgs, MemberIdArgs } from './organization.input.js';

/** Members of the caller's organization. */
@Resolver(() => Membership)
export class MemberResolver {
  @Authorized('members:read')
  @Query(() => [Membership], { description: 'Everyone in the organization, oldest first.' })
  members(@Ctx() ctx: GraphQLContext): Promise<Membership[]> {
    return ctx.em.find(Membership, {}, { populate: ['user'], orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  @Authorized('members:manage')
  @Mutation(() => Membership, { description: "Changes a member's role. Only owners grant or take away owner; the last owner stays." })
  changeMemberRole(@Args() args: ChangeMemberRoleArgs, @Ctx() ctx: GraphQLContext): Promise<Membership> {
    return changeMemberRole(ctx.em, orgCallerOf(ctx), args.memberId, args.role);
  }

  @Authorized('members:manage')
  @Mutation(() => ID, { description: 'Removes a member and revokes their API tokens here. Answers the removed membership id.' })
  removeMember(@Args() args: MemberIdArgs, @Ctx() ctx: GraphQLContext): Promise<string> {
    return removeMember(ctx.em, orgCallerOf(ctx), args.memberId);
  }

  @FieldResolver(() => User)
  async user(@Root() member: Membership, @Ctx() ctx: GraphQLContext): Promise<User> {
    return member.user.isInitialized() ? member.user.getEntity() : ctx.em.findOneOrFail(User, { id: member.user.id });
  }
}

import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { orgCallerOf } from '../sessions/caller.js';
import { User } from '../users/user.entity.js';
import { TeamMember } from './team-member.entity.js';
import { Team } from './team.entity.js';
import { CreateTeamInput, RenameTeamArgs, TeamIdArgs } from './team.input.js';
import { createTeam, deleteTeam, renameTeam } from './team.service.js';

/** Teams of the caller's organization. */
@Resolver(() => Team)
export class TeamResolver {
  @Authorized('org:read')
  @Query(() => [Team], { description: 'Teams of the organization, by name.' })
  teams(@Ctx() ctx: GraphQLContext): Promise<Team[]> {
    return ctx.em.find(Team, {}, { orderBy: { name: 'asc', id: 'asc' } });
  }

  @FieldResolver(() => [User], { description: "People in the team, by email; the organization's SCIM groups put them there." })
  async members(@Root() team: Team, @Ctx() ctx: GraphQLContext): Promise<User[]> {
    const members = await ctx.em.find(TeamMember, { team: team.id }, { populate: ['user'] });
    return members.map((m) => m.user.getEntity()).sort((a, b) => a.email.localeCompare(b.email));
  }

  @Authorized('teams:manage')
  @Mutation(() => Team)
  createTeam(@Arg('input', () => CreateTeamInput) input: CreateTeamInput, @Ctx() ctx: GraphQLContext): Promise<Team> {
    return createTeam(ctx.em, orgCallerOf(ctx).orgId, input);
  }

  @Authorized('teams:manage')
  @Mutation(() => Team)
  renameTeam(@Args() args: RenameTeamArgs, @Ctx() ctx: GraphQLContext): Promise<Team> {
    return renameTeam(ctx.em, args.id, args.name);
  }

  @Authorized('teams:manage')
  @Mutation(() => ID, { description: 'Deletes a team; refused while keys or budgets still belong to it. Answers the deleted id.' })
  deleteTeam(@Args() args: TeamIdArgs, @Ctx() ctx: GraphQLContext): Promise<string> {
    return deleteTeam(ctx.services, ctx.em, orgCallerOf(ctx).orgId, args.id);
  }
}

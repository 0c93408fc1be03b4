import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { orgCallerOf } from '../sessions/caller.js';
import { ScimGroupTeamInput } from './scim-group-team.input.js';
import { listScimGroupTeams, setScimGroupTeams } from './scim-group-team.service.js';
import { ScimGroupTeamType } from './scim-group-team.type.js';

/** Which SCIM groups put their members in which teams. */
@Resolver(() => ScimGroupTeamType)
export class ScimGroupTeamResolver {
  @Authorized('org:manage')
  @Query(() => [ScimGroupTeamType], { description: 'SCIM groups mapped to teams, by group.' })
  scimGroupTeams(@Ctx() ctx: GraphQLContext): Promise<ScimGroupTeamType[]> {
    return listScimGroupTeams(ctx);
  }

  @Authorized('org:manage')
  @Mutation(() => [ScimGroupTeamType], {
    description: "Replaces the SCIM group to team mappings; every provisioned person's teams follow at once.",
  })
  setScimGroupTeams(@Ctx() ctx: GraphQLContext, @Arg('mappings', () => [ScimGroupTeamInput]) mappings: ScimGroupTeamInput[]): Promise<ScimGroupTeamType[]> {
    return setScimGroupTeams(ctx, orgCallerOf(ctx).orgId, mappings);
  }
}

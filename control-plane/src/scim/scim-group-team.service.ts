import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { Team } from '../teams/team.entity.js';
import { ScimGroupTeam } from './scim-group-team.entity.js';
import type { ScimGroupTeamInput } from './scim-group-team.input.js';
import type { ScimGroupTeamType } from './scim-group-team.type.js';
import { syncMembership } from './scim-membership.js';
import { ScimUser } from './scim-resource.entity.js';

/** Mappings one organization may have. */
const MAX_MAPPINGS = 200;

/** The organization's SCIM group to team mappings, by group. */
export async function listScimGroupTeams(ctx: GraphQLContext): Promise<ScimGroupTeamType[]> {
  const mappings = await ctx.em.find(ScimGroupTeam, {}, { populate: ['team'], orderBy: { group: 'asc', id: 'asc' } });
  return mappings.map((m) => ({ group: m.group, team: m.team.getEntity() }));
}

/**
 * Replaces the organization's mappings as a whole, then brings every provisioned person to the
 * teams their groups now map to, in one transaction.
 */
export async function setScimGroupTeams(ctx: GraphQLContext, orgId: string, input: readonly ScimGroupTeamInput[]): Promise<ScimGroupTeamType[]> {
  if (input.length > MAX_MAPPINGS) throw new AppError('BAD_USER_INPUT', `An organization may map at most ${MAX_MAPPINGS} SCIM groups to teams.`);
  const groups = input.map((m) => m.group.trim());
  const repeated = groups.find((g, i) => groups.indexOf(g) !== i);
  if (repeated !== undefined) throw new AppError('BAD_USER_INPUT', `The group "${repeated}" is mapped twice; map each group to one team.`);
  const teamIds = [...new Set(input.map((m) => m.teamId))];
  const teams = await ctx.em.find(Team, { id: { $in: teamIds } });
  const missing = teamIds.find((id) => !teams.some((t) => t.id === id));
  if (missing !== undefined) throw new AppError('NOT_FOUND', `No team ${missing} in this organization.`);
  await ctx.em.transactional(async (tx) => {
    await tx.nativeDelete(ScimGroupTeam, {});
    input.forEach((m, i) => tx.create(ScimGroupTeam, { organization: orgId, group: groups[i]!, team: m.teamId }));
    await tx.flush();
    for (const user of await tx.find(ScimUser, { active: true })) await syncMembership(tx, user);
  });
  return listScimGroupTeams(ctx);
}

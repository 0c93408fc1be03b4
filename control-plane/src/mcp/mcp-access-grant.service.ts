import type { McpAccess } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { applyConfigChange } from '../config-publish/publish.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { orgOf } from '../keys/key.service.js';
import { assertUuid } from '../keys/validators.js';
import { Team } from '../teams/team.entity.js';
import { checkedMcpAccess } from './mcp-access.js';
import { McpAccessGrant } from './mcp-access-grant.entity.js';
import type { McpAccessInput } from './mcp-server.input.js';
import type { McpAccessGrantType } from './mcp-server.type.js';

/**
 * Sets what every key of a team (`teamId`), or of the organization (`teamId` null), may call, on
 * top of each key's own `mcpAccess`; an empty list removes the grant. Nodes receive it as part of
 * each key's access.
 */
export async function setMcpAccess(ctx: GraphQLContext, teamId: string | null, input: readonly McpAccessInput[]): Promise<McpAccessGrantType> {
  const orgId = orgOf(ctx);
  if (teamId !== null) assertUuid(teamId, 'a team id');
  return applyConfigChange(ctx.services, ctx.em, orgId, teamId === null ? 'MCP access of the organization set' : 'MCP access of a team set', async (tx) => {
    const team = teamId === null ? null : await tx.findOne(Team, { id: teamId });
    if (teamId !== null && !team) throw new AppError('NOT_FOUND', 'No team with this id in this organization.');
    const access = await checkedMcpAccess(tx, input);
    const grant = await tx.findOne(McpAccessGrant, { teamId });
    if (access.length === 0) {
      if (grant) tx.remove(grant);
    } else if (grant) grant.access = access;
    else tx.create(McpAccessGrant, { organization: orgId, teamId, access });
    return grantView(teamId, team?.name ?? null, access);
  });
}

/** The organization's grant and every team's, the organization's first. */
export async function listMcpAccessGrants(ctx: GraphQLContext): Promise<McpAccessGrantType[]> {
  const grants = await ctx.em.find(McpAccessGrant, {}, { orderBy: { teamId: 'asc nulls first' } });
  const teams = new Map((await ctx.em.find(Team, { id: { $in: grants.flatMap((g) => (g.teamId ? [g.teamId] : [])) } })).map((t) => [t.id, t.name]));
  return grants.map((g) => grantView(g.teamId, g.teamId ? (teams.get(g.teamId) ?? null) : null, g.access));
}

function grantView(teamId: string | null, teamName: string | null, access: readonly McpAccess[]): McpAccessGrantType {
  return { teamId, teamName, access: access.map((a) => ({ server: a.server, tools: [...a.tools] })) };
}

/** Names of the teams (or "the organization") whose grant names server `name`, for refusals. */
export async function grantsNaming(em: EntityManager, name: string): Promise<string[]> {
  const grants = await em.find(McpAccessGrant, {}, { orderBy: { teamId: 'asc nulls first' } });
  const naming = grants.filter((g) => g.access.some((a) => a.server === name));
  const teams = new Map((await em.find(Team, { id: { $in: naming.flatMap((g) => (g.teamId ? [g.teamId] : [])) } })).map((t) => [t.id, t.name]));
  return naming.map((g) => (g.teamId ? `team "${teams.get(g.teamId) ?? g.teamId}"` : 'the organization'));
}

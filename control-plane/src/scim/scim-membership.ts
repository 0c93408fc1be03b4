import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Role } from '../auth/roles.js';
import { Membership } from '../organizations/membership.entity.js';
import { PlaygroundConversation } from '../playground/conversation.entity.js';
import { Session } from '../sessions/session.entity.js';
import { SsoConnection } from '../sso/sso-connection.entity.js';
import { roleFromGroups } from '../sso/sso-membership.js';
import { ApiToken } from '../tokens/api-token.entity.js';
import { TeamMember } from '../teams/team-member.entity.js';
import { ScimError } from './scim-errors.js';
import { ScimGroupTeam } from './scim-group-team.entity.js';
import { ScimGroup, type ScimUser } from './scim-resource.entity.js';

/** The role of a provisioned person when the organization has no SSO settings to say otherwise. */
const DEFAULT_PROVISIONED_ROLE: Role = 'developer';

/**
 * Makes the person's membership follow their SCIM state. Active: a member, with the most
 * powerful role their groups map to in the SSO settings, else the settings' default role (an
 * owner stays owner), and in exactly the teams their groups map to. Inactive: not a member nor
 * in any team, their API tokens here revoked, their playground conversations here deleted and their sessions ended at once. `em` is scoped to the organization by the tenant filter.
 */
export async function syncMembership(em: EntityManager, scimUser: ScimUser): Promise<void> {
  const orgId = scimUser.organization.id;
  const userId = scimUser.user.id;
  const existing = await em.findOne(Membership, { user: userId });
  if (scimUser.active) {
    const role = await provisionedRole(em, scimUser);
    if (!existing) em.create(Membership, { organization: orgId, user: userId, role });
    else if (existing.role !== 'owner') existing.role = role;
    await em.flush();
    await syncTeams(em, scimUser);
    return;
  }
  if (!existing) return;
  if (existing.role === 'owner') {
    const owners = await em.find(Membership, { role: 'owner' }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!owners.some((o) => o.id !== existing.id)) {
      throw new ScimError(400, "The organization's last owner cannot be deactivated; make someone else owner in Keyward first.", 'mutability');
    }
  }
  await em.nativeUpdate(ApiToken, { createdBy: userId, revokedAt: null }, { revokedAt: new Date() });
  await em.nativeDelete(TeamMember, { user: userId });
  await em.nativeDelete(PlaygroundConversation, { user: userId });
  // Sessions belong to the person, not to one organization: all of them end, so nothing signed in keeps acting on what it read here.
  await em.nativeDelete(Session, { user: userId });
  await em.remove(existing).flush();
}

/** Brings every active member of `scimUserIds` to the role and teams their groups now give. */
export async function syncGroupMembers(em: EntityManager, scimUserIds: readonly string[], users: readonly ScimUser[]): Promise<void> {
  for (const user of users) if (scimUserIds.includes(user.id) && user.active) await syncMembership(em, user);
}

async function provisionedRole(em: EntityManager, scimUser: ScimUser): Promise<Role> {
  const connection = await em.findOne(SsoConnection, {});
  const groups = (await groupsOf(em, scimUser)).map((g) => g.displayName);
  return roleFromGroups(connection?.groupRoles ?? [], groups) ?? connection?.defaultRole ?? DEFAULT_PROVISIONED_ROLE;
}

/**
 * Puts the person in the teams their groups map to (by displayName or externalId) and takes them
 * out of every other team. Team membership is SCIM's to give: nothing else in Keyward adds to it.
 */
async function syncTeams(em: EntityManager, scimUser: ScimUser): Promise<void> {
  const names = new Set((await groupsOf(em, scimUser)).flatMap((g) => (g.externalId ? [g.displayName, g.externalId] : [g.displayName])));
  const wanted = new Set((await em.find(ScimGroupTeam, {})).filter((m) => names.has(m.group)).map((m) => m.team.id));
  const current = await em.find(TeamMember, { user: scimUser.user.id });
  for (const member of current) if (!wanted.has(member.team.id)) em.remove(member);
  for (const teamId of wanted) {
    if (!current.some((m) => m.team.id === teamId)) em.create(TeamMember, { organization: scimUser.organization.id, team: teamId, user: scimUser.user.id });
  }
  await em.flush();
}

/** Every SCIM group the person is in; `em` is scoped to their organization. */
async function groupsOf(em: EntityManager, scimUser: ScimUser): Promise<ScimGroup[]> {
  return (await em.find(ScimGroup, {})).filter((g) => g.memberIds.includes(scimUser.id));
}

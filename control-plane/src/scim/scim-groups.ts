import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '@keyward/shared';
import { ScimError } from './scim-errors.js';
import { listResponse, parseScimFilter, scimPage } from './scim-filter.js';
import { syncGroupMembers } from './scim-membership.js';
import { patchOperations, scimString } from './scim-patch.js';
import { ScimGroup, ScimUser } from './scim-resource.entity.js';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/** A SCIM Group as Keyward answers it (RFC 7643 §4.2); `withMembers` false for `excludedAttributes=members`. */
export function groupResource(group: ScimGroup, users: readonly ScimUser[], baseUrl: string, withMembers = true) {
  const byId = new Map(users.map((u) => [u.id, u]));
  return {
    schemas: [GROUP_SCHEMA],
    id: group.id,
    ...(group.externalId ? { externalId: group.externalId } : {}),
    displayName: group.displayName,
    ...(withMembers ? { members: group.memberIds.map((id) => ({ value: id, display: byId.get(id)?.userName, $ref: `${baseUrl}/Users/${id}` })) } : {}),
    meta: {
      resourceType: 'Group',
      created: group.createdAt.toISOString(),
      lastModified: group.updatedAt.toISOString(),
      location: `${baseUrl}/Groups/${group.id}`,
    },
  };
}

/** The group `id` names in this organization, or 404. */
export async function findScimGroup(em: EntityManager, id: string): Promise<ScimGroup> {
  const group = isUuid(id) ? await em.findOne(ScimGroup, { id }) : null;
  if (!group) throw new ScimError(404, `No group ${id.slice(0, 64)} in this organization.`);
  return group;
}

/** `GET /Groups`, filtered by `displayName eq` or `externalId eq`, a page at a time. */
export async function listScimGroups(em: EntityManager, query: Record<string, unknown>, users: readonly ScimUser[], baseUrl: string) {
  const { startIndex, count } = scimPage(query);
  const where: Record<string, unknown> = {};
  if (typeof query.filter === 'string') {
    const { attribute, value } = parseScimFilter(query.filter, ['displayName', 'externalId']);
    where[attribute] = value;
  }
  const [groups, total] = await em.findAndCount(ScimGroup, where, { orderBy: { createdAt: 'asc', id: 'asc' }, offset: startIndex - 1, limit: count });
  const withMembers = !String(query.excludedAttributes ?? '')
    .toLowerCase()
    .includes('members');
  return listResponse(
    groups.map((g) => groupResource(g, users, baseUrl, withMembers)),
    total,
    startIndex,
  );
}

/** `POST /Groups`. */
export async function createScimGroup(em: EntityManager, orgId: string, body: Record<string, unknown>, users: readonly ScimUser[]): Promise<ScimGroup> {
  const displayName = checkedDisplayName(body.displayName);
  await assertNameFree(em, displayName, null);
  const group = em.create(ScimGroup, {
    organization: orgId,
    displayName,
    externalId: scimString(body.externalId, 'externalId', 300),
    memberIds: memberIds(body.members, users),
  });
  await em.flush();
  await syncGroupMembers(em, group.memberIds, users);
  return group;
}

/** `PUT /Groups/:id`. */
export async function replaceScimGroup(em: EntityManager, group: ScimGroup, body: Record<string, unknown>, users: readonly ScimUser[]): Promise<ScimGroup> {
  const before = group.memberIds;
  const displayName = checkedDisplayName(body.displayName);
  await assertNameFree(em, displayName, group.id);
  group.displayName = displayName;
  group.externalId = scimString(body.externalId, 'externalId', 300);
  group.memberIds = memberIds(body.members, users);
  await em.flush();
  await syncGroupMembers(em, [...before, ...group.memberIds], users);
  return group;
}

/**
 * `PATCH /Groups/:id` as Okta and Entra ID send it: members added and removed by list
 * (`path: "members"`), removed by filter (`members[value eq "…"]`), replaced, and the display
 * name replaced with or without a path. The roles of everyone who came or went follow.
 */
export async function patchScimGroup(em: EntityManager, group: ScimGroup, body: unknown, users: readonly ScimUser[]): Promise<ScimGroup> {
  const before = group.memberIds;
  let members = [...group.memberIds];
  for (const { op, path, value } of patchOperations(body)) {
    const filtered = path ? /^members\[value eq "([^"]+)"\]$/i.exec(path) : null;
    if (filtered) {
      if (op !== 'remove') throw new ScimError(400, `Only remove applies to ${path}.`, 'invalidPath');
      members = members.filter((id) => id !== filtered[1]);
    } else if (path?.toLowerCase() === 'members') {
      const named = value === undefined ? members : memberIds(value, users);
      if (op === 'add') members = [...new Set([...members, ...named])];
      else if (op === 'remove') members = value === undefined ? [] : members.filter((id) => !named.includes(id));
      else members = named;
    } else if (path?.toLowerCase() === 'displayname' || path?.toLowerCase() === 'externalid' || !path) {
      const changes = (path ? { [path]: value } : value) as Record<string, unknown>;
      for (const [key, v] of Object.entries(changes ?? {})) {
        if (key.toLowerCase() === 'displayname') {
          group.displayName = checkedDisplayName(v);
          await assertNameFree(em, group.displayName, group.id);
        } else if (key.toLowerCase() === 'externalid') group.externalId = scimString(v, 'externalId', 300);
        else if (key.toLowerCase() === 'members') members = memberIds(v, users);
      }
    } else {
      throw new ScimError(400, `${path.slice(0, 80)} is not an attribute of a group Keyward can change.`, 'invalidPath');
    }
  }
  group.memberIds = members;
  await em.flush();
  await syncGroupMembers(em, [...before, ...members], users);
  return group;
}

/** `DELETE /Groups/:id`; its members' roles follow. */
export async function deleteScimGroup(em: EntityManager, group: ScimGroup, users: readonly ScimUser[]): Promise<void> {
  const members = group.memberIds;
  await em.remove(group).flush();
  await syncGroupMembers(em, members, users);
}

/** The user ids of a `members` list, each one a user of this organization. */
function memberIds(value: unknown, users: readonly ScimUser[]): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ScimError(400, 'members must be a list of { "value": "<user id>" }.', 'invalidValue');
  const known = new Set(users.map((u) => u.id));
  const ids = value.map((m: { value?: unknown }) => (typeof m?.value === 'string' ? m.value : ''));
  const unknown = ids.find((id) => !known.has(id));
  if (unknown !== undefined) throw new ScimError(400, `members: no user ${unknown.slice(0, 64)} in this organization.`, 'invalidValue');
  return [...new Set(ids)];
}

function checkedDisplayName(value: unknown): string {
  const name = scimString(value, 'displayName', 200);
  if (!name) throw new ScimError(400, 'displayName is required.', 'invalidValue');
  return name;
}

async function assertNameFree(em: EntityManager, displayName: string, exceptId: string | null): Promise<void> {
  const where = exceptId ? { displayName, id: { $ne: exceptId } } : { displayName };
  if (await em.count(ScimGroup, where)) throw new ScimError(409, `A group named ${displayName} already exists.`, 'uniqueness');
}

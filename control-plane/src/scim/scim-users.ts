import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '@keyward/shared';
import { normalizeEmail } from '../users/email.js';
import { User } from '../users/user.entity.js';
import { ScimError } from './scim-errors.js';
import { listResponse, parseScimFilter, scimPage } from './scim-filter.js';
import { syncMembership } from './scim-membership.js';
import { patchOperations, scimBoolean, scimString, type PatchOperation } from './scim-patch.js';
import { ScimGroup, ScimUser, type ScimEmail } from './scim-resource.entity.js';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A SCIM User as Keyward answers it (RFC 7643 §4.1). */
export function userResource(user: ScimUser, groups: readonly ScimGroup[], baseUrl: string) {
  const formatted = [user.givenName, user.familyName].filter(Boolean).join(' ');
  return {
    schemas: [USER_SCHEMA],
    id: user.id,
    ...(user.externalId ? { externalId: user.externalId } : {}),
    userName: user.userName,
    name: {
      ...(user.givenName ? { givenName: user.givenName } : {}),
      ...(user.familyName ? { familyName: user.familyName } : {}),
      ...(formatted ? { formatted } : {}),
    },
    displayName: formatted || user.userName,
    emails: user.emails.length ? user.emails : [{ value: user.userName, type: 'work', primary: true }],
    active: user.active,
    groups: groups.filter((g) => g.memberIds.includes(user.id)).map((g) => ({ value: g.id, display: g.displayName, $ref: `${baseUrl}/Groups/${g.id}` })),
    meta: { resourceType: 'User', created: user.createdAt.toISOString(), lastModified: user.updatedAt.toISOString(), location: `${baseUrl}/Users/${user.id}` },
  };
}

/** The user `id` names in this organization (`em` is scoped to it), or 404. */
export async function findScimUser(em: EntityManager, id: string): Promise<ScimUser> {
  const user = isUuid(id) ? await em.findOne(ScimUser, { id }) : null;
  if (!user) throw new ScimError(404, `No user ${id.slice(0, 64)} in this organization.`);
  return user;
}

/** `GET /Users`: every provisioned user, or those a filter names, a page at a time. */
export async function listScimUsers(em: EntityManager, query: Record<string, unknown>) {
  const { startIndex, count } = scimPage(query);
  const where: Record<string, unknown> = {};
  if (typeof query.filter === 'string') {
    const { attribute, value } = parseScimFilter(query.filter, ['userName', 'externalId', 'emails.value']);
    if (attribute === 'externalId') where.externalId = value;
    else where.userName = value.toLowerCase();
  }
  const [users, total] = await em.findAndCount(ScimUser, where, { orderBy: { createdAt: 'asc', id: 'asc' }, offset: startIndex - 1, limit: count });
  return { users, total, startIndex };
}

/** `POST /Users`: provisions a person (their account is created when new) and, when active, their membership. */
export async function createScimUser(em: EntityManager, orgId: string, body: Record<string, unknown>): Promise<ScimUser> {
  const fields = userFields(body);
  if (!fields.userName) throw new ScimError(400, 'userName is required (the email the person signs in with).', 'invalidValue');
  if (await em.count(ScimUser, { userName: fields.userName }))
    throw new ScimError(409, `A user with userName ${fields.userName} already exists.`, 'uniqueness');
  const name = [fields.givenName, fields.familyName].filter(Boolean).join(' ') || fields.userName.slice(0, fields.userName.indexOf('@'));
  const account = (await em.findOne(User, { email: fields.userName })) ?? em.create(User, { email: fields.userName, name: name.slice(0, 120) });
  const user = em.create(ScimUser, {
    organization: orgId,
    user: account,
    userName: fields.userName,
    externalId: fields.externalId ?? null,
    active: fields.active ?? true,
    givenName: fields.givenName ?? null,
    familyName: fields.familyName ?? null,
    emails: fields.emails ?? [],
  });
  await em.flush();
  await syncMembership(em, user);
  return user;
}

/** `PUT /Users/:id`: the attributes Keyward keeps, replaced by the body's. */
export async function replaceScimUser(em: EntityManager, user: ScimUser, body: Record<string, unknown>): Promise<ScimUser> {
  const fields = userFields(body);
  if (!fields.userName) throw new ScimError(400, 'userName is required (the email the person signs in with).', 'invalidValue');
  await assign(em, user, { externalId: null, givenName: null, familyName: null, emails: [], active: true, ...fields });
  return user;
}

/**
 * `PATCH /Users/:id`, as Okta and Entra ID send it: `op` in any case, `active` as a boolean or
 * the string "False", paths such as `name.givenName` and `emails[type eq "work"].value`, or no
 * path and an object of attributes. Attributes Keyward does not keep (title, addresses…) are
 * accepted and ignored, so a provider's full profile does not fail provisioning.
 */
export async function patchScimUser(em: EntityManager, user: ScimUser, body: unknown): Promise<ScimUser> {
  const changes: Partial<UserFields> = {};
  for (const operation of patchOperations(body)) Object.assign(changes, userPatch(operation, user));
  await assign(em, user, changes);
  return user;
}

/** `DELETE /Users/:id`: the person leaves the organization (tokens revoked, sessions ended) and the SCIM record goes. */
export async function deleteScimUser(em: EntityManager, user: ScimUser): Promise<void> {
  user.active = false;
  await syncMembership(em, user);
  for (const group of await em.find(ScimGroup, {})) group.memberIds = group.memberIds.filter((id) => id !== user.id);
  await em.remove(user).flush();
}

interface UserFields {
  userName: string;
  externalId: string | null;
  active: boolean;
  givenName: string | null;
  familyName: string | null;
  emails: ScimEmail[];
}

async function assign(em: EntityManager, user: ScimUser, changes: Partial<UserFields>): Promise<void> {
  if (changes.userName !== undefined && changes.userName !== user.userName) {
    if (await em.count(ScimUser, { userName: changes.userName, id: { $ne: user.id } })) {
      throw new ScimError(409, `A user with userName ${changes.userName} already exists.`, 'uniqueness');
    }
  }
  const activeChanged = changes.active !== undefined && changes.active !== user.active;
  Object.assign(user, changes);
  await em.flush();
  if (activeChanged) await syncMembership(em, user);
}

/** The attributes of a full User body that Keyward keeps. */
function userFields(body: Record<string, unknown>): Partial<UserFields> {
  const fields: Partial<UserFields> = {};
  if (body.userName !== undefined) fields.userName = checkedUserName(body.userName);
  if (body.externalId !== undefined) fields.externalId = scimString(body.externalId, 'externalId', 300);
  if (body.active !== undefined) fields.active = scimBoolean(body.active, 'active');
  const name = body.name as { givenName?: unknown; familyName?: unknown } | undefined;
  if (name && typeof name === 'object') {
    fields.givenName = scimString(name.givenName, 'name.givenName', 120);
    fields.familyName = scimString(name.familyName, 'name.familyName', 120);
  }
  if (body.emails !== undefined) fields.emails = checkedEmails(body.emails);
  return fields;
}

/** What one PATCH operation changes. */
function userPatch(operation: PatchOperation, user: ScimUser): Partial<UserFields> {
  const { op, path, value } = operation;
  if (!path) {
    if (!value || typeof value !== 'object')
      throw new ScimError(400, 'An operation without a path needs an object of attributes as its value.', 'invalidValue');
    const flat: Record<string, unknown> = {};
    // Entra ID sends dotted names as keys of the value object ({"name.givenName": "Ann"}).
    for (const [key, v] of Object.entries(value)) {
      const patch = userPatch({ op, path: key, value: v }, user);
      Object.assign(flat, patch);
    }
    return flat;
  }
  const remove = op === 'remove';
  const emailValue = /^emails(\[type eq "(\w+)"\])?(\.value)?$/i.exec(path);
  switch (path.toLowerCase()) {
    case 'active':
      return { active: remove ? false : scimBoolean(value, 'active') };
    case 'username':
      if (remove) throw new ScimError(400, 'userName cannot be removed.', 'mutability');
      return { userName: checkedUserName(value) };
    case 'externalid':
      return { externalId: remove ? null : scimString(value, 'externalId', 300) };
    case 'name.givenname':
      return { givenName: remove ? null : scimString(value, 'name.givenName', 120) };
    case 'name.familyname':
      return { familyName: remove ? null : scimString(value, 'name.familyName', 120) };
    case 'name': {
      const name = (remove ? {} : value) as { givenName?: unknown; familyName?: unknown };
      return { givenName: scimString(name.givenName, 'name.givenName', 120), familyName: scimString(name.familyName, 'name.familyName', 120) };
    }
  }
  if (emailValue) {
    const type = emailValue[2]?.toLowerCase() ?? null;
    const others = user.emails.filter((e) => type !== null && e.type?.toLowerCase() !== type);
    if (remove) return { emails: others };
    if (Array.isArray(value)) return { emails: checkedEmails(value) };
    const address = scimString(value, path, 254);
    if (!address || !EMAIL.test(address)) throw new ScimError(400, `${path} must be an email address.`, 'invalidValue');
    return { emails: [...others, { value: address.toLowerCase(), type: type ?? 'work', primary: others.length === 0 }] };
  }
  return {};
}

function checkedUserName(value: unknown): string {
  if (typeof value !== 'string' || !EMAIL.test(value.trim())) throw new ScimError(400, 'userName must be the email the person signs in with.', 'invalidValue');
  return normalizeEmail(value);
}

function checkedEmails(value: unknown): ScimEmail[] {
  if (!Array.isArray(value)) throw new ScimError(400, 'emails must be a list.', 'invalidValue');
  return value.slice(0, 10).map((e: { value?: unknown; type?: unknown; primary?: unknown }) => {
    if (typeof e?.value !== 'string' || !EMAIL.test(e.value.trim()))
      throw new ScimError(400, 'Each of emails needs an email address as its value.', 'invalidValue');
    return {
      value: e.value.trim().toLowerCase(),
      ...(typeof e.type === 'string' ? { type: e.type.slice(0, 20) } : {}),
      ...(e.primary !== undefined ? { primary: scimBoolean(e.primary, 'emails.primary') } : {}),
    };
  });
}

/** The answer of `GET /Users`. */
export function usersListResponse(users: readonly ScimUser[], groups: readonly ScimGroup[], total: number, startIndex: number, baseUrl: string) {
  return listResponse(
    users.map((u) => userResource(u, groups, baseUrl)),
    total,
    startIndex,
  );
}

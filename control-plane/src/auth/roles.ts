/** Roles a member or API token can hold, from most to least powerful. */
export const ROLES = ['owner', 'admin', 'developer', 'approver', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Every action the API guards. Resolvers declare the permission they need with
 * `@Authorized('keys:write')`; this table is the only place that says which role has it.
 */
export const PERMISSIONS = [
  'org:read',
  'org:manage',
  'org:delete',
  'org:export',
  'billing:manage',
  'members:read',
  'members:manage',
  'teams:manage',
  'tokens:manage',
  'keys:read',
  'keys:write',
  'credentials:read',
  'credentials:write',
  'credentials:rewrap',
  'policies:read',
  'policies:write',
  'routes:read',
  'routes:write',
  'limits:read',
  'limits:write',
  'approvals:read',
  'approvals:decide',
  'events:read',
  'audit:read',
  'nodes:read',
  'nodes:manage',
  'webhooks:manage',
  'auditSinks:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const READ: Permission[] = [
  'org:read',
  'members:read',
  'keys:read',
  'credentials:read',
  'policies:read',
  'routes:read',
  'limits:read',
  'approvals:read',
  'events:read',
];

/** Permissions only owners hold: billing, re-wrapping every credential under a new KEK, and deleting or exporting the whole organization. */
const OWNER_ONLY: readonly Permission[] = ['billing:manage', 'credentials:rewrap', 'org:delete', 'org:export'];

const GRANTS: Record<Role, ReadonlySet<Permission>> = {
  owner: new Set(PERMISSIONS),
  admin: new Set(PERMISSIONS.filter((p) => !OWNER_ONLY.includes(p))),
  developer: new Set([...READ, 'tokens:manage', 'keys:write', 'policies:write', 'routes:write']),
  approver: new Set([...READ, 'tokens:manage', 'approvals:decide']),
  auditor: new Set([...READ, 'audit:read', 'nodes:read']),
};

/** Whether a role grants a permission. */
export function roleCan(role: Role, permission: Permission): boolean {
  return GRANTS[role].has(permission);
}

/** Whether every permission of `inner` is also granted to `outer` (e.g. token scope ≤ creator). */
export function roleIncludes(outer: Role, inner: Role): boolean {
  for (const p of GRANTS[inner]) if (!GRANTS[outer].has(p)) return false;
  return true;
}

/** All permissions of a role, for the console to hide actions a member cannot take. */
export function permissionsOf(role: Role): Permission[] {
  return [...GRANTS[role]];
}

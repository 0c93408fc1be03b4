import type { EntityManager } from '@mikro-orm/postgresql';
import { ROLES, type Role } from '../auth/roles.js';
import { Membership } from '../organizations/membership.entity.js';
import { normalizeEmail } from '../users/email.js';
import { User } from '../users/user.entity.js';
import { SsoRefusal } from './oidc-flow.js';
import type { GroupRole, SsoConnection } from './sso-connection.entity.js';

/** What the identity provider says about the person, read from a validated ID token. */
export interface SsoIdentity {
  readonly email: string;
  readonly name: string;
  readonly groups: readonly string[];
}

/**
 * The person an ID token names, checked against the connection: an email the provider has not
 * marked unverified, in one of the organization's domains. Groups come from the connection's
 * groups claim (a list, or one string).
 */
export function identityOf(connection: SsoConnection, claims: Readonly<Record<string, unknown>>): SsoIdentity {
  if (typeof claims.email !== 'string' || !claims.email.includes('@')) {
    throw new SsoRefusal('EMAIL_MISSING', 'The identity provider sent no email address; add the "email" scope or claim to the Keyward application there.');
  }
  const email = normalizeEmail(claims.email);
  if (claims.email_verified === false || claims.email_verified === 'false') {
    throw new SsoRefusal('EMAIL_UNVERIFIED', `The identity provider says ${email} is not verified, so it cannot sign in to Keyward.`);
  }
  const domain = email.slice(email.lastIndexOf('@') + 1);
  if (!connection.emailDomains.includes(domain)) {
    throw new SsoRefusal('EMAIL_DOMAIN', `${email} is not in a domain this organization signs in with (${connection.emailDomains.join(', ')}).`);
  }
  const rawGroups = claims[connection.groupsClaim];
  const groups = Array.isArray(rawGroups) ? rawGroups.filter((g): g is string => typeof g === 'string') : typeof rawGroups === 'string' ? [rawGroups] : [];
  const named = [claims.name, [claims.given_name, claims.family_name].filter((p) => typeof p === 'string').join(' ')].find(
    (n): n is string => typeof n === 'string' && n.trim() !== '',
  );
  return { email, name: (named ?? email.slice(0, email.indexOf('@'))).trim().slice(0, 120), groups };
}

/** The most powerful role `groups` are mapped to, or null when no group is mapped. */
export function roleFromGroups(groupRoles: readonly GroupRole[], groups: readonly string[]): Role | null {
  const granted = new Set(groupRoles.filter((m) => groups.includes(m.group)).map((m) => m.role));
  return ROLES.find((role) => granted.has(role)) ?? null;
}

/**
 * Just-in-time membership: the person's account (created without a password when new) and
 * their membership of the connection's organization, created with the mapped role (else the
 * default role) or brought to the mapped role. An owner's role is never changed by a mapping,
 * so the identity provider cannot take an organization's last owner away.
 */
export async function joinThroughSso(em: EntityManager, connection: SsoConnection, identity: SsoIdentity): Promise<{ user: User; membership: Membership }> {
  const orgId = connection.organization.id;
  const mapped = roleFromGroups(connection.groupRoles, identity.groups);
  return em.transactional(async (tx) => {
    const user = (await tx.findOne(User, { email: identity.email })) ?? tx.create(User, { email: identity.email, name: identity.name });
    // The organization is known but this entity manager has no caller: the tenant filter is off, the organization named.
    const existing = await tx.findOne(Membership, { organization: orgId, user }, { filters: { tenant: false } });
    if (!existing) return { user, membership: tx.create(Membership, { organization: orgId, user, role: mapped ?? connection.defaultRole }) };
    if (mapped && existing.role !== 'owner') existing.role = mapped;
    return { user, membership: existing };
  });
}

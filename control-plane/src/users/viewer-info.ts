import type { EntityManager } from '@mikro-orm/postgresql';
import { permissionsOf, type Role } from '../auth/roles.js';
import { AppError } from '../errors.js';
import { Membership } from '../organizations/membership.entity.js';
import { Organization } from '../organizations/organization.entity.js';
import { User } from './user.entity.js';
import type { OrganizationMembership, ViewerInfo } from './viewer-info.type.js';

/** The facts `viewerInfo` expands. */
export interface ViewerFacts {
  readonly kind: 'user' | 'api_token';
  readonly userId: string;
  readonly orgId: string | null;
  readonly role: Role | null;
  readonly sessionExpiresAt: Date | null;
}

/** Loads what `ViewerInfo` shows for a person or an API token. */
export async function viewerInfo(em: EntityManager, facts: ViewerFacts): Promise<ViewerInfo> {
  const user = await em.findOne(User, { id: facts.userId });
  if (!user) throw new AppError('UNAUTHENTICATED', 'This account no longer exists.');
  const organization = facts.orgId ? await em.findOne(Organization, { id: facts.orgId }) : null;
  let organizations: OrganizationMembership[];
  if (facts.kind === 'api_token') {
    organizations = organization && facts.role ? [{ organization, role: facts.role }] : [];
  } else {
    // A person's memberships across organizations: the tenant filter is off on purpose.
    const memberships = await em.find(
      Membership,
      { user: facts.userId },
      { filters: { tenant: false }, populate: ['organization'], orderBy: { createdAt: 'asc', id: 'asc' } },
    );
    organizations = memberships.map((m) => ({ organization: m.organization.getEntity(), role: m.role }));
  }
  return {
    kind: facts.kind,
    user,
    organization,
    role: facts.role,
    permissions: facts.role ? permissionsOf(facts.role) : [],
    organizations,
    sessionExpiresAt: facts.sessionExpiresAt,
  };
}

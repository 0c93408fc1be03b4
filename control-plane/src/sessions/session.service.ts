import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '@keyward/shared';
import { hashClientAddress } from '../http/client-address.js';
import { Membership } from '../organizations/membership.entity.js';
import type { Services } from '../services.js';
import { hashOpaqueToken, newOpaqueToken } from './opaque-token.js';
import { Session } from './session.entity.js';

/** Who a new session is for and where the request came from. */
export interface SessionStart {
  readonly userId: string;
  /** The organization the session starts in (null: the person's first). */
  readonly orgId: string | null;
  /** The organization whose single sign-on started the session: it is confined to it. */
  readonly ssoOrgId?: string;
  readonly ip: string;
  readonly userAgent: string;
}

/**
 * Stores a new session and returns its token (for the cookie). The person's expired sessions
 * are deleted on the way, so the table does not grow with every sign-in.
 */
export async function createSession(services: Services, em: EntityManager, start: SessionStart): Promise<{ token: string; expiresAt: Date }> {
  const token = newOpaqueToken();
  const expiresAt = new Date(Date.now() + services.config.sessionTtlSeconds * 1000);
  await em.nativeDelete(Session, { user: start.userId, expiresAt: { $lte: new Date() } });
  em.create(Session, {
    tokenHash: hashOpaqueToken(token, services.config.keyPepper),
    user: start.userId,
    activeOrganization: start.orgId,
    ssoOrganization: start.ssoOrgId ?? null,
    expiresAt,
    lastSeenAt: new Date(),
    ipHash: hashClientAddress(start.ip, services.config.hashSalt),
    userAgent: start.userAgent.slice(0, 300),
  });
  await em.flush();
  return { token, expiresAt };
}

/** Deletes the session a cookie token names, if any (sign-out, and before a new sign-in). */
export async function deleteSessionByToken(services: Services, em: EntityManager, token: string): Promise<void> {
  await em.nativeDelete(Session, { tokenHash: hashOpaqueToken(token, services.config.keyPepper) });
}

/**
 * The membership a person acts through: the first of `preferred` they belong to, else their
 * oldest membership, else null (a person with no organization yet).
 */
export async function pickMembership(em: EntityManager, userId: string, preferred: readonly (string | null | undefined)[]): Promise<Membership | null> {
  // Memberships of every organization the person is in: the tenant filter is off on purpose.
  const memberships = await em.find(Membership, { user: userId }, { filters: { tenant: false }, orderBy: { createdAt: 'asc', id: 'asc' } });
  for (const orgId of preferred) {
    if (!orgId || !isUuid(orgId)) continue;
    const match = memberships.find((m) => m.organization.id === orgId);
    if (match) return match;
  }
  return memberships[0] ?? null;
}

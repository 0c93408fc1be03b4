import type { EntityManager } from '@mikro-orm/postgresql';
import type { Viewer } from '../auth/viewer.js';
import type { Services } from '../services.js';
import { hashOpaqueToken, isOpaqueToken } from './opaque-token.js';
import { Membership } from '../organizations/membership.entity.js';
import { Session } from './session.entity.js';
import { pickMembership } from './session.service.js';

/** `lastSeenAt` is written at most this often, so every request is not also a write. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Resolves the person behind a session cookie, or null when the session is unknown or expired.
 * The organization is the one named by `orgId` (`x-keyward-org`) when the person belongs to it,
 * else the one chosen with `switchOrganization`, else their first; the role comes from that
 * membership, read fresh on every request so a role change applies at once. A session started by
 * single sign-on acts only in the organization whose identity provider started it.
 */
export async function findSessionViewer(services: Services, em: EntityManager, secret: string, orgId?: string): Promise<Viewer | null> {
  if (!isOpaqueToken(secret)) return null;
  const session = await em.findOne(Session, { tokenHash: hashOpaqueToken(secret, services.config.keyPepper) });
  if (!session || session.expiresAt.getTime() <= Date.now()) return null;
  const userId = session.user.id;
  const pinned = session.ssoOrganization?.id;
  const membership = pinned
    ? await em.findOne(Membership, { user: userId, organization: pinned }, { filters: { tenant: false } })
    : await pickMembership(em, userId, [orgId, session.activeOrganization?.id]);
  if (Date.now() - session.lastSeenAt.getTime() > TOUCH_INTERVAL_MS) {
    await em.nativeUpdate(Session, { id: session.id }, { lastSeenAt: new Date() });
  }
  return {
    kind: 'user',
    userId,
    sessionId: session.id,
    orgId: membership?.organization.id ?? null,
    role: membership?.role ?? null,
  };
}

import { hashSecret } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { roleIncludes } from '../auth/roles.js';
import type { Viewer } from '../auth/viewer.js';
import { Membership } from '../organizations/membership.entity.js';
import type { Services } from '../services.js';
import { ApiToken } from './api-token.entity.js';

/** `lastUsedAt` is written at most this often. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Resolves the automation caller behind an API token (already checksum-checked by
 * `authenticate`), or null when it is unknown, revoked or expired, or when its creator left the
 * organization or now holds a role below the token's: a token never outlives or outranks the
 * person who made it.
 */
export async function findApiTokenViewer(services: Services, em: EntityManager, secret: string): Promise<Viewer | null> {
  // Token lookup by hash happens before the organization is known: the tenant filter is off on purpose.
  const token = await em.findOne(ApiToken, { tokenHash: hashSecret(secret, services.config.keyPepper) }, { filters: { tenant: false } });
  if (!token || token.revokedAt) return null;
  if (token.expiresAt && token.expiresAt.getTime() <= Date.now()) return null;
  const creator = await em.findOne(Membership, { user: token.createdBy.id, organization: token.organization.id }, { filters: { tenant: false } });
  if (!creator || !roleIncludes(creator.role, token.role)) return null;
  const now = Date.now();
  if (!token.lastUsedAt || now - token.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
    await em.nativeUpdate(
      ApiToken,
      { id: token.id, $or: [{ lastUsedAt: null }, { lastUsedAt: { $lt: new Date(now - TOUCH_INTERVAL_MS) } }] },
      { lastUsedAt: new Date(now) },
      { filters: { tenant: false } },
    );
  }
  return { kind: 'api_token', tokenId: token.id, userId: token.createdBy.id, orgId: token.organization.id, role: token.role };
}

import { hashSecret, parseSecret } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { requireOrgPlanFeature } from '../billing/plan-gates.js';
import { AppError } from '../errors.js';
import type { Services } from '../services.js';
import { hitWindow, throttleKey } from '../sessions/throttle.js';
import { ScimError } from './scim-errors.js';
import { ScimToken } from './scim-token.entity.js';

/** `lastUsedAt` is written at most this often. */
const TOUCH_INTERVAL_MS = 60_000;

/** The organization a SCIM request acts in, and the token that says so. */
export interface ScimCaller {
  readonly orgId: string;
  readonly tokenId: string;
}

/**
 * Resolves the `Authorization: Bearer kws_…` of a SCIM request: a live token of an organization
 * whose plan includes SCIM, within its rate limit. Every refusal is a SCIM error; the token is
 * never repeated or logged.
 */
export async function authenticateScim(services: Services, em: EntityManager, authorization: string | undefined): Promise<ScimCaller> {
  const secret = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '')?.[1];
  if (!secret || parseSecret(secret)?.kind !== 'scim_token') {
    throw new ScimError(401, 'Send the organization SCIM token (kws_…) as "Authorization: Bearer <token>".');
  }
  // The token says which organization this is: the lookup happens before any tenant is known.
  const token = await em.findOne(ScimToken, { tokenHash: hashSecret(secret, services.config.keyPepper) }, { filters: { tenant: false } });
  if (!token || token.revokedAt) throw new ScimError(401, 'This SCIM token is unknown or revoked.');
  const hit = await hitWindow(em, throttleKey('scim', [token.id], services.config.hashSalt), services.config.scimRequestsPerMinute, 60);
  if (!hit.allowed)
    throw new ScimError(429, `Too many SCIM requests with this token; try again in ${hit.retryAfterSeconds} seconds.`, 'tooMany', hit.retryAfterSeconds);
  try {
    await requireOrgPlanFeature(services.config.edition, em, token.organization.id, 'scim');
  } catch (error) {
    if (error instanceof AppError) throw new ScimError(403, error.message);
    throw error;
  }
  if (!token.lastUsedAt || Date.now() - token.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
    await em.nativeUpdate(ScimToken, { id: token.id }, { lastUsedAt: new Date() }, { filters: { tenant: false } });
  }
  return { orgId: token.organization.id, tokenId: token.id };
}

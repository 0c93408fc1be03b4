import { parseSecret } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../errors.js';
import type { Services } from '../services.js';
import { findNodeViewer } from '../nodes/node-auth.js';
import { findSessionViewer } from '../sessions/session-auth.js';
import { findApiTokenViewer } from '../tokens/api-token-auth.js';
import type { Viewer } from './viewer.js';

/** Name of the httpOnly session cookie. */
export const SESSION_COOKIE = 'kw_session';

/** What identifies a caller, copied out of an HTTP request or a graphql-ws connection. */
export interface Credentials {
  readonly authorization?: string;
  readonly sessionToken?: string;
  /** `x-keyward-org`: which of a person's organizations this request acts in. */
  readonly orgId?: string;
}

/**
 * Resolves a caller from a bearer token (API token or node token) or a session cookie.
 * A bearer header that is present but wrong is an error rather than an anonymous request, so
 * automation with a revoked token fails loudly.
 */
export async function authenticate(services: Services, em: EntityManager, creds: Credentials): Promise<Viewer | null> {
  if (creds.authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(creds.authorization.trim());
    const token = match?.[1];
    const parsed = token ? parseSecret(token) : null;
    if (!token || !parsed) throw new AppError('UNAUTHENTICATED', 'The Authorization header does not hold a valid Keyward token.');
    const viewer =
      parsed.kind === 'api_token'
        ? await findApiTokenViewer(services, em, token)
        : parsed.kind === 'node_token'
          ? await findNodeViewer(services, em, token)
          : null;
    if (!viewer) throw new AppError('UNAUTHENTICATED', 'This token is unknown, revoked or expired.');
    return viewer;
  }
  if (creds.sessionToken) return findSessionViewer(services, em, creds.sessionToken, creds.orgId);
  return null;
}

import type { EntityManager } from '@mikro-orm/postgresql';
import type { Viewer } from '../auth/viewer.js';
import type { Services } from '../services.js';

/** Resolves the caller behind a credential, or null when it is unknown, revoked or expired. */
export async function findNodeViewer(
  _services: Services,
  _em: EntityManager,
  _secret: string,
  _orgId?: string,
): Promise<Viewer | null> {
  return null;
}

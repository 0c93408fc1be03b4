import { hashSecret } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Viewer } from '../auth/viewer.js';
import type { Services } from '../services.js';
import { NodeToken } from './node-token.entity.js';

/** `lastUsedAt` is written at most this often per token: nodes authenticate on every event batch. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Resolves the data-plane node behind a node token (`kwn_…`), or null when it is unknown or
 * revoked. The viewer's `nodeId` is the id of the node token; a node's own name for itself
 * arrives with its heartbeat and config stream. `orgId` is null for a global token.
 */
export async function findNodeViewer(services: Services, em: EntityManager, secret: string, _orgId?: string): Promise<Viewer | null> {
  const tokenHash = hashSecret(secret, services.config.keyPepper);
  const token = await em.findOne(NodeToken, { tokenHash, revokedAt: null }, { filters: { tenant: false } });
  if (!token) return null;
  const now = new Date();
  if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await em.nativeUpdate(NodeToken, { id: token.id }, { lastUsedAt: now }, { filters: { tenant: false } });
  }
  return { kind: 'node', nodeId: token.id, orgId: token.organization?.id ?? null };
}

import { hashSecret, parseSecret } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { NextFunction, Request, Response } from 'express';
import type { Viewer } from '../auth/viewer.js';
import { answerRouteFailure, sendRouteError } from '../http/rest-errors.js';
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

/** The node a plain HTTP request comes from: its token id, and the organization it serves (null: all). */
export interface NodeCaller {
  readonly tokenId: string;
  readonly orgId: string | null;
}

/**
 * Express middleware for the node-facing routes: checks `Authorization: Bearer kwn_…` before the
 * body is read (so strangers cannot make us parse it) and puts the `NodeCaller` in
 * `res.locals.node`. 401 without a node token or with an unknown or revoked one.
 */
export function requireNodeToken(services: Services) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization?.trim() ?? '')?.[1];
    if (!token || parseSecret(token)?.kind !== 'node_token') {
      sendRouteError(res, 401, 'UNAUTHENTICATED', 'Send a data-plane node token as "Authorization: Bearer kwn_…".');
      return;
    }
    try {
      const viewer = await findNodeViewer(services, services.orm.em.fork({ clear: true }) as EntityManager, token);
      if (viewer?.kind !== 'node') {
        sendRouteError(res, 401, 'UNAUTHENTICATED', 'This node token is unknown or revoked.');
        return;
      }
      res.locals.node = { tokenId: viewer.nodeId, orgId: viewer.orgId } satisfies NodeCaller;
      next();
    } catch (error) {
      answerRouteFailure(res, services.log, error, 'checking a node token');
    }
  };
}

/** The caller `requireNodeToken` identified. */
export function nodeCallerOf(res: Response): NodeCaller {
  return res.locals.node as NodeCaller;
}

import { parseSecret, validateEventBatch, type EventBatch } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Viewer } from '../auth/viewer.js';
import type { RouteRegistrar } from '../http/routes.js';
import type { Logger } from '../logger.js';
import { findNodeViewer } from '../nodes/node-auth.js';
import type { Services } from '../services.js';
import { isDatabaseUnavailable } from './database-errors.js';
import { storeEventBatch } from './ingest.js';

/** Where nodes post usage event batches. */
export const EVENTS_PATH = '/v1/node/events';
/** Largest batch body accepted; nodes split bigger spools into several batches. */
export const EVENT_BATCH_MAX_BYTES = 5 * 1024 * 1024;
/** Seconds a node should wait before retrying after a 503. */
const RETRY_AFTER_SECONDS = 5;

type NodeViewer = Extract<Viewer, { kind: 'node' }>;

/**
 * `POST /v1/node/events`: a node token in `Authorization: Bearer kwn_…`, a JSON `EventBatch`
 * body. Answers `{ accepted, duplicates }` only after the batch is committed; errors are
 * `{ error: { code, message } }` with 400 (the message names the bad field), 401, 403, 413,
 * or 503 when the database is unavailable (the node keeps the batch and retries).
 */
export const registerEventRoutes: RouteRegistrar = (app, services) => {
  // The token is checked before the body is read, so strangers cannot make us parse 5 MB.
  app.post(EVENTS_PATH, authenticateNode(services), express.json({ limit: EVENT_BATCH_MAX_BYTES }), async (req, res) => {
    const viewer = res.locals.node as NodeViewer;
    let batch: EventBatch;
    try {
      batch = validateEventBatch(req.body);
    } catch (error) {
      sendError(res, 400, 'INVALID_EVENT_BATCH', (error as Error).message);
      return;
    }
    if (viewer.orgId !== null) {
      const foreign = batch.events.findIndex((e) => e.orgId !== viewer.orgId);
      if (foreign >= 0) {
        sendError(res, 403, 'FORBIDDEN', `event batch "events[${foreign}].orgId" is an organization this node token does not serve.`);
        return;
      }
    }
    try {
      res.json(await storeEventBatch(services, batch));
    } catch (error) {
      failure(res, services.log, error);
    }
  });
  app.use(EVENTS_PATH, bodyErrors(services.log));
};

function authenticateNode(services: Services) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization?.trim() ?? '');
    const token = match?.[1];
    if (!token || parseSecret(token)?.kind !== 'node_token') {
      sendError(res, 401, 'UNAUTHENTICATED', 'Send a data-plane node token as "Authorization: Bearer kwn_…".');
      return;
    }
    let viewer: Viewer | null;
    try {
      viewer = await findNodeViewer(services, services.orm.em.fork({ clear: true }) as EntityManager, token);
    } catch (error) {
      failure(res, services.log, error);
      return;
    }
    if (!viewer || viewer.kind !== 'node') {
      sendError(res, 401, 'UNAUTHENTICATED', 'This node token is unknown or revoked.');
      return;
    }
    res.locals.node = viewer;
    next();
  };
}

function failure(res: Response, log: Logger, error: unknown): void {
  if (isDatabaseUnavailable(error)) {
    log.warn({ err: error }, 'database unavailable while storing usage events');
    res.setHeader('retry-after', String(RETRY_AFTER_SECONDS));
    sendError(res, 503, 'DATABASE_UNAVAILABLE', 'The database is unavailable; keep the batch and retry.');
    return;
  }
  log.error({ err: error }, 'could not store usage events');
  sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error.');
}

/** Malformed or oversized bodies answer in this route's error shape. */
function bodyErrors(log: Logger) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const e = err as { type?: string };
    if (e.type === 'entity.too.large') {
      sendError(res, 413, 'PAYLOAD_TOO_LARGE', `An event batch may be at most ${EVENT_BATCH_MAX_BYTES} bytes; send smaller batches.`);
    } else if (e.type === 'entity.parse.failed') {
      sendError(res, 400, 'INVALID_EVENT_BATCH', 'event batch is not valid JSON.');
    } else {
      failure(res, log, err);
    }
  };
}

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

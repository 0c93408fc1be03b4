import { validateEventBatch, type EventBatch } from '@keyward/shared';
import express from 'express';
import { answerRouteFailure, jsonBodyErrors, sendRouteError } from '../http/rest-errors.js';
import type { RouteRegistrar } from '../http/route-registrar.js';
import { nodeCallerOf, requireNodeToken } from '../nodes/node-auth.js';
import { storeEventBatch } from './ingest.js';

/** Where nodes post usage event batches. */
const EVENTS_PATH = '/v1/node/events';
/** Largest batch body accepted; nodes split bigger spools into several batches. */
const EVENT_BATCH_MAX_BYTES = 5 * 1024 * 1024;

/**
 * `POST /v1/node/events`: a node token in `Authorization: Bearer kwn_…`, a JSON `EventBatch`
 * body. Answers `{ accepted, duplicates }` only after the batch is committed; errors are
 * `{ error: { code, message } }` with 400 (the message names the bad field), 401, 403, 413,
 * or 503 when the database is unavailable (the node keeps the batch and retries).
 */
export const registerEventRoutes: RouteRegistrar = (app, services) => {
  // The token is checked before the body is read, so strangers cannot make us parse 5 MB.
  app.post(EVENTS_PATH, requireNodeToken(services), express.json({ limit: EVENT_BATCH_MAX_BYTES }), async (req, res) => {
    const caller = nodeCallerOf(res);
    let batch: EventBatch;
    try {
      batch = validateEventBatch(req.body);
    } catch (error) {
      sendRouteError(res, 400, 'INVALID_EVENT_BATCH', (error as Error).message);
      return;
    }
    if (caller.orgId !== null) {
      const foreign = batch.events.findIndex((e) => e.orgId !== caller.orgId);
      if (foreign >= 0) {
        sendRouteError(res, 403, 'FORBIDDEN', `event batch "events[${foreign}].orgId" is an organization this node token does not serve.`);
        return;
      }
    }
    try {
      res.json(await storeEventBatch(services, batch));
    } catch (error) {
      answerRouteFailure(res, services.log, error, 'storing usage events');
    }
  });
  app.use(EVENTS_PATH, jsonBodyErrors({ log: services.log, maxBytes: EVENT_BATCH_MAX_BYTES, invalidCode: 'INVALID_EVENT_BATCH', what: 'event batch' }));
};

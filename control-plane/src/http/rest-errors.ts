import type { NextFunction, Request, Response } from 'express';
import { isDatabaseUnavailable } from '../db/database-errors.js';
import type { Logger } from '../logger.js';

/**
 * The one error shape of the control plane's plain HTTP routes (node routes, statements, the
 * Stripe webhook): `{ error: { code, message } }` with a precise status. GraphQL has its own
 * formatter; everything outside it answers through here.
 */
export function sendRouteError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/** A failure the route knows how to describe: thrown by services, answered as it says. */
export class RouteError extends Error {
  override name = 'RouteError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Seconds a caller should wait before retrying after a 503. */
const RETRY_AFTER_SECONDS = 5;

/**
 * Answers an error a route handler caught: a `RouteError` as it says, an unreachable database
 * as 503 with `Retry-After` (the caller keeps its data and retries), anything else as a plain
 * 500 that is logged with `what` and says nothing more.
 */
export function answerRouteFailure(res: Response, log: Logger, error: unknown, what: string): void {
  if (error instanceof RouteError) {
    sendRouteError(res, error.status, error.code, error.message);
  } else if (isDatabaseUnavailable(error)) {
    log.warn({ err: error }, `database unavailable while ${what}`);
    res.setHeader('retry-after', String(RETRY_AFTER_SECONDS));
    sendRouteError(res, 503, 'DATABASE_UNAVAILABLE', 'The database is unavailable; keep the data and retry shortly.');
  } else {
    log.error({ err: error }, `failed while ${what}`);
    sendRouteError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error.');
  }
}

/**
 * Express error middleware for a JSON route: an oversized body is 413 naming the limit, a body
 * that is not JSON is 400 with `invalidCode`, anything else goes to `answerRouteFailure`.
 */
export function jsonBodyErrors(options: { log: Logger; maxBytes: number; invalidCode: string; what: string }) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') {
      sendRouteError(res, 413, 'PAYLOAD_TOO_LARGE', `A ${options.what} may be at most ${options.maxBytes} bytes.`);
    } else if (type === 'entity.parse.failed') {
      sendRouteError(res, 400, options.invalidCode, `The ${options.what} is not valid JSON.`);
    } else {
      answerRouteFailure(res, options.log, err, `reading a ${options.what}`);
    }
  };
}

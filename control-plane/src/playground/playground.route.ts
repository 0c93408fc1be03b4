import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { hashSecret, isUuid } from '@keyward/shared';
import express, { type NextFunction, type Request, type Response } from 'express';
import { answerDownloadFailure, routeCaller } from '../auth/route-caller.js';
import { forkForOrg } from '../graphql/context.js';
import { jsonBodyErrors, RouteError, sendRouteError } from '../http/rest-errors.js';
import type { RouteRegistrar } from '../http/route-registrar.js';
import { isSameOrigin } from '../http/same-origin.js';
import { KeySecret } from '../keys/key-secret.entity.js';
import { Key } from '../keys/key.entity.js';
import type { Services } from '../services.js';

/** Where the console posts a playground turn. */
const PLAYGROUND_CHAT_ROUTE = '/v1/playground/chat';

/** The metadata header naming the member on the turn's usage event, so the record says who chatted as the key. */
const PLAYGROUND_MEMBER_HEADER = 'x-keyward-meta-playground-member';

/**
 * The gateway's `x-request-id` (its usage event's request id), under a name of its own: the
 * control plane's own answers carry an `x-request-id` too, so only this says the gateway answered.
 */
const GATEWAY_REQUEST_ID_HEADER = 'x-keyward-gateway-request-id';

/** What the console posts: the key chosen, that key's secret (pasted, held in the page's memory only) and the OpenAI chat request. */
interface PlaygroundTurn {
  readonly keyId: string;
  readonly secret: string;
  readonly request: Record<string, unknown>;
}

/**
 * `POST /v1/playground/chat`: a console member's chat turn, relayed to the gateway
 * (`KEYWARD_GATEWAY_URL`) as `POST /v1/chat/completions` authenticated with the key's own secret,
 * which the member pasted and the page holds in memory only. The control plane never stores or
 * logs it: it checks that the secret is the chosen key's (current, or rotated out and within its
 * grace), adds `x-keyward-meta-playground-member: <user id>` and streams the gateway's answer
 * back byte for byte (status, the gateway's request id as `x-keyward-gateway-request-id`, SSE chunks), so authentication, policies, budgets,
 * rate limits and the usage event are exactly an agent's. A person's session only (same-origin);
 * refusals before the relay are `{ error: { code, message } }` with 400, 401, 403, 404 or 503,
 * an unreachable gateway 502.
 */
export const registerPlaygroundRoutes: RouteRegistrar = (app, services) => {
  app.post(
    PLAYGROUND_CHAT_ROUTE,
    (req: Request, res: Response, next: NextFunction) => {
      if (!isSameOrigin(req, services.config.publicUrl)) return sendRouteError(res, 403, 'FORBIDDEN', 'Cross-site request refused.');
      next();
    },
    express.json({ limit: services.config.maxBodyBytes }),
    async (req: Request, res: Response) => {
      try {
        const caller = await routeCaller(services, req, 'keys:read', 'chat in the playground');
        if (caller.kind !== 'user') throw new RouteError(403, 'FORBIDDEN', 'Only a person signed in to the console can use the playground.');
        const turn = readTurn(req.body);
        const gatewayUrl = services.config.gatewayUrl;
        if (!gatewayUrl) {
          throw new RouteError(
            503,
            'GATEWAY_NOT_CONFIGURED',
            'The playground calls the gateway at KEYWARD_GATEWAY_URL, which this control plane does not have.',
          );
        }
        await requireSecretOfKey(services, caller.orgId, turn);
        await relay(res, `${gatewayUrl.replace(/\/+$/, '')}/v1/chat/completions`, turn, caller.userId);
      } catch (error) {
        if (!res.headersSent) return answerDownloadFailure(services, res, error, 'relaying a playground turn');
        services.log.warn({ err: error }, 'a playground answer was cut short');
        res.destroy();
      }
    },
    jsonBodyErrors({ log: services.log, maxBytes: services.config.maxBodyBytes, invalidCode: 'INVALID_JSON', what: 'playground turn' }),
  );
};

/** The posted turn, or a 400 naming the bad field. */
function readTurn(body: unknown): PlaygroundTurn {
  const turn = (body ?? {}) as Record<string, unknown>;
  if (typeof turn.keyId !== 'string' || !isUuid(turn.keyId)) throw new RouteError(400, 'BAD_REQUEST', 'keyId must be a key id.');
  if (typeof turn.secret !== 'string' || turn.secret.length === 0 || turn.secret.length > 200) {
    throw new RouteError(400, 'BAD_REQUEST', 'secret must be the key’s secret (1 to 200 characters).');
  }
  if (typeof turn.request !== 'object' || turn.request === null || Array.isArray(turn.request)) {
    throw new RouteError(400, 'BAD_REQUEST', 'request must be an OpenAI chat completions request object.');
  }
  return { keyId: turn.keyId, secret: turn.secret, request: turn.request as Record<string, unknown> };
}

/** Refuses unless `secret` authenticates the chosen key of the caller's organization. */
async function requireSecretOfKey(services: Services, orgId: string, turn: PlaygroundTurn): Promise<void> {
  const em = forkForOrg(services, orgId);
  const key = await em.findOne(Key, { id: turn.keyId });
  if (!key) throw new RouteError(404, 'NOT_FOUND', 'No key of this organization has this id.');
  const hash = hashSecret(turn.secret, services.config.keyPepper);
  if (hash === key.secretHash) return;
  const rotatedOut = await em.count(KeySecret, { key: key.id, secretHash: hash, graceUntil: { $gt: new Date() } });
  if (rotatedOut === 0) throw new RouteError(403, 'SECRET_NOT_FOR_KEY', `This secret is not the secret of the key "${key.name}".`);
}

/** Sends the turn to the gateway and streams its answer back; stops the gateway call when the page goes away. */
async function relay(res: Response, url: string, turn: PlaygroundTurn, userId: string): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  let answer: globalThis.Response;
  try {
    answer = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${turn.secret}`, 'content-type': 'application/json', [PLAYGROUND_MEMBER_HEADER]: userId },
      body: JSON.stringify(turn.request),
      signal: abort.signal,
    });
  } catch {
    throw new RouteError(
      502,
      'GATEWAY_UNREACHABLE',
      `The gateway at ${new URL(url).origin} did not answer; check KEYWARD_GATEWAY_URL and that a node is running.`,
    );
  }
  res.status(answer.status);
  for (const [from, to] of [
    ['content-type', 'content-type'],
    ['retry-after', 'retry-after'],
    ['x-request-id', GATEWAY_REQUEST_ID_HEADER],
  ] as const) {
    const value = answer.headers.get(from);
    if (value !== null) res.setHeader(to, value);
  }
  res.setHeader('cache-control', 'no-store');
  res.flushHeaders();
  if (!answer.body) return void res.end();
  await pipeline(Readable.fromWeb(answer.body as WebReadableStream<Uint8Array>), res);
}

import type { ApiFamily } from '@keyward/shared';
import { authenticateKey } from '../auth/authenticate.js';
import { GatewayError } from '../errors.js';
import { PROVIDER_APIS } from '../providers/index.js';
import { availableModels, callableModel } from '../routing/models.js';
import { copyRequest, readBody, type IncomingRequest } from '../server/request.js';
import { ClientResponse } from '../server/response.js';
import type { HttpRequest, HttpResponse } from '../server/uws.js';
import type { Gateway } from './gateway.js';
import { finish, newRecord, respondWithError } from './proxy.js';

/**
 * `GET /v1/models`, `GET /v1/models/{model}` (OpenAI's, or Anthropic's when the client sends
 * Anthropic's headers) and Gemini's `GET /v1beta/models[/{model}]`, answered by the gateway
 * itself in the caller's shape: the models this key may use, never the provider's full list.
 * Recorded like any other request.
 */
export function modelsHandler(gw: Gateway, route: { family: ApiFamily | 'by-headers'; single: boolean }): (res: HttpResponse, req: HttpRequest) => void {
  return (res, req) => {
    const incoming = copyRequest(req, res, route.single ? 1 : 0);
    const client = new ClientResponse(res);
    const family = route.family === 'by-headers' ? guessFamily(incoming) : route.family;
    const api = PROVIDER_APIS[family];
    const record = newRecord(gw, family, 'models', incoming, modelsPattern(family, route.single));
    try {
      if (gw.draining()) throw new GatewayError('draining', 503, 'This gateway node is shutting down; retry the request.');
      const view = gw.view();
      if (!view) throw new GatewayError('not_ready', 503, 'The gateway has not received its configuration yet; retry shortly.');
      const check = authenticateKey(api.clientKey(incoming.headers, incoming.query), view, gw.config.keyPepper);
      record.key = check.key;
      record.org = check.org;
      if (!check.ok) throw check.error;
      let body: string;
      if (route.single) {
        const wanted = safeDecode(incoming.params[0]).replace(/^models\//, '');
        // `{model}:{method}` is one of Gemini's POST methods, not a model.
        if (family === 'gemini' && wanted.includes(':'))
          throw new GatewayError('method_not_allowed', 405, `${incoming.method} is not supported on ${incoming.path}.`);
        record.model = wanted || null;
        const model = callableModel(view, check.key, check.org, family, wanted);
        if (!model) throw new GatewayError('model_not_allowed', 404, `The model "${wanted}" does not exist or this Keyward key may not use it.`);
        body = api.modelInfo(model);
      } else {
        body = api.modelList(availableModels(view, check.key, check.org, family));
      }
      record.status = 200;
      client.send(
        200,
        [
          ['content-type', 'application/json'],
          ['x-request-id', record.requestId],
        ],
        body,
      );
    } catch (err) {
      respondWithError(gw, api, client, record, err, null);
    }
    finish(gw, record, null).catch((err: unknown) => gw.log.error({ requestId: record.requestId, err }, 'could not record a finished request'));
  };
}

/** Paths the gateway serves, to tell a wrong method (405) from an unknown path (404). */
const KNOWN_PATHS = new Set([
  '/v1/chat/completions',
  '/v1/responses',
  '/v1/embeddings',
  '/v1/models',
  '/v1/messages',
  '/v1beta/models',
  '/healthz',
  '/readyz',
  '/metrics',
]);

/** Everything no route matched: 404 (or 405 for a known path), in the format the caller most likely speaks. */
export function fallbackHandler(gw: Gateway): (res: HttpResponse, req: HttpRequest) => void {
  return (res, req) => {
    const incoming = copyRequest(req, res);
    const client = new ClientResponse(res);
    const family = guessFamily(incoming);
    const record = newRecord(gw, family, 'unknown', incoming, null);
    const known = KNOWN_PATHS.has(incoming.path) || incoming.path.startsWith('/v1beta/models/');
    const error = known
      ? new GatewayError('method_not_allowed', 405, `${incoming.method} is not supported on ${incoming.path}.`)
      : new GatewayError('not_found', 404, `Unknown route ${incoming.method} ${incoming.path}.`);
    // Nothing here wants a body: one that comes is read and dropped, and the connection closed after it.
    const hasBody = (incoming.headers['content-length'] ?? '0') !== '0' || incoming.headers['transfer-encoding'] !== undefined;
    respondWithError(gw, PROVIDER_APIS[family], client, record, error, hasBody ? readBody(res, client, incoming.headers['content-length'], 0) : null);
    finish(gw, record, null).catch((err: unknown) => gw.log.error({ requestId: record.requestId, err }, 'could not record a finished request'));
  };
}

/** The route template a models request came in on. */
function modelsPattern(family: ApiFamily, single: boolean): string {
  return `${family === 'gemini' ? '/v1beta/models' : '/v1/models'}${single ? '/:model' : ''}`;
}

function guessFamily(incoming: IncomingRequest): ApiFamily {
  if (incoming.path.startsWith('/v1beta/')) return 'gemini';
  if (incoming.headers['x-api-key'] || incoming.headers['anthropic-version']) return 'anthropic';
  return 'openai';
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

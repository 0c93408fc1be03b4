import { GatewayError } from '../errors.js';
import { OPERATIONS, parseModelMethod } from '../providers/index.js';
import type { Gateway } from '../pipeline/gateway.js';
import { fallbackHandler, modelsHandler } from '../pipeline/local.js';
import { proxyHandler, type ProxyRoute } from '../pipeline/proxy.js';
import type { Operation } from '../providers/types.js';
import { ClientResponse } from './response.js';
import { uws, type HttpResponse, type TemplatedApp } from './uws.js';

/** What `/readyz` reports. */
export interface Readiness {
  readonly ready: boolean;
  readonly version: number | null;
  readonly source: string | null;
  readonly draining: boolean;
}

const fixed = (family: Operation['family'], op: Operation): ProxyRoute => ({ family, params: 0, resolve: () => ({ op, pathModel: null }) });

const geminiRoute: ProxyRoute = {
  family: 'gemini',
  params: 1,
  resolve(incoming) {
    const parsed = parseModelMethod(incoming.params[0] ?? '');
    const op = parsed && (OPERATIONS.gemini as Record<string, Operation>)[parsed.method];
    if (!parsed || !op) return new GatewayError('not_found', 404, `Unknown Gemini method in ${incoming.path}.`);
    return { op, pathModel: parsed.model };
  },
};

/** Builds the uWS app: the proxied endpoints of the three API families, model listing, health, readiness and metrics. */
export function createApp(gw: Gateway, readiness: () => Readiness): TemplatedApp {
  const app = uws.App();
  app.post('/v1/chat/completions', proxyHandler(gw, fixed('openai', OPERATIONS.openai['chat.completions'])));
  app.post('/v1/responses', proxyHandler(gw, fixed('openai', OPERATIONS.openai.responses)));
  app.post('/v1/embeddings', proxyHandler(gw, fixed('openai', OPERATIONS.openai.embeddings)));
  app.get('/v1/models', modelsHandler(gw, { family: 'by-headers', single: false }));
  app.get('/v1/models/:model', modelsHandler(gw, { family: 'by-headers', single: true }));
  app.post('/v1/messages', proxyHandler(gw, fixed('anthropic', OPERATIONS.anthropic.messages)));
  app.post('/v1beta/models/:modelMethod', proxyHandler(gw, geminiRoute));
  app.get('/v1beta/models', modelsHandler(gw, { family: 'gemini', single: false }));
  app.get('/v1beta/models/:model', modelsHandler(gw, { family: 'gemini', single: true }));

  app.get('/healthz', (res) => {
    res.cork(() => res.writeHeader('content-type', 'application/json').end('{"status":"ok"}'));
  });
  app.get('/readyz', (res) => {
    const state = readiness();
    const status = state.ready ? '200 OK' : '503 Service Unavailable';
    res.cork(() => res.writeStatus(status).writeHeader('content-type', 'application/json').end(JSON.stringify(state)));
  });
  app.get('/metrics', (res) => serveMetrics(gw, res));
  app.any('/*', fallbackHandler(gw));
  return app;
}

function serveMetrics(gw: Gateway, res: HttpResponse): void {
  const client = new ClientResponse(res);
  gw.metrics.registry.metrics().then(
    (text) => client.send(200, [['content-type', gw.metrics.registry.contentType]], text),
    (err: unknown) => {
      gw.log.error({ reason: (err as Error).message }, 'could not collect metrics');
      client.send(500, [['content-type', 'text/plain']], 'metrics collection failed\n');
    },
  );
}

import { PROXY_ROUTES } from '../providers/index.js';
import type { Gateway } from '../pipeline/gateway.js';
import { fallbackHandler, modelsHandler } from '../pipeline/local.js';
import { proxyHandler } from '../pipeline/proxy.js';
import { mcpHandler } from '../mcp/mcp-proxy.js';
import { ClientResponse } from './response.js';
import { uws, type HttpResponse, type TemplatedApp } from './uws.js';

/** What `/readyz` reports. */
export interface Readiness {
  readonly ready: boolean;
  readonly version: number | null;
  readonly source: string | null;
  readonly draining: boolean;
}

/**
 * Builds the uWS app: the proxied endpoints of the three API families, model listing, health,
 * readiness and metrics (`metricsText`: this node's registry, or every worker's added up).
 */
export function createApp(gw: Gateway, readiness: () => Readiness, metricsText: () => Promise<string>): TemplatedApp {
  const app = uws.App();
  for (const route of PROXY_ROUTES) app.post(route.pattern, proxyHandler(gw, route));
  app.get('/v1/models', modelsHandler(gw, { family: 'by-headers', single: false }));
  app.get('/v1/models/:model', modelsHandler(gw, { family: 'by-headers', single: true }));
  app.get('/v1beta/models', modelsHandler(gw, { family: 'gemini', single: false }));
  app.get('/v1beta/models/:model', modelsHandler(gw, { family: 'gemini', single: true }));

  app.any('/mcp/:server', mcpHandler(gw));
  app.any('/mcp', mcpHandler(gw, true));

  app.get('/healthz', (res) => {
    res.cork(() => res.writeHeader('content-type', 'application/json').end('{"status":"ok"}'));
  });
  app.get('/readyz', (res) => {
    const state = readiness();
    const status = state.ready ? '200 OK' : '503 Service Unavailable';
    res.cork(() => res.writeStatus(status).writeHeader('content-type', 'application/json').end(JSON.stringify(state)));
  });
  app.get('/metrics', (res) => serveMetrics(gw, res, metricsText));
  app.any('/*', fallbackHandler(gw));
  return app;
}

function serveMetrics(gw: Gateway, res: HttpResponse, metricsText: () => Promise<string>): void {
  const client = new ClientResponse(res);
  metricsText().then(
    (text) => client.send(200, [['content-type', gw.metrics.registry.contentType]], text),
    (err: unknown) => {
      gw.log.error({ reason: (err as Error).message }, 'could not collect metrics');
      client.send(500, [['content-type', 'text/plain']], 'metrics collection failed\n');
    },
  );
}

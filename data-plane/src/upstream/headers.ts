import type { IncomingHttpHeaders } from 'node:http';
import type { ProviderApi } from '../providers/types.js';

/** Connection-level headers (RFC 9110 §7.6.1) that never cross a proxy. */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

/**
 * Request headers the gateway never forwards: the agent's credentials in every family's header,
 * framing it recomputes, cookies, client addresses, and account selectors that belong to the
 * agent's own provider account rather than the credential the gateway sends.
 */
const REQUEST_DROP = new Set([
  ...HOP_BY_HOP,
  'host',
  'content-length',
  'expect',
  'accept-encoding',
  'authorization',
  'x-api-key',
  'x-goog-api-key',
  'api-key',
  'cookie',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'openai-organization',
  'openai-project',
  'x-goog-user-project',
]);

/** Response headers that are the gateway's own business or only make sense for the provider's account. */
const RESPONSE_DROP = new Set([
  ...HOP_BY_HOP,
  'content-length',
  'date',
  'server',
  'set-cookie',
  'alt-svc',
  'via',
  'x-request-id',
  'request-id',
  'openai-organization',
  'openai-project',
]);

/** Headers for the upstream request: the agent's, minus the dropped ones, plus the provider's auth. */
export function upstreamRequestHeaders(
  incoming: Readonly<Record<string, string>>,
  api: ProviderApi,
  secret: string,
  bodyLength: number,
): Record<string, string> {
  const connectionListed = new Set((incoming.connection ?? '').split(',').map((s) => s.trim().toLowerCase()));
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming)) {
    // `x-keyward-*` headers (agent and run ids for policies) are for the gateway, not the provider.
    if (!REQUEST_DROP.has(name) && !connectionListed.has(name) && !name.startsWith('x-keyward-')) headers[name] = value;
  }
  for (const [name, value] of Object.entries(api.defaultHeaders)) headers[name] ??= value;
  Object.assign(headers, api.authHeaders(secret));
  headers['content-type'] = 'application/json';
  headers['content-length'] = String(bodyLength);
  // The gateway reads usage from the body, so it asks for it uncompressed.
  headers['accept-encoding'] = 'identity';
  return headers;
}

/** Headers of the provider's answer to pass on to the agent; the provider's request id is kept under its own name. */
export function clientResponseHeaders(upstream: IncomingHttpHeaders, requestId: string): [string, string][] {
  const out: [string, string][] = [['x-request-id', requestId]];
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    if (name === 'x-request-id' || name === 'request-id') out.push(['x-upstream-request-id', text]);
    if (!RESPONSE_DROP.has(name)) out.push([name, text]);
  }
  return out;
}

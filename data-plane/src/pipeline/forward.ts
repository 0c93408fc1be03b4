import type { CredentialConfig } from '@keyward/shared';
import type { Dispatcher } from 'undici';
import { GatewayError, isRetryableConnectFailure, mapUpstreamFailure, upstreamStatusCode } from '../errors.js';
import type { Operation, PreparedRequest, ProviderApi } from '../providers/types.js';
import { parseData } from '../providers/types.js';
import type { IncomingRequest } from '../server/request.js';
import type { ClientResponse } from '../server/response.js';
import { ByteCollector } from '../streaming/collector.js';
import { SseParser } from '../streaming/sse-parser.js';
import { TailWindow } from '../streaming/tail-window.js';
import { clientResponseHeaders, upstreamRequestHeaders } from '../upstream/headers.js';
import { relayFilteredBody } from './filtered-body.js';
import type { Gateway } from './gateway.js';
import type { RequestRecord } from './record.js';
import { chainFilters, type FilterStep, type FilterStop, type ResponseFilter } from '../steps/response-filter.js';

/** Everything the upstream leg of a request needs. */
export interface ForwardRequest {
  readonly incoming: IncomingRequest;
  readonly client: ClientResponse;
  readonly record: RequestRecord;
  readonly api: ProviderApi;
  readonly op: Operation;
  readonly model: string;
  readonly stream: boolean;
  readonly prepared: PreparedRequest;
  readonly candidates: readonly CredentialConfig[];
  readonly body: Buffer | string;
  /** Keep more of the completion, because the org captures content. */
  readonly capture: boolean;
  /** Filters enforcement steps installed on a successful answer (none: bytes are relayed untouched). */
  readonly filters?: readonly ResponseFilter[];
}

/** The completion text, computed only if someone asks (capture, usage estimate). */
export type ResponseText = () => string;

const ESTIMATE_BYTES = 256 * 1024;
const CAPTURE_BYTES = 1024 * 1024;

/**
 * Sends the request to the first candidate credential that can be reached and relays the
 * answer: SSE event by event (usage picked out, a usage chunk the agent did not ask for
 * hidden), anything else chunk by chunk, both with backpressure to the provider. Failures
 * after the status line was sent end the stream in the family's own error event shape.
 */
export async function forward(gw: Gateway, req: ForwardRequest): Promise<ResponseText> {
  const abort = new AbortController();
  req.client.onAbort(() => abort.abort());
  const response = await connect(gw, req, abort.signal);
  const { record, client } = req;
  const status = response.statusCode;
  const provider = record.credential!.provider;

  if (status === 401 || status === 403) {
    await response.body.dump().catch(() => undefined);
    gw.metrics.upstreamErrors.inc({ provider, code: 'upstream_auth_failed' });
    gw.log.warn({ requestId: record.requestId, credentialId: record.credential!.id, status }, 'provider rejected the credential');
    throw new GatewayError('upstream_auth_failed', 502, 'The provider rejected the credential this key routes to; an administrator needs to update it.');
  }
  record.status = status;
  if (status >= 400) {
    record.fail(status, upstreamStatusCode(status));
    gw.metrics.upstreamErrors.inc({ provider, code: record.errorCode! });
  }
  const contentType = String(response.headers['content-type'] ?? '');
  const sse = status < 300 && req.op.isSse(req.stream, req.incoming.query) && contentType.includes('text/event-stream');
  if (client.headersSent && !sse) {
    // A stream held for approval already answered 200 with keep-alives: the provider's refusal
    // can only reach the agent as the stream's error event.
    const text = await response.body.text().catch(() => '');
    if (status < 400) throw new GatewayError('upstream_error', 502, 'The provider did not answer with an event stream.');
    throw new GatewayError('upstream_error', status, providerMessage(text) ?? `The provider answered with status ${status}.`);
  }
  const filter = status < 300 ? chainFilters(req.filters ?? []) : null;
  if (filter && !sse) return relayFilteredBody(gw, req, response, filter, clientResponseHeaders(response.headers, record.requestId));
  client.writeHead(status, clientResponseHeaders(response.headers, record.requestId));
  return sse ? relaySse(gw, req, response, filter) : relayBody(gw, req, response);
}

async function connect(gw: Gateway, req: ForwardRequest, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
  const { config } = gw;
  const bodyLength = Buffer.byteLength(req.body);
  for (let i = 0; i < req.candidates.length; i++) {
    const credential = req.candidates[i];
    const last = i === req.candidates.length - 1;
    req.record.credential = credential;
    let secret: string;
    try {
      secret = await gw.secrets.get(credential);
    } catch (err) {
      gw.metrics.upstreamErrors.inc({ provider: credential.provider, code: 'credential_unavailable' });
      gw.log.error({ requestId: req.record.requestId, credentialId: credential.id, reason: (err as Error).name }, 'could not unwrap provider credential');
      if (!last) continue;
      throw new GatewayError('credential_unavailable', 502, 'The provider credential for this key could not be unlocked.');
    }
    const url = new URL(req.api.baseUrl(credential) + req.op.upstreamPath(req.model, req.stream, req.incoming.query));
    const headers = upstreamRequestHeaders(req.incoming.headers, req.api, secret, bodyLength);
    // With tracing on, the provider gets the upstream span's context in place of the agent's.
    if (req.record.trace) Object.assign(headers, req.record.trace.startUpstream({ url, credential }));
    try {
      return await gw.upstream.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'POST',
        headers,
        body: req.body,
        signal,
        headersTimeout: config.upstreamFirstByteTimeoutMs,
        bodyTimeout: config.upstreamIdleTimeoutMs,
      });
    } catch (err) {
      if (req.client.aborted) throw new GatewayError('client_closed', 499, 'The client closed the connection.');
      const mapped = mapUpstreamFailure(err, 'connect');
      gw.metrics.upstreamErrors.inc({ provider: credential.provider, code: mapped.code });
      if (!last && isRetryableConnectFailure(err)) {
        gw.log.warn({ requestId: req.record.requestId, credentialId: credential.id, code: mapped.code }, 'provider unreachable; trying the next credential');
        continue;
      }
      throw mapped;
    }
  }
  throw new GatewayError('no_route', 404, `No provider credential serves the model "${req.model}" for this key.`);
}

async function relaySse(gw: Gateway, req: ForwardRequest, response: Dispatcher.ResponseData, filter: ResponseFilter | null): Promise<ResponseText> {
  const { client, record, op } = req;
  const parser = new SseParser();
  const observer = op.observeStream(req.prepared);
  const kept = new ByteCollector(req.capture ? CAPTURE_BYTES : ESTIMATE_BYTES);
  // What the filters let through at one step; a stop ends the relay (the rest of the provider's answer is dropped).
  let stop: FilterStop | undefined;
  const take = (step: FilterStep, out: Buffer[]): FilterStop | undefined => {
    for (const event of step.send) out.push(event.raw);
    if (step.decision) record.decision = step.decision;
    return step.stop;
  };
  gw.metrics.activeStreams.inc();
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      record.markFirstByte();
      const out: Buffer[] = [];
      for (const event of parser.push(chunk)) {
        if (!observer.onEvent(event)) continue;
        if (event.data) {
          kept.push(event.data);
          record.trace?.observeAnswer(parseData(event.data));
        }
        if (!filter) {
          out.push(event.raw);
          continue;
        }
        stop = take(filter.event(event), out);
        if (stop) break;
      }
      if (out.length > 0) await relayWrite(gw, client, out.length === 1 ? out[0] : Buffer.concat(out));
      if (stop || !client.open) break;
    }
    const rest = stop ? null : parser.end();
    const out: Buffer[] = [];
    if (rest && observer.onEvent(rest)) {
      if (filter) stop = take(filter.event(rest), out);
      else out.push(rest.raw);
    }
    // The filters see the end of the answer (and may wait there, e.g. for an approval).
    if (filter && !stop && client.open) stop = take(await filter.end(), out);
    for (const data of out) client.write(data);
    if (stop) {
      record.fail(record.status, stop.error.code, stop.decision);
      client.write(op.errors.streamErrorEvent(stop.error));
    }
    if (client.aborted) record.errorCode = 'client_closed';
    client.end();
  } catch (err) {
    if (client.aborted) {
      record.errorCode = 'client_closed';
    } else {
      const failure = mapUpstreamFailure(err, 'body');
      record.fail(record.status, failure.code);
      gw.metrics.upstreamErrors.inc({ provider: record.credential!.provider, code: failure.code });
      client.write(op.errors.streamErrorEvent(failure));
      client.end();
    }
  } finally {
    filter?.abandon();
    gw.metrics.activeStreams.dec();
  }
  if (observer.usageFinal()) record.usage = observer.usage();
  else record.partialUsage = observer.usage();
  return () => kept.buffers.map((data) => op.streamText(parseData(data))).join('');
}

async function relayBody(gw: Gateway, req: ForwardRequest, response: Dispatcher.ResponseData): Promise<ResponseText> {
  const { client, record, op } = req;
  const tail = new TailWindow();
  const kept = req.capture ? new ByteCollector(CAPTURE_BYTES) : null;
  if (req.stream) gw.metrics.activeStreams.inc();
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      record.markFirstByte();
      tail.push(chunk);
      kept?.push(chunk);
      await relayWrite(gw, client, chunk);
      if (!client.open) break;
    }
    if (client.aborted) record.errorCode = 'client_closed';
    client.end();
  } catch (err) {
    if (client.aborted) {
      record.errorCode = 'client_closed';
    } else {
      // Half a JSON body cannot be repaired; cutting the connection tells the client it is incomplete.
      const failure = mapUpstreamFailure(err, 'body');
      record.fail(record.status, failure.code);
      gw.metrics.upstreamErrors.inc({ provider: record.credential!.provider, code: failure.code });
      client.destroy();
    }
  } finally {
    if (req.stream) gw.metrics.activeStreams.dec();
  }
  if (record.status < 300) {
    // A body cut short may end on running totals (a Gemini JSON-array stream): not final.
    const text = tail.text();
    const usage = op.usageFromTail(text);
    record.trace?.observeAnswer(parseData(Buffer.from(text)));
    if (record.errorCode === null) record.usage = usage;
    else record.partialUsage = usage;
  }
  return () => {
    if (!kept) return '';
    const body = kept.concat();
    const json = kept.truncated ? undefined : parseData(body);
    return json === undefined ? body.toString('utf8') : op.responseText(json);
  };
}

/** Writes to the client; when its socket is full, stops reading from the provider until it drains. */
function relayWrite(gw: Gateway, client: ClientResponse, data: Buffer): Promise<void> | void {
  const drained = client.write(data);
  if (drained) gw.metrics.backpressureWaits.inc();
  return drained;
}

/** The message of a provider's JSON error body (`error.message`, or a top-level `message`), cut short. */
function providerMessage(text: string): string | null {
  try {
    const json = JSON.parse(text) as { error?: { message?: unknown }; message?: unknown };
    const message = json.error?.message ?? json.message;
    return typeof message === 'string' && message ? message.slice(0, 500) : null;
  } catch {
    return null;
  }
}

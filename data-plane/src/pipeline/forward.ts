import type { Dispatcher } from 'undici';
import { GatewayError, mapUpstreamFailure, upstreamStatusCode } from '../errors.js';
import type { Operation, PreparedRequest, ProviderApi, StreamObserver } from '../providers/types.js';
import type { StreamTranslator } from '../translate/index.js';
import { parseData } from '../providers/types.js';
import type { IncomingRequest } from '../server/request.js';
import type { ClientResponse } from '../server/response.js';
import { ByteCollector } from '../streaming/collector.js';
import { SseParser } from '../streaming/sse-parser.js';
import { TailWindow } from '../streaming/tail-window.js';
import { clientResponseHeaders } from '../upstream/headers.js';
import { NO_ANSWER, streamedAnswer, wholeAnswer, type ResponseText } from './answer-content.js';
import { attemptUpstream, type Answered, type AttemptPlan } from './attempts.js';
import { relayWholeBody } from './filtered-body.js';
import type { TranslatedCall, TranslatedCalls } from './translation.js';
import type { Gateway } from './gateway.js';
import type { RequestRecord } from './record.js';
import { chainFilters, type FilterStep, type FilterStop, type ResponseFilter } from '../steps/response-filter.js';
import { fleetNow } from '../clock/fleet-clock.js';

/** Everything the upstream leg of a request needs. */
export interface ForwardRequest {
  readonly incoming: IncomingRequest;
  readonly client: ClientResponse;
  readonly record: RequestRecord;
  readonly api: ProviderApi;
  readonly op: Operation;
  /** The model the agent asked for (a target may call another). */
  readonly requested: string;
  readonly stream: boolean;
  readonly prepared: PreparedRequest;
  /** The targets to try, in order. */
  readonly plan: AttemptPlan;
  readonly body: Buffer | string;
  /** The JSON object `body` holds, so a target's model can replace the agent's. */
  readonly bodyJson: Record<string, unknown> | null;
  /** Keep more of the completion, because the org captures content. */
  readonly capture: boolean;
  /** Filters enforcement steps installed on a successful answer (none: bytes are relayed untouched). */
  readonly filters?: readonly ResponseFilter[];
  /** The request translated for each target of another API family (`translateCalls`). */
  readonly translated: TranslatedCalls;
}

const ESTIMATE_BYTES = 256 * 1024;
const CAPTURE_BYTES = 1024 * 1024;

/**
 * Sends the request to the plan's targets until one answers (`attemptUpstream`) and relays the
 * answer: SSE event by event (usage picked out, a usage chunk the agent did not ask for
 * hidden), anything else chunk by chunk, both with backpressure to the provider. Failures
 * after the status line was sent end the stream in the family's own error event shape, and
 * count against the target that was answering.
 */
export async function forward(gw: Gateway, req: ForwardRequest): Promise<ResponseText> {
  const abort = new AbortController();
  req.client.onAbort(() => abort.abort());
  const answered = await attemptUpstream(gw, req, abort.signal);
  // The event and its price name the model that answered (a route may call another than the agent asked for).
  req.record.model = answered.target.model;
  try {
    return await relay(gw, req, answered.response, req.translated.get(answered.target.id) ?? null);
  } finally {
    settleTarget(gw, req, answered);
  }
}

/** Error codes of an answer the provider broke off (not the agent leaving, nor a policy stopping it). */
const PROVIDER_FAILED_MID_ANSWER = new Set(['stream_interrupted', 'upstream_stalled']);

/** The answering target's request is over: one fewer in flight, and a failure mid-answer counts against it. */
function settleTarget(gw: Gateway, req: ForwardRequest, answered: Answered): void {
  const { record } = req;
  if (answered.target.breaker === null) return;
  gw.health.get(answered.target.id).outstanding -= 1;
  if (record.ttftMs !== null) gw.metrics.targetTtft.observe({ target: answered.target.id }, record.ttftMs / 1000);
  const last = record.attempts.at(-1);
  if (last?.outcome !== 'answered' || !PROVIDER_FAILED_MID_ANSWER.has(record.errorCode ?? '')) return;
  record.attempts[record.attempts.length - 1] = { ...last, outcome: 'failed_mid_stream' };
  gw.metrics.targetAttempts.inc({ target: answered.target.id, outcome: 'failed_mid_stream' });
  gw.health.failure(answered.target.id, answered.target.breaker, fleetNow());
}

/**
 * Relays the answer. A translated target's answer reaches the agent in the agent's format before
 * the filters see it (they restore redactions and inspect tool calls in the agent's format): its
 * errors as the agent's error body, its whole answer translated at once, its stream event by event.
 */
async function relay(gw: Gateway, req: ForwardRequest, response: Dispatcher.ResponseData, translated: TranslatedCall | null): Promise<ResponseText> {
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
  const streams = translated ? translated.call.stream : req.op.isSse(req.stream, req.incoming.query);
  const sse = status < 300 && streams && contentType.includes('text/event-stream');
  if (client.headersSent && !sse) {
    // A stream held for approval already answered 200 with keep-alives: the provider's refusal
    // can only reach the agent as the stream's error event.
    const text = await response.body.text().catch(() => '');
    if (status < 400) throw new GatewayError('upstream_error', 502, 'The provider did not answer with an event stream.');
    throw new GatewayError('upstream_error', status, providerMessage(text) ?? `The provider answered with status ${status}.`);
  }
  const headers = clientResponseHeaders(response.headers, record.requestId);
  if (translated && status >= 300) return relayTranslatedError(client, response, translated, headers);
  const filter = status < 300 ? chainFilters(req.filters ?? []) : null;
  if ((filter || translated) && !sse) return relayWholeBody(gw, req, response, filter, headers, translated?.translator ?? null);
  client.writeHead(status, headers);
  if (!sse) return relayBody(gw, req, response);
  if (!translated) return relaySse(gw, req, response.body, filter, null);
  // Usage is read from the target's own events; the agent's observer still hides what the agent did not ask for.
  const usage = translated.call.operation.observeStream({ body: null, hideUsageChunk: false });
  const stream = translated.translator.stream(req.bodyJson ?? {});
  const text = await relaySse(gw, req, translatedStream(response.body, stream, usage), filter, usage);
  // The agent already has the failure as its stream error event; the record and the target's health learn it here.
  const failure = stream.failure();
  if (failure && record.errorCode === null) {
    record.fail(record.status, failure.code);
    gw.metrics.upstreamErrors.inc({ provider, code: failure.code });
  }
  return text;
}

/** A target's error answer as the agent's error body, with the target's status (and its `Retry-After`). */
async function relayTranslatedError(
  client: ClientResponse,
  response: Dispatcher.ResponseData,
  translated: TranslatedCall,
  headers: [string, string][],
): Promise<ResponseText> {
  const raw = await response.body.text().catch(() => '');
  const body = translated.translator.error(response.statusCode, parseData(Buffer.from(raw)) ?? null);
  client.send(response.statusCode, [...headers.filter(([name]) => name !== 'content-type'), ['content-type', 'application/json']], body);
  return NO_ANSWER;
}

/** The target's SSE bytes as the agent's, whatever the chunk boundaries; the target's own events go to `usage`. */
async function* translatedStream(body: AsyncIterable<Buffer>, stream: StreamTranslator, usage: StreamObserver): AsyncIterable<Buffer> {
  const parser = new SseParser();
  for await (const chunk of body) {
    for (const event of parser.push(chunk)) usage.onEvent(event);
    const out = stream.push(chunk);
    if (out.length > 0) yield out;
  }
  const rest = parser.end();
  if (rest) usage.onEvent(rest);
  const last = stream.end();
  if (last.length > 0) yield last;
}

/**
 * Relays an SSE answer in the agent's format event by event through the filters. Usage comes
 * from the agent's events, or from `usageObserver` (a translated target's own events) when given.
 */
async function relaySse(
  gw: Gateway,
  req: ForwardRequest,
  body: AsyncIterable<Buffer>,
  filter: ResponseFilter | null,
  usageObserver: StreamObserver | null,
): Promise<ResponseText> {
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
    for await (const chunk of body) {
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
    if (client.aborted) record.errorCode = client.closeCode;
    client.end();
  } catch (err) {
    if (client.aborted) {
      record.errorCode = client.closeCode;
    } else {
      const failure = mapUpstreamFailure(err, 'body');
      record.fail(record.status, failure.code);
      gw.metrics.upstreamErrors.inc({ provider: record.credential!.provider, code: failure.code });
      client.write(op.errors.streamErrorEvent(failure));
      client.end();
    }
  } finally {
    record.markAnswerEnded();
    filter?.abandon();
    gw.metrics.activeStreams.dec();
  }
  const counted = usageObserver ?? observer;
  if (counted.usageFinal()) record.usage = counted.usage();
  else record.partialUsage = counted.usage();
  return () => streamedAnswer(op, kept.buffers.map(parseData), req.capture);
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
    if (client.aborted) record.errorCode = client.closeCode;
    client.end();
  } catch (err) {
    if (client.aborted) {
      record.errorCode = client.closeCode;
    } else {
      // Half a JSON body cannot be repaired; cutting the connection tells the client it is incomplete.
      const failure = mapUpstreamFailure(err, 'body');
      record.fail(record.status, failure.code);
      gw.metrics.upstreamErrors.inc({ provider: record.credential!.provider, code: failure.code });
      client.destroy();
    }
  } finally {
    record.markAnswerEnded();
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
    if (!kept) return { text: '', reply: '', toolCalls: [] };
    const body = kept.concat();
    const json = kept.truncated ? undefined : parseData(body);
    return json === undefined ? { text: body.toString('utf8'), reply: '', toolCalls: [] } : wholeAnswer(op, json, req.capture);
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

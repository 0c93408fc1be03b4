import { userAgentFamily, type ApiFamily, type Decision, type EventApi, type KeyConfig, type OrgConfig, type TranscriptMessage } from '@keyward/shared';
import type { ScoredRequest } from '../anomaly/anomaly-scorer.js';
import { authenticateKey } from '../auth/authenticate.js';
import { stoppedKeyError } from '../anomaly/key-stop.js';
import { GatewayError, type GatewayErrorCode } from '../errors.js';
import { traceIdOf } from '../observability/tracing.js';
import { withoutRedaction } from '../observability/logger.js';
import type { ErrorShape, ProxyRoute } from '../providers/index.js';
import { copyRequest, readBody, type IncomingRequest, type RequestBody } from '../server/request.js';
import { ClientResponse } from '../server/response.js';
import type { HttpRequest, HttpResponse } from '../server/uws.js';
import { capturedTranscript } from '../providers/codec/transcript.js';
import { truncateText } from '../streaming/collector.js';
import { agentConnection } from '../steps/agent-connection.js';
import type { EnforcementContext, EnforcementOutcome, EnforcementStep } from '../steps/contract.js';
import { runEnforcement, settleEnforcement } from './enforcement.js';
import { cacheUseFor, replayCachedAnswer, storeAnswer } from './cached-answers.js';
import { NO_ANSWER, type ResponseText } from './answer-content.js';
import { forward, type ForwardRequest } from './forward.js';
import type { Gateway } from './gateway.js';
import { estimateMissingUsage, priceRecord } from './metering.js';
import { RequestRecord } from './record.js';
import { requestMeta } from './request-meta.js';
import { planAttempts, resolveRoute } from './route-plan.js';
import { translateCalls, translatedOutputCap } from './translation.js';

const CAPTURE_CHARS = 64 * 1024;
/** What anomaly scoring reads of a request body: the names of the tools it offers. */
const TOOLS_ONLY = { messages: false, systemText: false, toolsOffered: true, toolCalls: false } as const;

/** Decisions for failures the gateway itself decides; anything else is an `error`. */
const DECISIONS: Partial<Record<GatewayErrorCode, Decision>> = {
  invalid_api_key: 'denied',
  key_revoked: 'denied',
  key_expired: 'denied',
  key_paused: 'denied',
  key_frozen: 'denied',
  model_not_allowed: 'denied',
  rate_limited: 'rate_limited',
  budget_exceeded: 'budget_exceeded',
  blocked: 'blocked',
};

/**
 * The uWS handler for a proxied endpoint. Everything uWS-bound (request copy, abort handler,
 * body reader) is set up synchronously here; the pipeline runs after.
 */
export function proxyHandler(gw: Gateway, route: ProxyRoute): (res: HttpResponse, req: HttpRequest) => void {
  return (res, req) => {
    const incoming = copyRequest(req, res, route.params);
    const client = new ClientResponse(res);
    const body = readBody(res, client, incoming.headers['content-length'], gw.config.maxBodyBytes);
    void runProxy(gw, route, incoming, client, body);
  };
}

/**
 * The refusal while the node cannot write its event spool (a full disk): serving would spend
 * money no record would show, so a request is refused before anything else, and not recorded.
 */
export function spoolUnavailable(): GatewayError {
  return new GatewayError('spool_unavailable', 503, 'This gateway node cannot record usage right now (no space for its event log); retry shortly.', 5);
}

/**
 * A record for a request, with the client's address (the first `X-Forwarded-For` hop or the
 * PROXY protocol header's address, when trusted) and agent already hashed, the trace id of the
 * agent's `traceparent` and its `x-keyward-meta-*` headers: what every request records, MCP
 * messages included.
 */
export function untracedRecord(gw: Gateway, api: EventApi, endpoint: string, incoming: IncomingRequest): RequestRecord {
  const forwarded = gw.config.trustForwardedFor ? incoming.headers['x-forwarded-for']?.split(',')[0]?.trim() : undefined;
  const proxied = gw.config.trustProxyProtocol ? incoming.proxiedAddress : '';
  const ip = forwarded || proxied || incoming.remoteAddress;
  const userAgent = incoming.headers['user-agent'] ?? '';
  const record = new RequestRecord(api, endpoint, gw.clientHasher.hash(ip), gw.clientHasher.hash(userAgent), gw.clientHasher.hash(userAgentFamily(userAgent)));
  record.traceId = traceIdOf(incoming.headers.traceparent);
  record.meta = requestMeta(incoming.headers);
  return record;
}

/**
 * A model call's record (`untracedRecord`) with its trace: spans when tracing is on (`route` is
 * the route template, null for a path no route matched), else only the agent's trace id.
 */
export function newRecord(gw: Gateway, family: ApiFamily, endpoint: string, incoming: IncomingRequest, route: string | null): RequestRecord {
  const record = untracedRecord(gw, family, endpoint, incoming);
  if (gw.tracing) {
    record.trace = gw.tracing.startRequest({ method: incoming.method, route, headers: incoming.headers });
    record.traceId = record.trace.traceId;
  }
  return record;
}

async function runProxy(gw: Gateway, route: ProxyRoute, incoming: IncomingRequest, client: ClientResponse, requestBody: RequestBody): Promise<void> {
  const resolved = route.resolve(incoming);
  const record = newRecord(gw, route.family, resolved instanceof GatewayError ? 'unknown' : resolved.op.endpoint, incoming, route.pattern);
  const body = requestBody.bytes;
  let settle: ((outcome: EnforcementOutcome) => Promise<void>) | null = null;
  let responseText: ResponseText = NO_ANSWER;
  let requestText = () => '';
  let transcript = (): TranscriptMessage[] => [];
  gw.tracker.add(client);
  // The agent sees its answer end only once the request's event is in the spool (`finish`).
  client.holdEnd();
  try {
    if (resolved instanceof GatewayError) throw resolved;
    const { op, pathModel } = resolved;
    if (gw.draining()) throw new GatewayError('draining', 503, 'This gateway node is shutting down; retry the request.');
    if (gw.spoolFailure()) throw spoolUnavailable();
    const view = gw.view();
    if (!view) throw new GatewayError('not_ready', 503, 'The gateway has not received its configuration yet; retry shortly.');

    const check = authenticateKey(op.clientKey(incoming.headers, incoming.query), view, gw.config.keyPepper);
    record.key = check.key;
    record.org = check.org;
    if (!check.ok) throw check.error;
    const { key, org } = check;
    const stopped = stoppedKeyError(gw.anomaly, key, false);
    if (stopped) throw stopped;

    const agentJson = parseJsonObject(await body);
    record.toolsOffered = op.request.extract(agentJson, TOOLS_ONLY).toolsOffered;
    requestText = () => op.requestText(agentJson);
    transcript = () => op.request.transcript(agentJson);
    const shape = op.describe({ body: agentJson, pathModel, query: incoming.query });
    record.model = shape.model || null;
    record.stream = shape.stream;
    if (!shape.model) throw new GatewayError('model_required', 400, 'The request does not name a model.');
    const requested = shape.model;
    const destination = resolveRoute(gw, view, key, org, op, requested);
    if (destination.kind === 'route') record.routeId = destination.route.config.id;
    // A role's system prompt and defaults are part of the request from here on: policies read them, budgets count them.
    const json = destination.kind === 'route' && destination.role ? op.request.withRole(agentJson, destination.role) : agentJson;
    record.trace?.describeRequest(json, op.maxOutputTokens(json));
    const model = destination.model;
    const candidates = destination.kind === 'route' ? destination.targets.map((t) => t.credential) : destination.plan.targets.map((t) => t.credential);
    const translatedCap = destination.kind === 'route' ? translatedOutputCap(op, destination.targets, json) : null;

    const ctx: EnforcementContext = {
      requestId: record.requestId,
      org,
      key,
      api: route.family,
      endpoint: op.endpoint,
      operation: op,
      model,
      stream: shape.stream,
      candidates,
      body: json,
      decision: 'allowed',
      tags: record.tags,
      setResponseHeader: (name, value) => client.setHeader(name, value),
      headers: incoming.headers,
      connection: agentConnection(client, record.requestId, op.isSse(shape.stream, incoming.query), record.startedAt),
      responseFilters: [],
      policy: record.policy,
      provenance: record.provenance,
      anomalyPreview: () => gw.anomaly.preview(scoredRequestOf(record, key, org)),
      translatedOutputCap: translatedCap,
    };
    const passed: EnforcementStep[] = [];
    settle = settler(gw, passed, ctx);
    const denial = await runEnforcement(gw.enforcement, ctx, passed);
    if (denial) {
      record.decision = denial.decision;
      throw denial.error;
    }
    record.decision = ctx.decision;
    // Capture and usage estimates describe what left the gateway: the redacted body.
    if (ctx.body !== agentJson) {
      requestText = () => op.requestText(ctx.body);
      transcript = () => op.request.transcript(ctx.body);
    }
    const plan = planAttempts(gw, destination, ctx);

    const input = { body: ctx.body, pathModel, query: incoming.query };
    const prepared = op.prepare(input, shape);
    const upstreamJson = prepared.body ?? ctx.body;
    const upstreamBody = prepared.body || ctx.body !== agentJson ? JSON.stringify(upstreamJson) : await body;
    // Translated before anything goes upstream: an untranslatable request spends no attempt.
    const translated = translateCalls(op, plan.targets, upstreamJson, shape.stream, incoming.query);
    const forwardRequest: ForwardRequest = {
      incoming,
      client,
      record,
      api: op.api,
      op,
      requested,
      stream: shape.stream,
      prepared,
      plan,
      body: upstreamBody,
      bodyJson: upstreamJson,
      capture: org.contentCapture,
      filters: ctx.responseFilters,
      translated,
    };
    const cache = cacheUseFor(
      gw,
      forwardRequest,
      { key, route: destination.kind === 'route' ? destination.route.config.cache : null },
      {
        orgId: org.id,
        routeId: record.routeId,
        endpoint: op.endpoint,
        requested,
        sse: op.isSse(shape.stream, incoming.query),
        pathModel,
        body: upstreamJson,
      },
    );
    const replayed = cache && (await replayCachedAnswer(gw, forwardRequest, cache));
    if (replayed) {
      responseText = replayed;
    } else {
      responseText = await forward(gw, forwardRequest);
      if (cache) storeAnswer(gw, forwardRequest, cache);
    }
  } catch (err) {
    respondWithError(gw, resolved instanceof GatewayError ? route.api : resolved.op.errors, client, record, err, requestBody);
  }
  record.trace?.endUpstream();
  // The request stays tracked until its event is spooled, so a drain does not close the spool under it.
  try {
    estimateMissingUsage(record, requestText, () => responseText().text);
    if (record.org?.contentCapture && record.key) {
      const answer = responseText();
      record.content = {
        request: truncateText(requestText(), CAPTURE_CHARS),
        response: truncateText(answer.text, CAPTURE_CHARS),
        messages: capturedTranscript(transcript(), answer, CAPTURE_CHARS),
      };
    }
    await finish(gw, record, settle, () => client.releaseEnd());
  } catch (err) {
    gw.log.error({ requestId: record.requestId, err }, 'could not record a finished request');
  } finally {
    client.releaseEnd();
    gw.tracker.delete(client);
  }
}

function settler(gw: Gateway, steps: EnforcementStep[], ctx: EnforcementContext) {
  return (outcome: EnforcementOutcome) =>
    settleEnforcement(steps, ctx, outcome, (step, err) =>
      gw.log.error({ requestId: ctx.requestId, step, reason: (err as Error)?.message }, 'enforcement step failed to settle'),
    );
}

/** Parses a request body that must be a JSON object. */
function parseJsonObject(bytes: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new GatewayError('invalid_json', 400, 'The request body is not valid JSON.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new GatewayError('invalid_request', 400, 'The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

/**
 * Answers a failure in the operation's error shape, or its family's before the operation is
 * known (the one place that renders errors for proxied routes). Unknown errors are logged and
 * become a bare 500. When the status line is already out, the stream relay has handled it and
 * only the record is updated, unless the response is still open (a stream held for approval): then the error ends it as an event.
 * When the request's body was not read to its end, the rest of the upload is read and dropped
 * first, then the answer goes out and the connection closes, so the client can read the answer
 * (see `RequestBody.discardThen`).
 */
export function respondWithError(gw: Gateway, errors: ErrorShape, client: ClientResponse, record: RequestRecord, err: unknown, body: RequestBody | null): void {
  let error: GatewayError;
  if (err instanceof GatewayError) {
    error = err;
  } else {
    gw.log.error({ requestId: record.requestId, err }, 'unexpected error while handling a request');
    error = new GatewayError('internal_error', 500, 'The gateway failed to handle the request.');
  }
  const decision = record.decision !== 'allowed' && record.decision !== 'redacted' ? record.decision : (DECISIONS[error.code] ?? 'error');
  record.fail(error.status, error.code, decision);
  if (!client.open) return;
  if (client.headersSent) {
    // Only a held stream sends its status line before forwarding (its keep-alives): the
    // refusal or failure can only travel as the stream's error event now.
    client.write(errors.streamErrorEvent(error));
    client.end();
    return;
  }
  const headers: [string, string][] = [
    ['content-type', 'application/json'],
    ['x-request-id', record.requestId],
  ];
  if (error.status === 503) headers.push(['retry-after', String(error.retryAfterSeconds ?? 1)]);
  if (body && !body.complete) body.discardThen(() => client.send(error.status, headers, errors.errorBody(error), true));
  else client.send(error.status, headers, errors.errorBody(error), error.code === 'draining' || body?.ambiguous === true);
}

/**
 * Prices the request, scores it and spools its event, then calls `spooled` (which lets the
 * agent's answer end), settles enforcement, counts it in metrics and logs it. The event is in
 * the spool file before the answer ends and before the reservation is settled, so a node killed
 * at any point after the agent has its answer loses no usage, spend or audit record; a
 * reservation it held expires on its own.
 */
export async function finish(
  gw: Gateway,
  record: RequestRecord,
  settle: ((outcome: EnforcementOutcome) => Promise<void>) | null,
  spooled: () => void = () => undefined,
): Promise<void> {
  try {
    // A cached answer costs nothing; its token counts are recorded as they were.
    if (!record.cacheHit) priceRecord(record);
  } catch (err) {
    gw.log.error({ requestId: record.requestId, reason: (err as Error).message }, 'could not price usage');
  }
  if (record.routeId !== null && record.credential && record.costMicros > 0)
    gw.metrics.targetCost.inc({ target: `${record.credential.id}/${record.model}` }, record.costMicros);
  scoreAnomaly(gw, record);
  const event = record.toEvent(gw.config.nodeId);
  if (event) await gw.emit(event);
  spooled();
  // A cached answer releases its reservation: it counted as a request, it spends no money or tokens.
  await settle?.({ status: record.status, usage: record.cacheHit ? null : record.usage, costMicros: record.costMicros });
  const seconds = record.elapsedMs() / 1000;
  const labels = { api: record.api, endpoint: record.endpoint };
  gw.metrics.requests.inc({ ...labels, status: String(record.status) });
  gw.metrics.latency.observe({ ...labels, stream: String(record.stream) }, seconds);
  if (record.ttftMs !== null) gw.metrics.ttft.observe(labels, record.ttftMs / 1000);
  withoutRedaction(gw.log).info(
    {
      requestId: record.requestId,
      api: record.api,
      endpoint: record.endpoint,
      model: record.model,
      stream: record.stream,
      status: record.status,
      decision: record.decision,
      errorCode: record.errorCode,
      keyPrefix: record.key?.prefix,
      credentialId: record.credential?.id,
      latencyMs: Math.round(record.elapsedMs()),
      ttftMs: record.ttftMs,
      usage: record.usage,
    },
    'request',
  );
  if (record.trace) endTrace(gw, record);
}

/** Scores a request of a known key against its baselines; a failure costs the request only its score. */
function scoreAnomaly(gw: Gateway, record: RequestRecord): void {
  if (!record.key || !record.org) return;
  try {
    record.anomaly = gw.anomaly.score(scoredRequestOf(record, record.key, record.org));
  } catch (err) {
    gw.log.error({ requestId: record.requestId, reason: (err as Error).message }, 'could not score a request for anomalies');
  }
}

/** What the anomaly scorer reads of a request, as far as the record has it. */
function scoredRequestOf(record: RequestRecord, key: KeyConfig, org: OrgConfig): ScoredRequest {
  return {
    key,
    org,
    at: record.startedAt,
    model: record.model,
    endpoint: record.endpoint,
    toolsOffered: record.toolsOffered,
    clientIpHash: record.clientIpHash,
    userAgentHash: record.userAgentHash,
    userAgentFamilyHash: record.userAgentFamilyHash,
    inputTokens: record.usage?.inputTokens ?? 0,
    outputTokens: record.usage?.outputTokens ?? 0,
    costMicros: record.costMicros,
    status: record.status,
    decision: record.decision,
  };
}

/** Ends the request's spans, after its event is spooled: tracing never costs a request its event. */
function endTrace(gw: Gateway, record: RequestRecord): void {
  try {
    // Only model calls start spans (`newRecord`), so a traced record's api is an API family.
    record.trace!.end(record as RequestRecord & { readonly api: ApiFamily });
  } catch (err) {
    gw.log.warn({ requestId: record.requestId, reason: (err as Error).message }, 'could not end the spans of a request');
  }
}

/**
 * The OpenTelemetry SDK side of `tracing.ts`, imported only when an OTLP endpoint is configured.
 * Spans go through a batch processor (bounded queue, dropped when full) to the OTLP/HTTP JSON
 * exporter; a collector that is down or slow costs failed exports in the background, never a
 * request. The SDK reads `OTEL_EXPORTER_OTLP_HEADERS`/`_TIMEOUT`, `OTEL_TRACES_SAMPLER(_ARG)` and
 * `OTEL_BSP_*` from the environment itself. Nothing is registered globally: contexts are passed
 * explicitly, so no context manager runs.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from '@opentelemetry/semantic-conventions';
import type { DataPlaneConfig } from '../config.js';
import { SOFTWARE_VERSION } from '../version.js';
import { AnswerFacts, genAiOperation, genAiProvider, genAiRequestAttributes } from './gen-ai.js';
import type { Logger } from './logger.js';
import type { RequestStart, RequestTrace, TracedRequest, Tracing, UpstreamCall } from './tracing.js';

/** Least time between two warnings that spans could not be exported. */
const EXPORT_WARNING_INTERVAL_MS = 60_000;

export function createOtelTracing(config: DataPlaneConfig, log: Logger): Tracing {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: config.otelServiceName,
      [ATTR_SERVICE_VERSION]: SOFTWARE_VERSION,
      'service.instance.id': config.nodeId,
    }),
    spanProcessors: [new BatchSpanProcessor(reportingExporter(new OTLPTraceExporter({ url: config.otlpTracesUrl! }), log))],
  });
  const tracer = provider.getTracer('keyward-data-plane', SOFTWARE_VERSION);
  const propagator = new W3CTraceContextPropagator();
  log.info({ url: config.otlpTracesUrl, serviceName: config.otelServiceName }, 'exporting OpenTelemetry traces');
  return {
    startRequest: (start) => new OtelRequestTrace(tracer, propagator, start),
    async shutdown(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([provider.shutdown().catch(() => undefined), late]);
      clearTimeout(timer);
    },
  };
}

/**
 * The OTLP exporter, started on a turn of its own and with a warning (at most once a minute)
 * when the collector cannot be reached. The batch processor exports as soon as a full batch is
 * queued, from inside the span's `end`, which a request calls while it finishes; serializing
 * 512 spans there would add milliseconds to that request's bookkeeping.
 */
function reportingExporter(exporter: SpanExporter, log: Logger): SpanExporter {
  let lastWarning = 0;
  return {
    export(spans, done) {
      setImmediate(() =>
        exporter.export(spans, (result) => {
          if (result.code !== ExportResultCode.SUCCESS && Date.now() - lastWarning > EXPORT_WARNING_INTERVAL_MS) {
            lastWarning = Date.now();
            log.warn({ spans: spans.length, reason: result.error?.message }, 'could not export spans to the OpenTelemetry collector; dropping them');
          }
          done(result);
        }),
      );
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

/** Epoch milliseconds with the monotonic clock's precision. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

class OtelRequestTrace implements RequestTrace {
  private readonly server: Span;
  private upstream: Span | null = null;
  private upstreamEnd: number | null = null;
  private attempts = 0;
  private requestAttributes: Attributes = {};
  private readonly answer = new AnswerFacts();

  constructor(
    private readonly tracer: Tracer,
    private readonly propagator: W3CTraceContextPropagator,
    start: RequestStart,
  ) {
    const parent = propagator.extract(ROOT_CONTEXT, start.headers, defaultTextMapGetter);
    const attributes: Attributes = { [ATTR_HTTP_REQUEST_METHOD]: start.method };
    if (start.route) attributes[ATTR_HTTP_ROUTE] = start.route;
    this.server = tracer.startSpan(start.route ? `${start.method} ${start.route}` : start.method, { kind: SpanKind.SERVER, attributes }, parent);
  }

  get traceId(): string {
    return this.server.spanContext().traceId;
  }

  describeRequest(body: Record<string, unknown>, maxOutputTokens: number | null): void {
    this.requestAttributes = genAiRequestAttributes(body, maxOutputTokens);
  }

  startUpstream(call: UpstreamCall): Record<string, string> {
    this.attempts++;
    if (this.upstream) {
      this.upstream.addEvent('keyward.retry', { 'keyward.credential.id': call.credential.id, [ATTR_SERVER_ADDRESS]: call.url.hostname });
    } else {
      const port = call.url.port ? Number(call.url.port) : call.url.protocol === 'https:' ? 443 : 80;
      this.upstream = this.tracer.startSpan(
        'upstream',
        { kind: SpanKind.CLIENT, attributes: { [ATTR_SERVER_ADDRESS]: call.url.hostname, [ATTR_SERVER_PORT]: port } },
        trace.setSpan(ROOT_CONTEXT, this.server),
      );
    }
    const headers: Record<string, string> = {};
    this.propagator.inject(trace.setSpan(ROOT_CONTEXT, this.upstream), headers, defaultTextMapSetter);
    return headers;
  }

  observeAnswer(json: unknown): void {
    this.answer.observe(json);
  }

  endUpstream(): void {
    if (this.upstream && this.upstreamEnd === null) this.upstreamEnd = now();
  }

  end(request: TracedRequest): void {
    const operation = genAiOperation(request.endpoint);
    const provider = genAiProvider(request.credential?.provider ?? null, request.api);
    const shared: Attributes = {
      'gen_ai.operation.name': operation,
      'gen_ai.provider.name': provider.name,
      'gen_ai.system': provider.system,
      ...this.requestAttributes,
      ...keywardAttributes(request),
    };
    if (request.model) shared['gen_ai.request.model'] = request.model;
    const error = request.errorCode ?? (request.status >= 400 ? String(request.status) : null);
    if (error) shared[ATTR_ERROR_TYPE] = error;

    if (this.upstream) {
      const attributes: Attributes = { ...shared, 'keyward.attempt.count': this.attempts, 'keyward.attempt.outcome': error ?? 'success' };
      if (request.status > 0) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = request.status;
      if (request.usage) {
        attributes['gen_ai.usage.input_tokens'] = request.usage.inputTokens;
        attributes['gen_ai.usage.output_tokens'] = request.usage.outputTokens;
        if (request.usage.cachedInputTokens > 0) attributes['gen_ai.usage.cache_read.input_tokens'] = request.usage.cachedInputTokens;
      }
      if (this.answer.id) attributes['gen_ai.response.id'] = this.answer.id;
      if (this.answer.model) attributes['gen_ai.response.model'] = this.answer.model;
      if (this.answer.finishReasons.length > 0) attributes['gen_ai.response.finish_reasons'] = this.answer.finishReasons;
      this.upstream.updateName(request.model ? `${operation} ${request.model}` : operation);
      this.upstream.setAttributes(attributes);
      if (error) this.upstream.setStatus({ code: SpanStatusCode.ERROR, message: error });
      this.upstream.end(this.upstreamEnd ?? now());
    }
    this.server.setAttributes(shared);
    if (request.status > 0) this.server.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, request.status);
    if (request.status >= 500 || (error && request.decision === 'error')) this.server.setStatus({ code: SpanStatusCode.ERROR, message: error ?? undefined });
    this.server.end();
  }
}

/** Keyward's own attributes: who asked (the key's id, never the key), what was decided and what it cost. */
function keywardAttributes(request: TracedRequest): Attributes {
  const attributes: Attributes = {
    'keyward.request.id': request.requestId,
    'keyward.decision': request.decision,
    'keyward.stream': request.stream,
  };
  if (request.key) {
    attributes['keyward.key.id'] = request.key.id;
    attributes['keyward.key.prefix'] = request.key.prefix;
  }
  if (request.org) attributes['keyward.org.id'] = request.org.id;
  if (request.credential) attributes['keyward.credential.id'] = request.credential.id;
  if (request.usage) attributes['keyward.cost.micros'] = request.costMicros;
  if (request.tags.length > 0) attributes['keyward.tags'] = [...request.tags];
  const { matches, approvalId } = request.policy;
  if (matches.length > 0) {
    attributes['keyward.policy.matches'] = matches.map(
      (m) => `${m.policyId}@${m.policyVersion}/${m.ruleId}:${m.action}${m.phase === 'response' ? ':response' : ''}${m.shadow ? ':shadow' : ''}`,
    );
  }
  if (approvalId) attributes['keyward.approval.id'] = approvalId;
  return attributes;
}

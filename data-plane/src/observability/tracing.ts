import type { ApiFamily, CredentialConfig, Decision, KeyConfig, OrgConfig } from '@keyward/shared';
import type { DataPlaneConfig } from '../config.js';
import type { TokenUsage } from '../providers/types.js';
import type { PolicyTrail } from '../steps/contract.js';
import type { Logger } from './logger.js';

/**
 * OpenTelemetry tracing of requests, behind an interface the pipeline holds as `Tracing | null`.
 * Without `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`) it is null: no OpenTelemetry
 * module is loaded and a request does no tracing work beyond a null check. With it, the SDK is
 * imported once at start (`otel-tracing.ts`).
 */
export interface Tracing {
  /** Starts the SERVER span of an agent's request, continuing the agent's `traceparent` when it sent one. */
  startRequest(start: RequestStart): RequestTrace;
  /** Exports what is queued, for at most `timeoutMs`, and stops. */
  shutdown(timeoutMs: number): Promise<void>;
}

/** What is known when a request arrives. */
export interface RequestStart {
  readonly method: string;
  /** The route template (`/v1/chat/completions`), or null for a path no route matched. */
  readonly route: string | null;
  /** The agent's headers (lower-case names), read for `traceparent` and `tracestate`. */
  readonly headers: Readonly<Record<string, string>>;
}

/** The upstream call, as its span describes it. */
export interface UpstreamCall {
  readonly url: URL;
  readonly credential: CredentialConfig;
}

/** One traced request. */
export interface RequestTrace {
  /** The trace id (the agent's when it sent a `traceparent`), for the usage event. */
  readonly traceId: string;
  /** Notes the request's generation parameters (never its content). */
  describeRequest(body: Record<string, unknown>, maxOutputTokens: number | null): void;
  /**
   * Starts the CLIENT span of the upstream call on the first attempt (a retry on another
   * credential is an event on it) and returns the `traceparent`/`tracestate` headers that carry
   * its context to the provider.
   */
  startUpstream(call: UpstreamCall): Record<string, string>;
  /** A parsed answer or stream event: its response id, model and finish reasons are kept. */
  observeAnswer(json: unknown): void;
  /** The upstream answer was relayed (or failed): the CLIENT span's end time. */
  endUpstream(): void;
  /** Ends the spans with everything the request found out. */
  end(request: TracedRequest): void;
}

/** What the spans read off a finished request (a `RequestRecord` is one). */
export interface TracedRequest {
  readonly requestId: string;
  readonly api: ApiFamily;
  readonly endpoint: string;
  readonly key: KeyConfig | null;
  readonly org: OrgConfig | null;
  readonly credential: CredentialConfig | null;
  readonly model: string | null;
  readonly stream: boolean;
  readonly status: number;
  readonly decision: Decision;
  readonly errorCode: string | null;
  readonly usage: TokenUsage | null;
  readonly costMicros: number;
  readonly tags: readonly string[];
  readonly policy: PolicyTrail;
}

/** Builds the tracer when an OTLP endpoint is configured; null (and nothing loaded) otherwise. */
export async function startTracing(config: DataPlaneConfig, log: Logger): Promise<Tracing | null> {
  if (config.otlpTracesUrl === null) return null;
  const { createOtelTracing } = await import('./otel-tracing.js');
  return createOtelTracing(config, log);
}

const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}(-|$)/;

/**
 * The trace id of a valid W3C `traceparent` (version 00, or a later one read as 00 allows),
 * or null. Without tracing, this is the agent's trace id the usage event records.
 */
export function traceIdOf(traceparent: string | undefined): string | null {
  if (traceparent === undefined) return null;
  const match = TRACEPARENT.exec(traceparent.trim());
  if (!match || match[1] === 'ff' || (match[1] === '00' && match[4] === '-')) return null;
  const [, , traceId, spanId] = match;
  return /^0+$/.test(traceId) || /^0+$/.test(spanId) ? null : traceId;
}

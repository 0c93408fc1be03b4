import type { ApiFamily, CredentialConfig, ProviderKind } from '@keyward/shared';
import type { GatewayError } from '../errors.js';
import type { SseEvent } from '../streaming/sse-parser.js';
import type { AnswerCodec } from './codec/answer.js';
import type { RequestCodec } from './codec/request.js';

/** Token counts in one normalized form: `inputTokens` includes cached and cache-written ones, as OpenAI and Gemini count. */
export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number;
  /** Prompt tokens written to the provider's cache (Anthropic bills them above the input price). */
  readonly cacheWriteInputTokens?: number;
}

/** The request as an operation sees it. */
interface OperationInput {
  /** The parsed JSON body (empty for bodiless requests). */
  readonly body: Record<string, unknown>;
  /** The model named in the URL, for APIs that put it there (Gemini). */
  readonly pathModel: string | null;
  readonly query: URLSearchParams;
}

/** What the gateway needs to know about a request before routing it. */
export interface RequestShape {
  readonly model: string | null;
  readonly stream: boolean;
}

/** How the body goes upstream. */
export interface PreparedRequest {
  /** A rewritten body, or null to forward the agent's bytes unchanged. */
  readonly body: Record<string, unknown> | null;
  /** True when the gateway asked for a usage-only stream chunk the agent did not ask for. */
  readonly hideUsageChunk: boolean;
}

/** Watches a streamed answer event by event. */
export interface StreamObserver {
  /** Inspects one event; returns false when the agent must not see it. */
  onEvent(event: SseEvent): boolean;
  /** The usage the provider reported so far, or null. */
  usage(): TokenUsage | null;
  /**
   * True once the provider reported its final usage. A stream cut before that (by the agent or
   * the provider) may carry partial counts, e.g. Anthropic's `message_start` says one output token.
   */
  usageFinal(): boolean;
}

/** Where agents send an operation's requests (always `POST`). */
interface OperationRoute {
  /** The uWS path pattern, e.g. `/v1/chat/completions` or `/v1beta/models/:modelMethod`. */
  readonly pattern: string;
  /**
   * For a pattern several operations share, whose one parameter is `{model}:{method}` (Gemini):
   * the method that names this operation. Null for a pattern of its own.
   */
  readonly modelMethod: string | null;
}

/** How a gateway error is written for an agent: as a JSON body, or as an event of a stream already under way. */
export interface ErrorShape {
  /** A gateway error as a JSON error body. */
  errorBody(error: GatewayError): string;
  /** A gateway error as the event streams use to report failure. */
  streamErrorEvent(error: GatewayError): string;
}

/**
 * One endpoint of an API family (e.g. OpenAI chat completions), everything about its wire
 * format in one object: the route, where the key is, what policies read and redact of the
 * request, the answer's text and tool calls, the output cap, usage and the error shape. Each
 * lives in `providers/<family>/<operation>/` and is registered in its family's `index.ts`.
 */
export interface Operation {
  readonly family: ApiFamily;
  /** The event's `endpoint` label, e.g. `chat.completions`. */
  readonly endpoint: string;
  /** The family's upstream API (base URL, credential headers, model list). */
  readonly api: ProviderApi;
  readonly route: OperationRoute;
  /** The Keyward key where this endpoint's official client sends it, or null. */
  clientKey(headers: Readonly<Record<string, string>>, query: URLSearchParams): string | null;
  readonly errors: ErrorShape;
  /** What policies read of the request body and how redaction rewrites it. */
  readonly request: RequestCodec;
  /** The answer's text and tool calls, streamed and whole, and how redactions are restored in it. */
  readonly answers: AnswerCodec;
  /**
   * The output cap the request names (a non-negative integer), 0 for an endpoint whose answers
   * have no output tokens, or null when the request names none.
   */
  maxOutputTokens(body: Record<string, unknown>): number | null;
  describe(input: OperationInput): RequestShape;
  prepare(input: OperationInput, shape: RequestShape): PreparedRequest;
  /** The path (with query) below the credential's base URL. */
  upstreamPath(model: string, stream: boolean, query: URLSearchParams): string;
  /** True when a streamed answer is SSE (so it is parsed event by event). */
  isSse(stream: boolean, query: URLSearchParams): boolean;
  observeStream(prepared: PreparedRequest): StreamObserver;
  /** Usage from the last bytes of a non-SSE answer. */
  usageFromTail(tail: string): TokenUsage | null;
  /** The prompt text of a request, for content capture and token estimates. */
  requestText(body: Record<string, unknown>): string;
  /** The completion text of a whole JSON answer. */
  responseText(json: unknown): string;
  /** The completion text one stream event adds. */
  streamText(json: unknown): string;
}

/** A model a key may call, and the provider kind of the credential that would serve it. */
export interface ModelEntry {
  readonly id: string;
  readonly provider: ProviderKind;
}

/** What a family's upstream API looks like and how its errors are written (before an operation is known, and by default). */
export interface ProviderApi extends ErrorShape {
  readonly family: ApiFamily;
  /** The family's name in messages, e.g. `Gemini`. */
  readonly name: string;
  /** Provider kinds whose credentials speak this family. */
  readonly providers: readonly ProviderKind[];
  /** The credential's base URL (its own, or the provider's default), without a trailing slash. */
  baseUrl(credential: CredentialConfig): string;
  /** Headers that carry the provider credential. */
  authHeaders(secret: string): Record<string, string>;
  /** Headers the provider needs that an agent may leave out (their values are defaults). */
  readonly defaultHeaders: Readonly<Record<string, string>>;
  /** The Keyward key where this family's official clients send it, or null (operations may differ). */
  clientKey(headers: Readonly<Record<string, string>>, query: URLSearchParams): string | null;
  /** The body of this family's model list (`GET /v1/models`, Gemini's `GET /v1beta/models`). */
  modelList(models: readonly ModelEntry[]): string;
  /** The body of this family's single-model answer (`GET /v1/models/{id}`). */
  modelInfo(model: ModelEntry): string;
}

/** Reads a non-negative integer field, treating anything else as zero. */
export function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/** Reads a nested object field, or undefined. */
export function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
}

/** Parses an event's data as JSON, or undefined when it is not JSON. */
export function parseData(data: Buffer | null): unknown {
  if (data === null) return undefined;
  try {
    return JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
}

import type { AnomalyReasonCode } from '../anomaly/score.js';
import type { ApiFamily, ProviderKind } from '../wire/config.js';

/** One message of the conversation, reduced to its text. */
export interface NormalizedMessage {
  /** `user`, `assistant`, `tool`, … as the API family names it. */
  readonly role: string;
  readonly text: string;
}

/** A complete tool call. `arguments` may be the parsed object or its JSON text. */
export interface ToolCall {
  readonly name: string;
  readonly arguments: unknown;
}

/**
 * The data plane's normalized view of a request, the same for every API family. Fields a
 * compiled policy set does not need (see `CompiledPolicySet.needs`) may be left empty.
 */
export interface RequestContext {
  readonly provider: ProviderKind;
  /** The API family the agent spoke. */
  readonly api: ApiFamily;
  /** e.g. `chat.completions`, `responses`, `messages`, `generateContent`. */
  readonly endpoint: string;
  readonly model: string;
  readonly keyLabels: Readonly<Record<string, string>>;
  readonly keyMetadata: Readonly<Record<string, unknown>>;
  /** Only `x-keyward-*` headers, names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly messages: readonly NormalizedMessage[];
  /** System prompt or instructions; empty when none. */
  readonly systemText: string;
  /** Names of the tools offered to the model. */
  readonly toolsOffered: readonly string[];
  /** Tool calls present in the conversation history. */
  readonly toolCalls: readonly ToolCall[];
  readonly estimatedInputTokens: number;
  /** Null when the request sets no limit. */
  readonly maxOutputTokens: number | null;
  /** Integer micro-dollars. */
  readonly estimatedCostMicros: number;
  readonly now: Date;
  /** What the request's HDP delegation token proved; absent or null when no provenance check ran. */
  readonly provenance?: ProvenanceFacts | null;
  /** The MCP server and tool of a tool call (tool rules only). */
  readonly mcp?: { readonly server: string; readonly tool: string } | null;
  /**
   * The request's anomaly score as it arrives (the key's counters before it, the facts known
   * before the call); absent or null when no policy reads it.
   */
  readonly anomaly?: AnomalyFacts | null;
}

/** What anomaly policies read: the score and the codes of its reasons. */
export interface AnomalyFacts {
  readonly score: number;
  readonly reasons: readonly AnomalyReasonCode[];
}

/** The HDP facts policies read: the check's result and, for a verified token, its principal, scope and chain. */
export interface ProvenanceFacts {
  /** `absent`, `valid` or the reason the token was refused. */
  readonly result: string;
  readonly principalId: string | null;
  readonly principalType: string | null;
  readonly intent: string | null;
  readonly classification: string | null;
  readonly hopCount: number;
  readonly agentIds: readonly string[];
}

/** The model's answer, for response rules; the request context stays available to them. */
export interface ResponseContext {
  readonly request: RequestContext;
  /** Text of the answer (as much as the data plane has assembled). */
  readonly text: string;
  /** Complete tool calls, assembled from streamed deltas. */
  readonly toolCalls: readonly ToolCall[];
}

/** An agent's MCP tool call, for `tool_call` rules. */
export interface ToolCallContext {
  /** The MCP server's name in Keyward. */
  readonly server: string;
  readonly tool: string;
  /** The call's `arguments` as the agent sent them (an object, usually). */
  readonly arguments: unknown;
  readonly keyLabels: Readonly<Record<string, string>>;
  readonly keyMetadata: Readonly<Record<string, unknown>>;
  /** Only `x-keyward-*` headers, names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly now: Date;
}

/** What a tool returned, for `tool_result` rules; the call stays available to them. */
export interface ToolResultContext {
  readonly call: ToolCallContext;
  /** The result's text content, one part per line. */
  readonly text: string;
}

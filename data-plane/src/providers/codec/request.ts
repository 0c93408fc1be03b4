import type { NormalizedMessage, ToolCall, TranscriptMessage } from '@keyward/shared';
import { joinTexts, type TextMap } from './walk.js';

/** What to read from a request body; anything not asked for is left empty. */
export interface ExtractNeeds {
  /** Conversation messages (everything but the system prompt). */
  readonly messages: boolean;
  readonly systemText: boolean;
  readonly toolsOffered: boolean;
  /** Tool calls in the conversation history. */
  readonly toolCalls: boolean;
}

/** The policy-relevant texts and tools of a request body, the same for every API. */
export interface ExtractedRequest {
  readonly messages: NormalizedMessage[];
  /** System prompt, developer messages or instructions, joined by newlines. */
  readonly systemText: string;
  readonly toolsOffered: string[];
  readonly toolCalls: ToolCall[];
}

/** How one endpoint's request body carries texts and tools: what policies read and redact. */
export interface RequestCodec {
  extract(body: Record<string, unknown>, needs: ExtractNeeds): ExtractedRequest;
  /**
   * The conversation message by message, for content capture: roles as the API names them
   * (the system prompt as a `system` message), tool calls with their arguments, media parts
   * counted. Empty for a body without messages.
   */
  transcript(body: Record<string, unknown>): TranscriptMessage[];
  /**
   * The body with every text the agent wrote passed through `f` (messages, system prompt,
   * tool results, tool-call arguments); the very same object when nothing changed. Signed or
   * opaque parts (reasoning, thinking blocks, images) are left alone.
   */
  mapTexts(body: Record<string, unknown>, f: TextMap): Record<string, unknown>;
  /**
   * The body with a role applied: its system prompt before the agent's own (when it has one),
   * and its temperature and output cap where the request sets none. A new object; the agent's
   * body is left as it was.
   */
  withRole(body: Record<string, unknown>, role: RoleDefaults): Record<string, unknown>;
}

/** What a role adds to a request. */
interface RoleDefaults {
  readonly systemPrompt: string;
  readonly temperature: number | null;
  readonly maxTokens: number | null;
}

/** Sets each default the body does not already have (`null` defaults are skipped). */
export function withDefaults(body: Record<string, unknown>, defaults: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out = { ...body };
  for (const [name, value] of Object.entries(defaults)) if (value !== null && value !== undefined && out[name] === undefined) out[name] = value;
  return out;
}

/** `prompt` before `existing` as one system text, blank-line separated. */
export function prependText(prompt: string, existing: unknown): string {
  return typeof existing === 'string' && existing !== '' ? `${prompt}\n\n${existing}` : prompt;
}

/** Every field, for approval summaries and tests. */
export const EXTRACT_ALL: ExtractNeeds = { messages: true, systemText: true, toolsOffered: true, toolCalls: true };

/** An extraction being filled in; `system` collects the system texts to join. */
export interface Extraction {
  readonly messages: NormalizedMessage[];
  readonly system: string[];
  readonly toolsOffered: string[];
  readonly toolCalls: ToolCall[];
}

/** A fresh, empty extraction to fill in. */
export function emptyExtraction(): Extraction {
  return { messages: [], system: [], toolsOffered: [], toolCalls: [] };
}

/** Assembles a filled-in extraction. */
export function finishExtraction(out: Extraction, needs: ExtractNeeds): ExtractedRequest {
  return { messages: out.messages, systemText: needs.systemText ? joinTexts(out.system) : '', toolsOffered: out.toolsOffered, toolCalls: out.toolCalls };
}

import type { NormalizedMessage, ToolCall } from '@keyward/shared';
import type { TextMap } from './walk.js';

/** What to read from a request body; anything not asked for is left empty. */
export interface ExtractNeeds {
  /** Conversation messages (everything but the system prompt). */
  readonly messages: boolean;
  readonly systemText: boolean;
  readonly toolsOffered: boolean;
  /** Tool calls in the conversation history. */
  readonly toolCalls: boolean;
  readonly maxOutputTokens: boolean;
}

/** The policy-relevant parts of a request body, the same for every API. */
export interface ExtractedRequest {
  readonly messages: NormalizedMessage[];
  /** System prompt, developer messages or instructions, joined by newlines. */
  readonly systemText: string;
  readonly toolsOffered: string[];
  readonly toolCalls: ToolCall[];
  /** The output limit the request sets, or null. */
  readonly maxOutputTokens: number | null;
}

/** How one endpoint's request body carries texts, tools and limits. */
export interface RequestCodec {
  extract(body: Record<string, unknown>, needs: ExtractNeeds): ExtractedRequest;
  /**
   * The body with every text the agent wrote passed through `f` (messages, system prompt,
   * tool results, tool-call arguments); the very same object when nothing changed. Signed or
   * opaque parts (reasoning, thinking blocks, images) are left alone.
   */
  mapTexts(body: Record<string, unknown>, f: TextMap): Record<string, unknown>;
}

/** Every field, for approval summaries and tests. */
export const EXTRACT_ALL: ExtractNeeds = { messages: true, systemText: true, toolsOffered: true, toolCalls: true, maxOutputTokens: true };

/** A fresh, empty extraction to fill in. */
export function emptyExtraction(): { messages: NormalizedMessage[]; system: string[]; toolsOffered: string[]; toolCalls: ToolCall[] } {
  return { messages: [], system: [], toolsOffered: [], toolCalls: [] };
}

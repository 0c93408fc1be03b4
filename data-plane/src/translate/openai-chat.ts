import { get, isObject, list, str } from '../providers/codec/walk.js';
import type { TokenUsage } from '../providers/index.js';
import { untranslatable } from './contract.js';
import { isTrue, nonEmptyObject, nonZero, present, type FieldRule } from './fields.js';
import { sse } from './event-stream.js';
import { fleetNow } from '../clock/fleet-clock.js';

/**
 * The OpenAI Chat Completions side of the pairs where the agent speaks it: which request fields
 * a target can carry, the message list read part by part, and the answers and chunks written
 * back in the native shape.
 */

/**
 * The chat request fields no target family here can carry, and the ones that do not change the
 * answer (`user`, `store`, `metadata`…, left out of the translated request). Each pair adds its own.
 */
export const OPENAI_CHAT_FIELDS: Readonly<Record<string, FieldRule>> = {
  model: { feature: 'model' },
  messages: { feature: 'messages' },
  stream: { feature: 'stream' },
  stream_options: { feature: 'stream_options' },
  max_tokens: { feature: 'max_tokens' },
  max_completion_tokens: { feature: 'max_completion_tokens' },
  temperature: { feature: 'temperature' },
  top_p: { feature: 'top_p' },
  stop: { feature: 'stop' },
  tools: { feature: 'tools' },
  tool_choice: { feature: 'tool_choice' },
  parallel_tool_calls: { feature: 'parallel_tool_calls' },
  response_format: { feature: 'response_format' },
  user: { feature: 'user' },
  store: { feature: 'store' },
  metadata: { feature: 'metadata' },
  safety_identifier: { feature: 'safety_identifier' },
  prompt_cache_key: { feature: 'prompt_cache_key' },
  service_tier: { feature: 'service_tier', refuses: (v) => present(v) && v !== 'auto' && v !== 'default' },
  n: { feature: 'n > 1 (several choices)', refuses: (v) => typeof v === 'number' && v > 1 },
  logprobs: { feature: 'logprobs', refuses: isTrue },
  top_logprobs: { feature: 'top_logprobs', refuses: present },
  logit_bias: { feature: 'logit_bias', refuses: nonEmptyObject },
  presence_penalty: { feature: 'presence_penalty', refuses: nonZero },
  frequency_penalty: { feature: 'frequency_penalty', refuses: nonZero },
  seed: { feature: 'seed', refuses: present },
  audio: { feature: 'audio output', refuses: present },
  modalities: { feature: 'audio output (modalities)', refuses: (v) => list(v).some((m) => m !== 'text') },
  prediction: { feature: 'predicted outputs (prediction)', refuses: present },
  reasoning_effort: { feature: 'reasoning_effort', refuses: present },
  verbosity: { feature: 'verbosity', refuses: present },
  web_search_options: { feature: 'web search (web_search_options)', refuses: present },
  functions: { feature: 'the legacy functions field (use tools)', refuses: present },
  function_call: { feature: 'the legacy function_call field (use tool_choice)', refuses: present },
};

/** The chat output cap, under either name. */
export function chatMaxTokens(body: Record<string, unknown>): number | undefined {
  const value = body.max_completion_tokens ?? body.max_tokens;
  return typeof value === 'number' ? value : undefined;
}

/** `stop` as a list of sequences. */
export function stopSequences(stop: unknown): string[] | undefined {
  if (typeof stop === 'string') return [stop];
  const sequences = list(stop).filter((s): s is string => typeof s === 'string');
  return sequences.length > 0 ? sequences : undefined;
}

/** One part of a chat message's content, read for translation. */
export type ChatPart = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'image'; readonly url: string };

/** A message's `content` (a string or parts) as text and image parts; audio and file parts are refused. */
export function chatParts(content: unknown, target: string): ChatPart[] {
  if (typeof content === 'string') return content === '' ? [] : [{ kind: 'text', text: content }];
  if (content === null || content === undefined) return [];
  // Empty text parts say nothing, and Anthropic refuses empty text blocks.
  return list(content).flatMap((part): ChatPart[] => {
    const type = get(part, 'type');
    if (type === 'text' || type === 'refusal') {
      const text = str(get(part, type));
      return text ? [{ kind: 'text', text }] : [];
    }
    if (type === 'image_url') {
      const image = get(part, 'image_url');
      const detail = get(image, 'detail');
      if (detail !== undefined && detail !== 'auto') throw untranslatable('The image detail setting', target);
      return [{ kind: 'image', url: str(get(image, 'url')) }];
    }
    if (type === 'input_audio') throw untranslatable('Audio input', target);
    if (type === 'file') throw untranslatable('File input', target);
    throw untranslatable(`The content part type "${str(type) || typeof part}"`, target);
  });
}

/** A tool call in an assistant message: its id, name and arguments parsed from their JSON text. */
export interface ChatToolCall {
  readonly id: string;
  readonly name: string;
  readonly args: Record<string, unknown>;
}

/** The function tool calls of an assistant message; custom tool calls and arguments that are not a JSON object are refused. */
export function chatToolCalls(message: unknown, target: string): ChatToolCall[] {
  return list(get(message, 'tool_calls')).map((call) => {
    if (get(call, 'type') !== 'function') throw untranslatable(`The tool call type "${str(get(call, 'type'))}"`, target);
    const fn = get(call, 'function');
    let args: unknown;
    try {
      args = JSON.parse(str(get(fn, 'arguments')) || '{}');
    } catch {
      args = undefined;
    }
    if (!isObject(args)) throw untranslatable('Tool call arguments that are not a JSON object', target);
    return { id: str(get(call, 'id')), name: str(get(fn, 'name')), args };
  });
}

/** A function tool offered in `tools`: name, description and JSON-schema parameters. */
export interface ChatTool {
  readonly name: string;
  readonly description?: string;
  readonly parameters: Record<string, unknown>;
}

/** The function tools offered; custom tools and strict schemas are refused. */
export function chatTools(tools: unknown, target: string): ChatTool[] {
  return list(tools).map((tool) => {
    if (get(tool, 'type') !== 'function') throw untranslatable(`The tool type "${str(get(tool, 'type'))}"`, target);
    const fn = get(tool, 'function');
    if (get(fn, 'strict') === true) throw untranslatable('Strict function schemas (strict: true)', target);
    const parameters = get(fn, 'parameters');
    const description = get(fn, 'description');
    return {
      name: str(get(fn, 'name')),
      ...(typeof description === 'string' ? { description } : {}),
      parameters: isObject(parameters) ? parameters : { type: 'object', properties: {} },
    };
  });
}

/** `tool_choice` read: a mode, or one named function. */
export type ChatToolChoice = { readonly mode: 'auto' | 'none' | 'required' } | { readonly mode: 'function'; readonly name: string };

export function chatToolChoice(choice: unknown, target: string): ChatToolChoice | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === 'auto' || choice === 'none' || choice === 'required') return { mode: choice };
  if (get(choice, 'type') === 'function') return { mode: 'function', name: str(get(get(choice, 'function'), 'name')) };
  throw untranslatable(`The tool_choice ${JSON.stringify(choice)}`, target);
}

/** A data URL's media type and base64 data; other data URLs are refused. */
export function dataUrl(url: string, target: string): { readonly mediaType: string; readonly data: string } | null {
  if (!url.startsWith('data:')) return null;
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (!match) throw untranslatable('A data URL that is not base64', target);
  return { mediaType: match[1], data: match[2] };
}

/** OpenAI's chat usage object from normalized counts. */
function chatUsage(usage: TokenUsage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens },
  };
}

/** A chat answer's message, as OpenAI writes it. */
export interface ChatMessageOut {
  readonly content: string | null;
  readonly toolCalls: readonly { readonly id: string; readonly name: string; readonly arguments: string }[];
}

/** Renders a tool call the way OpenAI does. */
function toolCallOut(call: { readonly id: string; readonly name: string; readonly arguments: string }) {
  return { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } };
}

/** A whole `chat.completion` answer. */
export function chatCompletion(
  head: { readonly id: string; readonly model: string },
  choices: readonly { readonly message: ChatMessageOut; readonly finishReason: string }[],
  usage: TokenUsage | null,
) {
  return {
    id: head.id,
    object: 'chat.completion',
    created: Math.floor(fleetNow() / 1000),
    model: head.model,
    choices: choices.map((choice, index) => ({
      index,
      message: {
        role: 'assistant',
        content: choice.message.content,
        refusal: null,
        ...(choice.message.toolCalls.length > 0 ? { tool_calls: choice.message.toolCalls.map(toolCallOut) } : {}),
      },
      logprobs: null,
      finish_reason: choice.finishReason,
    })),
    ...(usage ? { usage: chatUsage(usage) } : {}),
  };
}

/**
 * Writes `chat.completion.chunk` events for one streamed answer: the same id, created time and
 * model on every chunk, `usage: null` on each when the agent asked for the usage chunk (as
 * OpenAI does), and that chunk then `data: [DONE]` at the end.
 */
export class ChatChunkWriter {
  private readonly created = Math.floor(fleetNow() / 1000);
  id = '';
  model = '';

  constructor(private readonly includeUsage: boolean) {}

  /** A chunk with one choice's delta. */
  delta(delta: Record<string, unknown>, finishReason: string | null = null, index = 0): string {
    return sse({ ...this.head(), choices: [{ index, delta, logprobs: null, finish_reason: finishReason }], ...(this.includeUsage ? { usage: null } : {}) });
  }

  /** A tool call's first delta (id, name, maybe all its arguments), at its position among the choice's calls. */
  toolCall(position: number, call: { readonly id: string; readonly name: string; readonly arguments: string }, index = 0): string {
    return this.delta({ tool_calls: [{ index: position, ...toolCallOut(call) }] }, null, index);
  }

  /** The end: the usage chunk when asked for, then `[DONE]`. */
  done(usage: TokenUsage | null): string {
    const usageChunk = this.includeUsage && usage ? sse({ ...this.head(), choices: [], usage: chatUsage(usage) }) : '';
    return `${usageChunk}${sse('[DONE]')}`;
  }

  private head() {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model };
  }
}

/** Whether the agent asked for the usage chunk at the end of a stream. */
export function includesUsage(body: Record<string, unknown>): boolean {
  return get(body.stream_options, 'include_usage') === true;
}

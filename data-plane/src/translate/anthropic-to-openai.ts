import { anthropicStreamErrorEvent } from '../providers/anthropic/errors.js';
import { get, isObject, list, str } from '../providers/codec/walk.js';
import { openaiUsage } from '../providers/openai/usage.js';
import type { TokenUsage } from '../providers/types.js';
import { untranslatable, type PairTranslation } from './contract.js';
import { STREAM_CUT, upstreamFailure } from './errors.js';
import { sse, sseTranslator } from './event-stream.js';
import { checkFields, present, type FieldRule } from './fields.js';

const TARGET = 'OpenAI Chat Completions';

/** The Messages request fields and what OpenAI Chat Completions can carry of them. */
const FIELDS: Readonly<Record<string, FieldRule>> = {
  model: { feature: 'model' },
  messages: { feature: 'messages' },
  max_tokens: { feature: 'max_tokens' },
  system: { feature: 'system' },
  stream: { feature: 'stream' },
  temperature: { feature: 'temperature' },
  top_p: { feature: 'top_p' },
  stop_sequences: { feature: 'more than 4 stop_sequences (OpenAI takes up to 4)', refuses: (v) => list(v).length > 4 },
  tools: { feature: 'tools' },
  tool_choice: { feature: 'tool_choice' },
  metadata: { feature: 'metadata' },
  service_tier: { feature: 'service_tier' },
  top_k: { feature: 'top_k', refuses: present },
  thinking: { feature: 'extended thinking (thinking)', refuses: (v) => get(v, 'type') !== undefined && get(v, 'type') !== 'disabled' },
  container: { feature: 'containers (container)', refuses: present },
  mcp_servers: { feature: 'MCP servers (mcp_servers)', refuses: (v) => list(v).length > 0 },
  context_management: { feature: 'context management (context_management)', refuses: present },
  output_config: { feature: 'output_config.effort', refuses: (v) => present(get(v, 'effort')) },
  // Top-level cache_control asks Anthropic to cache automatically; OpenAI caches prompts on its own.
  cache_control: { feature: 'cache_control' },
  speed: { feature: 'fast mode (speed: fast)', refuses: (v) => present(v) && v !== 'standard' },
  inference_geo: { feature: 'inference_geo', refuses: present },
  diagnostics: { feature: 'diagnostics', refuses: present },
  user_profile_id: { feature: 'user_profile_id', refuses: present },
  workspace_id: { feature: 'workspace_id', refuses: present },
};

/** OpenAI's finish reasons as Anthropic stop reasons (OpenAI does not say which stop sequence matched). */
const STOP_REASONS: Readonly<Record<string, string>> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'refusal',
};

function stopReason(finish: unknown): string {
  return STOP_REASONS[str(finish)] ?? 'end_turn';
}

/** The text of a `system` or tool-result `content`: a string or text blocks (their cache_control is a pricing hint and is dropped). */
function textOf(content: unknown, what: string): string {
  if (typeof content === 'string') return content;
  return list(content)
    .map((block) => {
      if (get(block, 'type') !== 'text') throw untranslatable(`A "${str(get(block, 'type'))}" block in ${what}`, TARGET);
      return str(get(block, 'text'));
    })
    .join('');
}

function imagePart(block: unknown): Record<string, unknown> {
  const source = get(block, 'source');
  if (get(source, 'type') === 'base64') {
    return { type: 'image_url', image_url: { url: `data:${str(get(source, 'media_type'))};base64,${str(get(source, 'data'))}` } };
  }
  if (get(source, 'type') === 'url') return { type: 'image_url', image_url: { url: str(get(source, 'url')) } };
  throw untranslatable(`An image from a ${str(get(source, 'type'))} source`, TARGET);
}

type ChatMessage = Record<string, unknown>;

/**
 * One Anthropic turn as chat messages. A user turn's tool results become `tool` messages, placed
 * first because OpenAI wants them right after the assistant's tool calls; its other blocks follow
 * as one user message.
 */
function turnMessages(turn: unknown): ChatMessage[] {
  const role = get(turn, 'role');
  const content = get(turn, 'content');
  const blocks = typeof content === 'string' ? [{ type: 'text', text: content }] : list(content);
  if (role === 'user') {
    const results: ChatMessage[] = [];
    const parts: Record<string, unknown>[] = [];
    for (const block of blocks) {
      const type = get(block, 'type');
      if (type === 'text') parts.push({ type: 'text', text: str(get(block, 'text')) });
      else if (type === 'image') parts.push(imagePart(block));
      else if (type === 'tool_result') {
        if (get(block, 'is_error') === true) throw untranslatable('A tool result marked is_error', TARGET, 'OpenAI tool messages have no error flag');
        results.push({ role: 'tool', tool_call_id: str(get(block, 'tool_use_id')), content: textOf(get(block, 'content') ?? '', 'a tool result') });
      } else throw untranslatable(`A "${str(type)}" block`, TARGET);
    }
    const textOnly = parts.every((p) => p.type === 'text');
    const user = parts.length === 0 ? [] : [{ role: 'user', content: textOnly ? parts.map((p) => p.text).join('') : parts }];
    return [...results, ...user];
  }
  if (role === 'assistant') {
    let text = '';
    const calls: Record<string, unknown>[] = [];
    for (const block of blocks) {
      const type = get(block, 'type');
      if (type === 'text') text += str(get(block, 'text'));
      else if (type === 'tool_use') {
        calls.push({
          id: str(get(block, 'id')),
          type: 'function',
          function: { name: str(get(block, 'name')), arguments: JSON.stringify(get(block, 'input') ?? {}) },
        });
      } else throw untranslatable(`A "${str(type)}" block in an assistant turn`, TARGET);
    }
    return [{ role: 'assistant', content: text || (calls.length > 0 ? null : ''), ...(calls.length > 0 ? { tool_calls: calls } : {}) }];
  }
  throw untranslatable(`The message role "${str(role)}"`, TARGET);
}

function toolsOf(tools: unknown): Record<string, unknown>[] {
  return list(tools).map((tool) => {
    const type = get(tool, 'type');
    if (type !== undefined && type !== 'custom') throw untranslatable(`The server tool "${str(type)}"`, TARGET);
    const description = get(tool, 'description');
    return {
      type: 'function',
      function: { name: str(get(tool, 'name')), ...(typeof description === 'string' ? { description } : {}), parameters: get(tool, 'input_schema') ?? {} },
    };
  });
}

function toolChoiceOf(choice: unknown): Record<string, unknown> {
  if (!isObject(choice)) return {};
  const serial = choice.disable_parallel_tool_use === true ? { parallel_tool_calls: false } : {};
  switch (choice.type) {
    case 'auto':
      return { tool_choice: 'auto', ...serial };
    case 'any':
      return { tool_choice: 'required', ...serial };
    case 'none':
      return { tool_choice: 'none' };
    case 'tool':
      return { tool_choice: { type: 'function', function: { name: str(choice.name) } }, ...serial };
  }
  throw untranslatable(`The tool_choice type "${str(choice.type)}"`, TARGET);
}

/** Structured outputs (`output_config.format`) as a strict JSON schema response format: both guarantee the schema. */
function responseFormatOf(config: unknown): Record<string, unknown> {
  const format = get(config, 'format');
  if (format === undefined || format === null) return {};
  if (get(format, 'type') !== 'json_schema') throw untranslatable(`The output format type "${str(get(format, 'type'))}"`, TARGET);
  return { response_format: { type: 'json_schema', json_schema: { name: 'output', schema: get(format, 'schema') ?? {}, strict: true } } };
}

function request(body: Record<string, unknown>, targetModel: string): Record<string, unknown> {
  checkFields(body, FIELDS, TARGET);
  const system = body.system === undefined ? '' : textOf(body.system, 'the system prompt');
  const messages = [...(system ? [{ role: 'system', content: system }] : []), ...list(body.messages).flatMap(turnMessages)];
  const tools = toolsOf(body.tools);
  const user = str(get(body.metadata, 'user_id'));
  return {
    model: targetModel,
    messages,
    ...(typeof body.max_tokens === 'number' ? { max_completion_tokens: body.max_tokens } : {}),
    ...(typeof body.temperature === 'number' ? { temperature: body.temperature } : {}),
    ...(typeof body.top_p === 'number' ? { top_p: body.top_p } : {}),
    ...(list(body.stop_sequences).length > 0 ? { stop: body.stop_sequences } : {}),
    ...(tools.length > 0 ? { tools } : {}),
    ...toolChoiceOf(body.tool_choice),
    ...responseFormatOf(body.output_config),
    ...(user ? { user } : {}),
    // Anthropic reports usage on every answer; OpenAI streams it only when asked.
    ...(body.stream === true ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
}

/** Anthropic's usage object from normalized counts: its `input_tokens` leaves out cache reads. */
function messagesUsage(usage: TokenUsage | null) {
  const u = usage ?? { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
  return {
    input_tokens: u.inputTokens - u.cachedInputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: u.cachedInputTokens,
    output_tokens: u.outputTokens,
  };
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text || '{}');
  } catch {
    return {};
  }
}

function answer(json: unknown): unknown {
  const choice = list(get(json, 'choices'))[0];
  const message = get(choice, 'message');
  const text = str(get(message, 'content')) || str(get(message, 'refusal'));
  const calls = list(get(message, 'tool_calls')).map((call) => ({
    type: 'tool_use',
    id: str(get(call, 'id')),
    name: str(get(get(call, 'function'), 'name')),
    input: parseArguments(str(get(get(call, 'function'), 'arguments'))),
  }));
  return {
    id: `msg_${str(get(json, 'id'))}`,
    type: 'message',
    role: 'assistant',
    model: str(get(json, 'model')),
    content: [...(text ? [{ type: 'text', text }] : []), ...calls],
    stop_reason: stopReason(get(choice, 'finish_reason')),
    stop_sequence: null,
    usage: messagesUsage(openaiUsage(get(json, 'usage'))),
  };
}

/**
 * Chat chunks as Anthropic's event sequence: `message_start` on the first chunk, a text block
 * opened on the first content, one tool_use block per tool call (its arguments as
 * `input_json_delta`s), each block stopped before the next starts; the finish reason and the
 * usage chunk are held until `[DONE]`, which becomes `message_delta` and `message_stop`.
 */
function stream() {
  let started = false;
  let done = false;
  let blocks = 0;
  let open: { kind: 'text' } | { kind: 'tool'; position: number } | null = null;
  let finish: unknown = null;
  let usage: TokenUsage | null = null;
  const close = (): string => {
    if (!open) return '';
    open = null;
    return sse({ type: 'content_block_stop', index: blocks - 1 }, 'content_block_stop');
  };
  const start = (block: Record<string, unknown>): string => {
    const text = close() + sse({ type: 'content_block_start', index: blocks, content_block: block }, 'content_block_start');
    blocks += 1;
    return text;
  };
  return sseTranslator(
    {
      event(_name, data) {
        if (done) return '';
        if (data === '[DONE]') {
          done = true;
          return (
            close() +
            sse({ type: 'message_delta', delta: { stop_reason: stopReason(finish), stop_sequence: null }, usage: messagesUsage(usage) }, 'message_delta') +
            sse({ type: 'message_stop' }, 'message_stop')
          );
        }
        if (get(data, 'error') !== undefined) {
          done = true;
          return upstreamFailure(502, data);
        }
        let text = '';
        if (!started) {
          started = true;
          const message = {
            id: `msg_${str(get(data, 'id'))}`,
            type: 'message',
            role: 'assistant',
            model: str(get(data, 'model')),
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: messagesUsage(null),
          };
          text += sse({ type: 'message_start', message }, 'message_start');
        }
        usage = openaiUsage(get(data, 'usage')) ?? usage;
        const choice = list(get(data, 'choices'))[0];
        const delta = get(choice, 'delta');
        const content = str(get(delta, 'content')) || str(get(delta, 'refusal'));
        if (content) {
          if (open?.kind !== 'text') text += start({ type: 'text', text: '' });
          open = { kind: 'text' };
          text += sse({ type: 'content_block_delta', index: blocks - 1, delta: { type: 'text_delta', text: content } }, 'content_block_delta');
        }
        for (const call of list(get(delta, 'tool_calls'))) {
          const position = Number(get(call, 'index'));
          const fn = get(call, 'function');
          if (open?.kind !== 'tool' || open.position !== position) {
            text += start({ type: 'tool_use', id: str(get(call, 'id')), name: str(get(fn, 'name')), input: {} });
            open = { kind: 'tool', position };
          }
          const args = str(get(fn, 'arguments'));
          if (args)
            text += sse({ type: 'content_block_delta', index: blocks - 1, delta: { type: 'input_json_delta', partial_json: args } }, 'content_block_delta');
        }
        finish = get(choice, 'finish_reason') ?? finish;
        return text;
      },
      end: () => (done ? '' : STREAM_CUT),
    },
    anthropicStreamErrorEvent,
  );
}

/** Anthropic Messages requests served by OpenAI Chat Completions. */
export const anthropicToOpenai: PairTranslation = {
  request,
  answer,
  stream,
  streams: (body) => body.stream === true,
};

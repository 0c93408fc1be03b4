import { openaiStreamErrorEvent } from '../providers/openai/errors.js';
import { anthropicUsage, mergeAnthropicUsage, type AnthropicUsageFields } from '../providers/anthropic/usage.js';
import { get, list, str } from '../providers/codec/walk.js';
import { untranslatable, type PairTranslation } from './contract.js';
import { STREAM_CUT, upstreamFailure } from './errors.js';
import { sseTranslator } from './event-stream.js';
import { checkFields, type FieldRule } from './fields.js';
import {
  ChatChunkWriter,
  chatCompletion,
  chatMaxTokens,
  chatParts,
  chatToolCalls,
  chatToolChoice,
  chatTools,
  dataUrl,
  includesUsage,
  OPENAI_CHAT_FIELDS,
  stopSequences,
  type ChatPart,
} from './openai-chat.js';

const TARGET = 'Anthropic Messages';

/**
 * The output cap sent when the agent names none: Anthropic requires `max_tokens`, OpenAI does
 * not. 4096 is what every current Claude model can produce; an agent wanting more says so.
 */
const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

const FIELDS: Readonly<Record<string, FieldRule>> = {
  ...OPENAI_CHAT_FIELDS,
  temperature: { feature: 'temperature above 1 (Anthropic takes 0 to 1)', refuses: (v) => typeof v === 'number' && v > 1 },
  response_format: {
    feature: 'JSON mode without a schema (response_format json_object)',
    refuses: (v) => get(v, 'type') === 'json_object',
  },
};

/** Anthropic's stop reasons as OpenAI finish reasons. */
const FINISH_REASONS: Readonly<Record<string, string>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

function finishReason(stopReason: unknown): string {
  return FINISH_REASONS[str(stopReason)] ?? 'stop';
}

type Block = Record<string, unknown>;

function blocksOf(parts: readonly ChatPart[]): Block[] {
  return parts.map((part) => {
    if (part.kind === 'text') return { type: 'text', text: part.text };
    const inline = dataUrl(part.url, TARGET);
    if (inline) return { type: 'image', source: { type: 'base64', media_type: inline.mediaType, data: inline.data } };
    if (!/^https?:\/\//.test(part.url)) throw untranslatable('An image that is neither a data URL nor an http(s) URL', TARGET);
    return { type: 'image', source: { type: 'url', url: part.url } };
  });
}

/** The chat messages as Anthropic's `system` and alternating turns (a tool result is a user turn's block). */
function messagesOf(messages: readonly unknown[]): { system: Block[]; turns: { role: string; content: Block[] }[] } {
  const system: Block[] = [];
  const turns: { role: string; content: Block[] }[] = [];
  const add = (role: string, content: Block[]) => {
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(...content);
    else turns.push({ role, content });
  };
  for (const message of messages) {
    const role = get(message, 'role');
    if (get(message, 'name') !== undefined) throw untranslatable('Message names (name)', TARGET);
    if (role === 'system' || role === 'developer') {
      if (turns.length > 0) throw untranslatable('A system message after the conversation started', TARGET, 'Anthropic takes one system prompt');
      for (const part of chatParts(get(message, 'content'), TARGET)) {
        if (part.kind !== 'text') throw untranslatable('An image in a system message', TARGET);
        system.push({ type: 'text', text: part.text });
      }
    } else if (role === 'user') {
      add('user', blocksOf(chatParts(get(message, 'content'), TARGET)));
    } else if (role === 'assistant') {
      if (get(message, 'audio') !== undefined && get(message, 'audio') !== null) throw untranslatable('Assistant audio', TARGET);
      const calls = chatToolCalls(message, TARGET).map((call) => ({ type: 'tool_use', id: call.id, name: call.name, input: call.args }));
      add('assistant', [...blocksOf(chatParts(get(message, 'content'), TARGET)), ...calls]);
    } else if (role === 'tool') {
      const content = chatParts(get(message, 'content'), TARGET).map((part) => {
        if (part.kind !== 'text') throw untranslatable('An image in a tool result', TARGET);
        return { type: 'text', text: part.text };
      });
      add('user', [{ type: 'tool_result', tool_use_id: str(get(message, 'tool_call_id')), content }]);
    } else {
      throw untranslatable(`The message role "${str(role)}"`, TARGET);
    }
  }
  return { system, turns };
}

function toolChoiceOf(body: Record<string, unknown>): Record<string, unknown> | undefined {
  const choice = chatToolChoice(body.tool_choice, TARGET);
  const serial = body.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
  if (!choice) return body.parallel_tool_calls === false ? { type: 'auto', ...serial } : undefined;
  if (choice.mode === 'none') return { type: 'none' };
  if (choice.mode === 'function') return { type: 'tool', name: choice.name, ...serial };
  return { type: choice.mode === 'required' ? 'any' : 'auto', ...serial };
}

/** A JSON schema response format as Anthropic's structured outputs (`output_config.format`), which always hold to the schema. */
function outputConfigOf(format: unknown): Record<string, unknown> {
  const type = get(format, 'type');
  if (type === undefined || type === 'text') return {};
  if (type !== 'json_schema') throw untranslatable(`The response_format type "${str(type)}"`, TARGET);
  const schema = get(get(format, 'json_schema'), 'schema');
  return { output_config: { format: { type: 'json_schema', schema: schema ?? { type: 'object' } } } };
}

function request(body: Record<string, unknown>, targetModel: string): Record<string, unknown> {
  checkFields(body, FIELDS, TARGET);
  const { system, turns } = messagesOf(list(body.messages));
  const tools = chatTools(body.tools, TARGET).map((t) => ({
    name: t.name,
    ...(t.description ? { description: t.description } : {}),
    input_schema: t.parameters,
  }));
  const toolChoice = toolChoiceOf(body);
  const stop = stopSequences(body.stop);
  const user = str(body.user) || str(body.safety_identifier);
  return {
    model: targetModel,
    max_tokens: chatMaxTokens(body) ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    ...(system.length > 0 ? { system } : {}),
    messages: turns,
    ...(typeof body.temperature === 'number' ? { temperature: body.temperature } : {}),
    ...(typeof body.top_p === 'number' ? { top_p: body.top_p } : {}),
    ...(stop ? { stop_sequences: stop } : {}),
    ...(tools.length > 0 ? { tools } : {}),
    ...(toolChoice ? { tool_choice: toolChoice } : {}),
    ...(user ? { metadata: { user_id: user } } : {}),
    ...outputConfigOf(body.response_format),
    ...(body.stream === true ? { stream: true } : {}),
  };
}

function usageOf(usage: unknown) {
  const fields: AnthropicUsageFields = {};
  mergeAnthropicUsage(fields, usage);
  return anthropicUsage(fields);
}

function answer(json: unknown): unknown {
  const blocks = list(get(json, 'content'));
  const texts = blocks.filter((b) => get(b, 'type') === 'text').map((b) => str(get(b, 'text')));
  const toolCalls = blocks
    .filter((b) => get(b, 'type') === 'tool_use')
    .map((b) => ({ id: str(get(b, 'id')), name: str(get(b, 'name')), arguments: JSON.stringify(get(b, 'input') ?? {}) }));
  return chatCompletion(
    { id: `chatcmpl-${str(get(json, 'id'))}`, model: str(get(json, 'model')) },
    [{ message: { content: texts.length > 0 ? texts.join('') : null, toolCalls }, finishReason: finishReason(get(json, 'stop_reason')) }],
    usageOf(get(json, 'usage')),
  );
}

/**
 * Anthropic's event sequence as chat chunks: text deltas become `content`, a tool_use block
 * becomes a tool call (its id and name first, then its `input_json_delta`s as arguments), the
 * `message_delta` stop reason the finish chunk, and `message_stop` the usage chunk and `[DONE]`.
 */
function stream(body: Record<string, unknown>) {
  const out = new ChatChunkWriter(includesUsage(body));
  const fields: AnthropicUsageFields = {};
  const toolPositions = new Map<number, number>();
  let finished = false;
  return sseTranslator(
    {
      event(name, data) {
        const type = name ?? str(get(data, 'type'));
        switch (type) {
          case 'message_start': {
            const message = get(data, 'message');
            out.id = `chatcmpl-${str(get(message, 'id'))}`;
            out.model = str(get(message, 'model'));
            mergeAnthropicUsage(fields, get(message, 'usage'));
            return out.delta({ role: 'assistant', content: '', refusal: null });
          }
          case 'content_block_start': {
            const block = get(data, 'content_block');
            if (get(block, 'type') !== 'tool_use') return '';
            const position = toolPositions.size;
            toolPositions.set(Number(get(data, 'index')), position);
            return out.toolCall(position, { id: str(get(block, 'id')), name: str(get(block, 'name')), arguments: '' });
          }
          case 'content_block_delta': {
            // Anthropic opens a tool's input with an empty partial_json; empty deltas say nothing.
            const delta = get(data, 'delta');
            const text = str(get(delta, 'text'));
            if (get(delta, 'type') === 'text_delta') return text ? out.delta({ content: text }) : '';
            const args = str(get(delta, 'partial_json'));
            const position = toolPositions.get(Number(get(data, 'index')));
            if (get(delta, 'type') !== 'input_json_delta' || position === undefined || !args) return '';
            return out.delta({ tool_calls: [{ index: position, function: { arguments: args } }] });
          }
          case 'message_delta':
            mergeAnthropicUsage(fields, get(data, 'usage'));
            return out.delta({}, finishReason(get(get(data, 'delta'), 'stop_reason')));
          case 'message_stop':
            finished = true;
            return out.done(anthropicUsage(fields));
          case 'error':
            finished = true;
            return upstreamFailure(502, data);
          default:
            return '';
        }
      },
      end: () => (finished ? '' : STREAM_CUT),
    },
    openaiStreamErrorEvent,
  );
}

/** OpenAI Chat Completions requests served by Anthropic Messages. */
export const openaiToAnthropic: PairTranslation = {
  request,
  answer,
  stream,
  streams: (body) => body.stream === true,
};

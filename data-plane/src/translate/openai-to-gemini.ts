import { get, isObject, list, str } from '../providers/codec/walk.js';
import { geminiUsage } from '../providers/gemini/usage.js';
import { openaiStreamErrorEvent } from '../providers/openai/errors.js';
import type { TokenUsage } from '../providers/types.js';
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
import { fleetNow } from '../clock/fleet-clock.js';

const TARGET = 'Gemini generateContent';

/** Gemini carries several candidates, penalties and a seed; it has no switch for parallel tool calls. */
const FIELDS: Readonly<Record<string, FieldRule>> = {
  ...OPENAI_CHAT_FIELDS,
  n: { feature: 'n' },
  presence_penalty: { feature: 'presence_penalty' },
  frequency_penalty: { feature: 'frequency_penalty' },
  seed: { feature: 'seed' },
  parallel_tool_calls: { feature: 'parallel_tool_calls: false (Gemini may always call several tools)', refuses: (v) => v === false },
};

/** Gemini's finish reasons as OpenAI's; a candidate that called functions finishes with `tool_calls`. */
const FINISH_REASONS: Readonly<Record<string, string>> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
};

function finishReason(reason: unknown, calledTools: boolean): string {
  const mapped = FINISH_REASONS[str(reason)] ?? 'stop';
  return calledTools && mapped === 'stop' ? 'tool_calls' : mapped;
}

type Part = Record<string, unknown>;

function partsOf(parts: readonly ChatPart[]): Part[] {
  return parts.map((part) => {
    if (part.kind === 'text') return { text: part.text };
    const inline = dataUrl(part.url, TARGET);
    if (!inline) throw untranslatable('An image given by URL', TARGET, 'Gemini takes images inline: send a base64 data URL');
    return { inlineData: { mimeType: inline.mediaType, data: inline.data } };
  });
}

/** A tool result as Gemini's `response` object: a JSON object as itself, anything else under `result`. */
function functionResponse(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    if (isObject(parsed)) return parsed;
  } catch {
    // Not JSON: the text itself is the result.
  }
  return { result: text };
}

/**
 * The chat messages as Gemini's `systemInstruction` and `contents`. Gemini's function calls have
 * no ids, so a tool result finds its function's name through the `tool_call_id` of the
 * assistant tool call it answers, and results stay in the order they were given.
 */
function contentsOf(messages: readonly unknown[]): { system: Part[]; contents: { role: string; parts: Part[] }[] } {
  const system: Part[] = [];
  const contents: { role: string; parts: Part[] }[] = [];
  const callNames = new Map<string, string>();
  const add = (role: string, parts: Part[]) => {
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  for (const message of messages) {
    const role = get(message, 'role');
    if (get(message, 'name') !== undefined) throw untranslatable('Message names (name)', TARGET);
    if (role === 'system' || role === 'developer') {
      if (contents.length > 0) throw untranslatable('A system message after the conversation started', TARGET, 'Gemini takes one system instruction');
      for (const part of chatParts(get(message, 'content'), TARGET)) {
        if (part.kind !== 'text') throw untranslatable('An image in a system message', TARGET);
        system.push({ text: part.text });
      }
    } else if (role === 'user') {
      add('user', partsOf(chatParts(get(message, 'content'), TARGET)));
    } else if (role === 'assistant') {
      if (get(message, 'audio') !== undefined && get(message, 'audio') !== null) throw untranslatable('Assistant audio', TARGET);
      const calls = chatToolCalls(message, TARGET).map((call) => {
        callNames.set(call.id, call.name);
        return { functionCall: { name: call.name, args: call.args } };
      });
      add('model', [...partsOf(chatParts(get(message, 'content'), TARGET)), ...calls]);
    } else if (role === 'tool') {
      const id = str(get(message, 'tool_call_id'));
      const name = callNames.get(id);
      if (name === undefined)
        throw untranslatable(
          `A tool result for "${id}", an id no earlier assistant tool call has,`,
          TARGET,
          'Gemini matches results to calls by function name',
        );
      const text = chatParts(get(message, 'content'), TARGET)
        .map((part) => {
          if (part.kind !== 'text') throw untranslatable('An image in a tool result', TARGET);
          return part.text;
        })
        .join('');
      add('user', [{ functionResponse: { name, response: functionResponse(text) } }]);
    } else {
      throw untranslatable(`The message role "${str(role)}"`, TARGET);
    }
  }
  return { system, contents };
}

function toolConfigOf(choice: unknown): Record<string, unknown> | undefined {
  const read = chatToolChoice(choice, TARGET);
  if (!read) return undefined;
  if (read.mode === 'function') return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [read.name] } };
  return { functionCallingConfig: { mode: read.mode === 'none' ? 'NONE' : read.mode === 'required' ? 'ANY' : 'AUTO' } };
}

function responseFormatOf(format: unknown): Record<string, unknown> {
  const type = get(format, 'type');
  if (type === 'json_object') return { responseMimeType: 'application/json' };
  if (type === 'json_schema') {
    const schema = get(get(format, 'json_schema'), 'schema');
    return { responseMimeType: 'application/json', ...(isObject(schema) ? { responseJsonSchema: schema } : {}) };
  }
  if (type === undefined || type === 'text') return {};
  throw untranslatable(`The response_format type "${str(type)}"`, TARGET);
}

function request(body: Record<string, unknown>): Record<string, unknown> {
  checkFields(body, FIELDS, TARGET);
  const { system, contents } = contentsOf(list(body.messages));
  const tools = chatTools(body.tools, TARGET).map((t) => ({
    name: t.name,
    ...(t.description ? { description: t.description } : {}),
    parametersJsonSchema: t.parameters,
  }));
  const toolConfig = toolConfigOf(body.tool_choice);
  const maxTokens = chatMaxTokens(body);
  const stop = stopSequences(body.stop);
  const generationConfig = {
    ...(typeof body.temperature === 'number' ? { temperature: body.temperature } : {}),
    ...(typeof body.top_p === 'number' ? { topP: body.top_p } : {}),
    ...(maxTokens !== undefined ? { maxOutputTokens: maxTokens } : {}),
    ...(stop ? { stopSequences: stop } : {}),
    ...(typeof body.n === 'number' && body.n !== 1 ? { candidateCount: body.n } : {}),
    ...(typeof body.seed === 'number' ? { seed: body.seed } : {}),
    ...(typeof body.presence_penalty === 'number' ? { presencePenalty: body.presence_penalty } : {}),
    ...(typeof body.frequency_penalty === 'number' ? { frequencyPenalty: body.frequency_penalty } : {}),
    ...responseFormatOf(body.response_format),
  };
  return {
    contents,
    ...(system.length > 0 ? { systemInstruction: { parts: system } } : {}),
    ...(tools.length > 0 ? { tools: [{ functionDeclarations: tools }] } : {}),
    ...(toolConfig ? { toolConfig } : {}),
    ...(Object.keys(generationConfig).length > 0 ? { generationConfig } : {}),
  };
}

/**
 * The id of a function call: Gemini's own when it gives one, else one made from the answer's
 * `responseId`, the candidate and the call's position, so the same answer always yields the same ids.
 */
function callId(part: unknown, responseId: string, candidate: number, position: number): string {
  const own = str(get(get(part, 'functionCall'), 'id'));
  return own || `call_${responseId}_${candidate}_${position}`;
}

/** A candidate's visible text (thought summaries left out) and function calls. */
function candidateParts(candidate: unknown, responseId: string, index: number, firstPosition = 0) {
  const parts = list(get(get(candidate, 'content'), 'parts'));
  const text = parts
    .filter((p) => typeof get(p, 'text') === 'string' && get(p, 'thought') !== true)
    .map((p) => str(get(p, 'text')))
    .join('');
  const toolCalls = parts
    .filter((p) => isObject(get(p, 'functionCall')))
    .map((p, i) => {
      const call = get(p, 'functionCall');
      return { id: callId(p, responseId, index, firstPosition + i), name: str(get(call, 'name')), arguments: JSON.stringify(get(call, 'args') ?? {}) };
    });
  return { text, toolCalls };
}

function responseIdOf(json: unknown): string {
  return str(get(json, 'responseId')) || fleetNow().toString(36);
}

function answer(json: unknown): unknown {
  const responseId = responseIdOf(json);
  const candidates = list(get(json, 'candidates'));
  const choices = candidates.map((candidate, i) => {
    const index = typeof get(candidate, 'index') === 'number' ? (get(candidate, 'index') as number) : i;
    const { text, toolCalls } = candidateParts(candidate, responseId, index);
    return {
      message: { content: text || toolCalls.length === 0 ? text : null, toolCalls },
      finishReason: finishReason(get(candidate, 'finishReason'), toolCalls.length > 0),
    };
  });
  // A prompt Gemini blocked has no candidates: OpenAI reports that as a filtered empty choice.
  if (choices.length === 0) choices.push({ message: { content: null, toolCalls: [] }, finishReason: 'content_filter' });
  return chatCompletion({ id: `chatcmpl-${responseId}`, model: str(get(json, 'modelVersion')) }, choices, geminiUsage(get(json, 'usageMetadata')));
}

/**
 * Gemini's `alt=sse` chunks as chat chunks. Each chunk carries whole parts and the running
 * usage: text becomes `content`, a function call arrives whole and becomes one tool-call delta
 * with its arguments, a `finishReason` the finish chunk. Gemini ends its stream without a last
 * event, so the usage chunk and `[DONE]` come at the end of the bytes, once a candidate has finished.
 */
function stream(body: Record<string, unknown>) {
  const out = new ChatChunkWriter(includesUsage(body));
  const positions = new Map<number, number>();
  let usage: TokenUsage | null = null;
  let started = false;
  let finishedCandidates = 0;
  let failed = false;
  return sseTranslator(
    {
      event(_name, data) {
        if (failed) return '';
        if (get(data, 'error') !== undefined) {
          failed = true;
          return upstreamFailure(Number(get(get(data, 'error'), 'code')) || 502, data);
        }
        usage = geminiUsage(get(data, 'usageMetadata')) ?? usage;
        let text = '';
        if (!started) {
          started = true;
          out.id = `chatcmpl-${responseIdOf(data)}`;
          out.model = str(get(data, 'modelVersion'));
          text += out.delta({ role: 'assistant', content: '', refusal: null });
        }
        // A prompt Gemini blocked gets no candidates: OpenAI ends that choice as filtered.
        if (list(get(data, 'candidates')).length === 0 && get(get(data, 'promptFeedback'), 'blockReason') !== undefined) {
          finishedCandidates += 1;
          return text + out.delta({}, 'content_filter');
        }
        list(get(data, 'candidates')).forEach((candidate, i) => {
          const index = typeof get(candidate, 'index') === 'number' ? (get(candidate, 'index') as number) : i;
          const first = positions.get(index) ?? 0;
          const parts = candidateParts(candidate, str(get(data, 'responseId')) || out.id.slice('chatcmpl-'.length), index, first);
          if (parts.text) text += out.delta({ content: parts.text }, null, index);
          parts.toolCalls.forEach((call, k) => {
            text += out.toolCall(first + k, call, index);
          });
          positions.set(index, first + parts.toolCalls.length);
          const reason = get(candidate, 'finishReason');
          if (typeof reason === 'string') {
            finishedCandidates += 1;
            text += out.delta({}, finishReason(reason, (positions.get(index) ?? 0) > 0), index);
          }
        });
        return text;
      },
      end() {
        if (failed) return '';
        return finishedCandidates > 0 ? out.done(usage) : STREAM_CUT;
      },
    },
    openaiStreamErrorEvent,
  );
}

/** OpenAI Chat Completions requests served by Gemini generateContent. */
export const openaiToGemini: PairTranslation = {
  request,
  answer,
  stream,
  streams: (body) => body.stream === true,
};

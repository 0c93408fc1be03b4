import { get, isObject, list, str } from '../providers/codec/walk.js';
import { geminiStreamErrorEvent } from '../providers/gemini/errors.js';
import { openaiUsage } from '../providers/openai/usage.js';
import type { TokenUsage } from '../providers/types.js';
import { untranslatable, type PairTranslation } from './contract.js';
import { STREAM_CUT, upstreamFailure } from './errors.js';
import { sseTranslator } from './event-stream.js';
import { checkFields, present, type FieldRule } from './fields.js';

const TARGET = 'OpenAI Chat Completions';

/** The generateContent request fields (camelCase, as Google's clients send them) and what OpenAI Chat can carry of them. */
const FIELDS: Readonly<Record<string, FieldRule>> = {
  contents: { feature: 'contents' },
  systemInstruction: { feature: 'systemInstruction' },
  tools: { feature: 'tools' },
  toolConfig: { feature: 'toolConfig' },
  generationConfig: { feature: 'generationConfig' },
  labels: { feature: 'labels' },
  model: { feature: 'model' },
  safetySettings: { feature: 'safety settings (safetySettings)', refuses: (v) => list(v).length > 0 },
  cachedContent: { feature: 'cached content (cachedContent)', refuses: present },
};

/** generationConfig fields: carried below, or refused. */
const GENERATION_FIELDS: Readonly<Record<string, FieldRule>> = {
  temperature: { feature: 'temperature' },
  topP: { feature: 'topP' },
  maxOutputTokens: { feature: 'maxOutputTokens' },
  stopSequences: { feature: 'stopSequences' },
  candidateCount: { feature: 'candidateCount' },
  seed: { feature: 'seed' },
  presencePenalty: { feature: 'presencePenalty' },
  frequencyPenalty: { feature: 'frequencyPenalty' },
  responseMimeType: { feature: 'a responseMimeType other than JSON or text', refuses: (v) => v !== 'application/json' && v !== 'text/plain' },
  responseJsonSchema: { feature: 'responseJsonSchema' },
  responseSchema: { feature: 'responseSchema' },
  topK: { feature: 'topK', refuses: present },
  responseLogprobs: { feature: 'responseLogprobs', refuses: (v) => v === true },
  logprobs: { feature: 'logprobs', refuses: present },
  responseModalities: { feature: 'response modalities other than text', refuses: (v) => list(v).some((m) => m !== 'TEXT') },
  thinkingConfig: { feature: 'thinking settings (thinkingConfig)', refuses: present },
  speechConfig: { feature: 'speech output (speechConfig)', refuses: present },
  mediaResolution: { feature: 'mediaResolution', refuses: present },
  imageConfig: { feature: 'image output (imageConfig)', refuses: present },
};

/** OpenAI's finish reasons as Gemini's (a candidate that called functions finished with STOP). */
const FINISH_REASONS: Readonly<Record<string, string>> = {
  stop: 'STOP',
  tool_calls: 'STOP',
  function_call: 'STOP',
  length: 'MAX_TOKENS',
  content_filter: 'SAFETY',
};

function finishReason(finish: unknown): string {
  return FINISH_REASONS[str(finish)] ?? 'OTHER';
}

/** Gemini's OpenAPI-style `parameters` (types in capitals, e.g. `OBJECT`) as JSON Schema. */
function jsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(jsonSchema);
  if (!isObject(schema)) return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [key, key === 'type' && typeof value === 'string' ? value.toLowerCase() : jsonSchema(value)]),
  );
}

function imagePart(part: unknown): Record<string, unknown> {
  const inline = get(part, 'inlineData');
  if (inline !== undefined) {
    const mimeType = str(get(inline, 'mimeType'));
    if (!mimeType.startsWith('image/')) throw untranslatable(`Inline data of type ${mimeType || 'unknown'}`, TARGET, 'OpenAI Chat takes images only');
    return { type: 'image_url', image_url: { url: `data:${mimeType};base64,${str(get(inline, 'data'))}` } };
  }
  const file = get(part, 'fileData');
  const uri = str(get(file, 'fileUri'));
  if (!/^https?:\/\//.test(uri) || !str(get(file, 'mimeType')).startsWith('image/')) {
    throw untranslatable('File data other than an image at an http(s) URL', TARGET);
  }
  return { type: 'image_url', image_url: { url: uri } };
}

type ChatMessage = Record<string, unknown>;

/**
 * The contents as chat messages. A model turn's function calls become tool calls with the
 * call's own `id` or one made from the turn and position; a function response answers the first
 * call still open with its `id`, else with its name, in order, and becomes a `tool` message.
 */
function messagesOf(contents: readonly unknown[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  let open: { id: string; name: string }[] = [];
  contents.forEach((content, turn) => {
    const role = get(content, 'role') ?? 'user';
    const parts = list(get(content, 'parts'));
    if (role === 'model') {
      let text = '';
      const calls: Record<string, unknown>[] = [];
      for (const part of parts) {
        // Thought summaries and signatures are the model's own reasoning; OpenAI takes none back.
        if (get(part, 'thought') === true) continue;
        const call = get(part, 'functionCall');
        if (isObject(call)) {
          const id = str(call.id) || `call_${turn}_${calls.length}`;
          calls.push({ id, type: 'function', function: { name: str(call.name), arguments: JSON.stringify(call.args ?? {}) } });
        } else if (typeof get(part, 'text') === 'string') text += str(get(part, 'text'));
        else throw untranslatable(`A model part with ${Object.keys(isObject(part) ? part : {}).join(', ') || 'nothing'}`, TARGET);
      }
      open = calls.map((c) => ({ id: str(c.id), name: str(get(c.function, 'name')) }));
      out.push({ role: 'assistant', content: text || (calls.length > 0 ? null : ''), ...(calls.length > 0 ? { tool_calls: calls } : {}) });
      return;
    }
    if (role !== 'user') throw untranslatable(`The content role "${str(role)}"`, TARGET);
    const userParts: Record<string, unknown>[] = [];
    for (const part of parts) {
      const response = get(part, 'functionResponse');
      if (isObject(response)) {
        const index = open.findIndex((c) => (str(response.id) ? c.id === response.id : c.name === response.name));
        if (index < 0) throw untranslatable(`A function response for "${str(response.name)}" that answers no open function call`, TARGET);
        out.push({ role: 'tool', tool_call_id: open[index].id, content: JSON.stringify(response.response ?? {}) });
        open.splice(index, 1);
      } else if (typeof get(part, 'text') === 'string') userParts.push({ type: 'text', text: str(get(part, 'text')) });
      else if (get(part, 'inlineData') !== undefined || get(part, 'fileData') !== undefined) userParts.push(imagePart(part));
      else throw untranslatable(`A user part with ${Object.keys(isObject(part) ? part : {}).join(', ') || 'nothing'}`, TARGET);
    }
    if (userParts.length > 0) {
      const textOnly = userParts.every((p) => p.type === 'text');
      out.push({ role: 'user', content: textOnly ? userParts.map((p) => p.text).join('') : userParts });
    }
  });
  return out;
}

function toolsOf(tools: unknown): Record<string, unknown>[] {
  return list(tools).flatMap((tool) => {
    const other = Object.keys(isObject(tool) ? tool : {}).filter((k) => k !== 'functionDeclarations');
    if (other.length > 0) throw untranslatable(`The tool ${other[0]}`, TARGET);
    return list(get(tool, 'functionDeclarations')).map((fn) => {
      const description = get(fn, 'description');
      const parameters = get(fn, 'parametersJsonSchema') ?? jsonSchema(get(fn, 'parameters')) ?? { type: 'object', properties: {} };
      return { type: 'function', function: { name: str(get(fn, 'name')), ...(typeof description === 'string' ? { description } : {}), parameters } };
    });
  });
}

function toolChoiceOf(config: unknown): Record<string, unknown> {
  const calling = get(config, 'functionCallingConfig');
  if (calling === undefined) return {};
  const mode = str(get(calling, 'mode')) || 'AUTO';
  const allowed = list(get(calling, 'allowedFunctionNames'));
  if (mode === 'AUTO') return { tool_choice: 'auto' };
  if (mode === 'NONE') return { tool_choice: 'none' };
  if (mode === 'ANY' && allowed.length === 1) return { tool_choice: { type: 'function', function: { name: str(allowed[0]) } } };
  if (mode === 'ANY' && allowed.length === 0) return { tool_choice: 'required' };
  throw untranslatable(`The function calling mode ${mode}${allowed.length > 1 ? ' limited to several functions' : ''}`, TARGET);
}

function responseFormatOf(config: unknown): Record<string, unknown> {
  if (get(config, 'responseMimeType') !== 'application/json') return {};
  const own = get(config, 'responseJsonSchema');
  const schema = own ?? (get(config, 'responseSchema') === undefined ? undefined : jsonSchema(get(config, 'responseSchema')));
  if (schema === undefined) return { response_format: { type: 'json_object' } };
  return { response_format: { type: 'json_schema', json_schema: { name: 'response', schema } } };
}

function request(body: Record<string, unknown>, targetModel: string, stream: boolean): Record<string, unknown> {
  checkFields(body, FIELDS, TARGET);
  const config = isObject(body.generationConfig) ? body.generationConfig : {};
  checkFields(config, GENERATION_FIELDS, TARGET);
  const system = list(get(body.systemInstruction, 'parts'))
    .map((part) => {
      if (typeof get(part, 'text') !== 'string') throw untranslatable('A system instruction part that is not text', TARGET);
      return str(get(part, 'text'));
    })
    .join('');
  const tools = toolsOf(body.tools);
  const number = (name: string) => (typeof config[name] === 'number' ? (config[name] as number) : undefined);
  const settings: [string, unknown][] = [
    ['temperature', number('temperature')],
    ['top_p', number('topP')],
    ['max_completion_tokens', number('maxOutputTokens')],
    ['stop', list(config.stopSequences).length > 0 ? config.stopSequences : undefined],
    ['n', number('candidateCount') !== undefined && number('candidateCount') !== 1 ? number('candidateCount') : undefined],
    ['seed', number('seed')],
    ['presence_penalty', number('presencePenalty')],
    ['frequency_penalty', number('frequencyPenalty')],
  ];
  return {
    model: targetModel,
    messages: [...(system ? [{ role: 'system', content: system }] : []), ...messagesOf(list(body.contents))],
    ...Object.fromEntries(settings.filter(([, value]) => value !== undefined)),
    ...(tools.length > 0 ? { tools } : {}),
    ...toolChoiceOf(body.toolConfig),
    ...responseFormatOf(config),
    // Gemini reports usage on every chunk; OpenAI streams it only when asked.
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
}

function usageMetadata(usage: TokenUsage | null) {
  if (!usage) return undefined;
  return {
    promptTokenCount: usage.inputTokens,
    candidatesTokenCount: usage.outputTokens,
    totalTokenCount: usage.inputTokens + usage.outputTokens,
    ...(usage.cachedInputTokens > 0 ? { cachedContentTokenCount: usage.cachedInputTokens } : {}),
  };
}

function functionCall(call: unknown): Record<string, unknown> {
  const fn = get(call, 'function');
  let args: unknown;
  try {
    args = JSON.parse(str(get(fn, 'arguments')) || '{}');
  } catch {
    args = {};
  }
  // Gemini's function calls may carry an id, which its clients send back with the response.
  const id = str(get(call, 'id'));
  return { functionCall: { ...(id ? { id } : {}), name: str(get(fn, 'name')), args } };
}

function answer(json: unknown): unknown {
  const candidates = list(get(json, 'choices')).map((choice, i) => {
    const message = get(choice, 'message');
    const text = str(get(message, 'content')) || str(get(message, 'refusal'));
    const parts = [...(text ? [{ text }] : []), ...list(get(message, 'tool_calls')).map(functionCall)];
    return {
      content: { role: 'model', parts },
      finishReason: finishReason(get(choice, 'finish_reason')),
      index: typeof get(choice, 'index') === 'number' ? get(choice, 'index') : i,
    };
  });
  const usage = usageMetadata(openaiUsage(get(json, 'usage')));
  return { candidates, ...(usage ? { usageMetadata: usage } : {}), modelVersion: str(get(json, 'model')), responseId: str(get(json, 'id')) };
}

/** One Gemini `alt=sse` chunk, framed as Google's servers frame them. */
function geminiChunk(body: unknown): string {
  return `data: ${JSON.stringify(body)}\r\n\r\n`;
}

/**
 * Chat chunks as Gemini `alt=sse` chunks: text deltas are sent as they come; tool-call deltas are
 * assembled, since Gemini sends a function call whole, and go out with the finish reason; that
 * last chunk waits for the usage chunk so it carries `usageMetadata`, as Gemini's last chunk does.
 */
function stream() {
  let id = '';
  let model = '';
  let usage: TokenUsage | null = null;
  let done = false;
  const calls = new Map<number, Map<number, { id: string; name: string; arguments: string }>>();
  const finishes = new Map<number, string>();
  const chunk = (candidates: unknown[], withUsage: boolean) =>
    geminiChunk({ candidates, ...(withUsage && usage ? { usageMetadata: usageMetadata(usage) } : {}), modelVersion: model, responseId: id });
  const finish = (): string => {
    done = true;
    const candidates = [...finishes].map(([index, reason]) => ({
      content: {
        role: 'model',
        parts: [...(calls.get(index)?.values() ?? [])].map((c) => functionCall({ id: c.id, function: { name: c.name, arguments: c.arguments } })),
      },
      finishReason: finishReason(reason),
      index,
    }));
    return chunk(candidates, true);
  };
  return sseTranslator(
    {
      event(_name, data) {
        if (done) return '';
        if (data === '[DONE]') return finish();
        if (get(data, 'error') !== undefined) {
          done = true;
          return upstreamFailure(502, data);
        }
        id ||= str(get(data, 'id'));
        model ||= str(get(data, 'model'));
        usage = openaiUsage(get(data, 'usage')) ?? usage;
        const texts: unknown[] = [];
        for (const choice of list(get(data, 'choices'))) {
          const index = Number(get(choice, 'index')) || 0;
          const delta = get(choice, 'delta');
          const text = str(get(delta, 'content')) || str(get(delta, 'refusal'));
          if (text) texts.push({ content: { role: 'model', parts: [{ text }] }, index });
          for (const call of list(get(delta, 'tool_calls'))) {
            const byPosition = calls.get(index) ?? new Map<number, { id: string; name: string; arguments: string }>();
            calls.set(index, byPosition);
            const position = Number(get(call, 'index')) || 0;
            const known = byPosition.get(position) ?? { id: '', name: '', arguments: '' };
            const fn = get(call, 'function');
            byPosition.set(position, {
              id: known.id || str(get(call, 'id')),
              name: known.name || str(get(fn, 'name')),
              arguments: known.arguments + str(get(fn, 'arguments')),
            });
          }
          const reason = get(choice, 'finish_reason');
          if (typeof reason === 'string') finishes.set(index, reason);
        }
        return texts.length > 0 ? chunk(texts, false) : '';
      },
      end: () => (done ? '' : STREAM_CUT),
    },
    geminiStreamErrorEvent,
  );
}

function pair(streams: boolean): PairTranslation {
  return {
    request: (body, targetModel) => request(body, targetModel, streams),
    answer,
    stream,
    streams: () => streams,
  };
}

/** Gemini generateContent requests served by OpenAI Chat Completions. */
export const geminiToOpenai = pair(false);

/** Gemini streamGenerateContent (`alt=sse`) requests served by OpenAI Chat Completions. */
export const geminiStreamToOpenai = pair(true);

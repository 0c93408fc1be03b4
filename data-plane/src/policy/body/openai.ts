import { emptyExtraction, type ExtractNeeds, type ExtractedRequest, type RequestCodec } from './types.js';
import { get, isObject, joinTexts, list, mapArray, mapField, mapList, mapStringField, positiveInt, str, withField, type TextMap } from './walk.js';

const SYSTEM_ROLES = new Set(['system', 'developer']);

/** The text of a message `content`: a string, or the `text` of its parts. */
export function partsText(content: unknown): string {
  if (typeof content === 'string') return content;
  return joinTexts(list(content).map((part) => str(get(part, 'text'))));
}

/** Rewrites a `content` that is a string or a list of parts carrying `text`. */
export function mapPartsText(content: unknown, f: TextMap): unknown {
  if (typeof content === 'string') return f(content);
  if (!Array.isArray(content)) return content;
  return mapList(content, (part) => mapStringField(part, 'text', f));
}

function toolName(tool: unknown): string {
  // Function tools name themselves under `function` (chat) or at the top (Responses); built-in
  // tools (web_search, file_search…) are known by their type.
  return str(get(get(tool, 'function'), 'name')) || str(get(get(tool, 'custom'), 'name')) || str(get(tool, 'name')) || str(get(tool, 'type'));
}

/** `POST /v1/chat/completions`: `messages` with content parts and assistant `tool_calls`, `tools`, `functions`. */
export const chatCompletionsCodec: RequestCodec = {
  extract(body, needs) {
    const out = emptyExtraction();
    for (const message of list(body.messages)) {
      const role = str(get(message, 'role'));
      if (SYSTEM_ROLES.has(role)) {
        if (needs.systemText) out.system.push(partsText(get(message, 'content')));
      } else if (needs.messages) {
        out.messages.push({ role, text: partsText(get(message, 'content')) });
      }
      if (needs.toolCalls) {
        for (const call of list(get(message, 'tool_calls'))) {
          const fn = get(call, 'function');
          out.toolCalls.push({ name: str(get(fn, 'name')), arguments: get(fn, 'arguments') ?? '' });
        }
        const legacy = get(message, 'function_call');
        if (isObject(legacy)) out.toolCalls.push({ name: str(legacy.name), arguments: legacy.arguments ?? '' });
      }
    }
    if (needs.toolsOffered) {
      for (const tool of [...list(body.tools), ...list(body.functions)]) {
        const name = toolName(tool);
        if (name) out.toolsOffered.push(name);
      }
    }
    return finish(out, needs, needs.maxOutputTokens ? (positiveInt(body.max_completion_tokens) ?? positiveInt(body.max_tokens)) : null);
  },
  mapTexts(body, f) {
    if (!Array.isArray(body.messages)) return body;
    return withField(
      body,
      'messages',
      mapList(body.messages, (message) => {
        let m = mapField(message, 'content', (content) => mapPartsText(content, f));
        m = mapField(m, 'tool_calls', (calls) => mapArray(calls, (call) => mapField(call, 'function', (fn) => mapStringField(fn, 'arguments', f))));
        return mapField(m, 'function_call', (fn) => mapStringField(fn, 'arguments', f));
      }),
    );
  },
};

/** `POST /v1/responses`: `instructions`, `input` (a string or items: messages, function calls and their outputs), `tools`. */
export const responsesCodec: RequestCodec = {
  extract(body, needs) {
    const out = emptyExtraction();
    if (needs.systemText && typeof body.instructions === 'string') out.system.push(body.instructions);
    if (typeof body.input === 'string') {
      if (needs.messages) out.messages.push({ role: 'user', text: body.input });
    } else {
      for (const item of list(body.input)) {
        const type = str(get(item, 'type'));
        if (type === 'function_call' || type === 'custom_tool_call') {
          if (needs.toolCalls) out.toolCalls.push({ name: str(get(item, 'name')), arguments: get(item, 'arguments') ?? get(item, 'input') ?? '' });
        } else if (type === 'function_call_output' || type === 'custom_tool_call_output') {
          if (needs.messages) out.messages.push({ role: 'tool', text: partsText(get(item, 'output')) });
        } else if (type === 'message' || (type === '' && get(item, 'role') !== undefined)) {
          const role = str(get(item, 'role'));
          if (SYSTEM_ROLES.has(role)) {
            if (needs.systemText) out.system.push(partsText(get(item, 'content')));
          } else if (needs.messages) {
            out.messages.push({ role, text: partsText(get(item, 'content')) });
          }
        }
      }
    }
    if (needs.toolsOffered) {
      for (const tool of list(body.tools)) {
        const name = toolName(tool);
        if (name) out.toolsOffered.push(name);
      }
    }
    return finish(out, needs, needs.maxOutputTokens ? positiveInt(body.max_output_tokens) : null);
  },
  mapTexts(body, f) {
    let out = mapStringField(body, 'instructions', f) as Record<string, unknown>;
    if (typeof out.input === 'string') return withField(out, 'input', f(out.input));
    if (!Array.isArray(out.input)) return out;
    out = withField(
      out,
      'input',
      mapList(out.input, (item) => {
        const type = str(get(item, 'type'));
        if (type === 'function_call') return mapStringField(item, 'arguments', f);
        if (type === 'custom_tool_call') return mapStringField(item, 'input', f);
        if (type === 'function_call_output' || type === 'custom_tool_call_output') return mapField(item, 'output', (o) => mapPartsText(o, f));
        if (type === 'message' || (type === '' && get(item, 'role') !== undefined)) return mapField(item, 'content', (c) => mapPartsText(c, f));
        return item;
      }),
    );
    return out;
  },
};

/** `POST /v1/embeddings`: `input` is a string or a list of strings (token arrays carry no text). */
export const embeddingsCodec: RequestCodec = {
  extract(body, needs) {
    const out = emptyExtraction();
    if (needs.messages) {
      const inputs = typeof body.input === 'string' ? [body.input] : list(body.input);
      for (const input of inputs) if (typeof input === 'string') out.messages.push({ role: 'user', text: input });
    }
    return finish(out, needs, null);
  },
  mapTexts(body, f) {
    if (typeof body.input === 'string') return withField(body, 'input', f(body.input));
    if (!Array.isArray(body.input)) return body;
    return withField(
      body,
      'input',
      mapList(body.input, (input) => (typeof input === 'string' ? f(input) : input)),
    );
  },
};

/** Assembles an extraction. */
export function finish(out: ReturnType<typeof emptyExtraction>, needs: ExtractNeeds, maxOutputTokens: number | null): ExtractedRequest {
  return {
    messages: out.messages,
    systemText: needs.systemText ? joinTexts(out.system) : '',
    toolsOffered: out.toolsOffered,
    toolCalls: out.toolCalls,
    maxOutputTokens,
  };
}

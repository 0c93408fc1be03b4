import { emptyExtraction, finishExtraction, withDefaults, type RequestCodec } from '../../codec/request.js';
import { get, isObject, list, mapArray, mapField, mapList, mapStringField, str, withField } from '../../codec/walk.js';
import { argumentsText, transcriptMessage } from '../../codec/transcript.js';
import { mapPartsText, partsMedia, partsText, SYSTEM_ROLES, toolName } from '../parts.js';

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
    return finishExtraction(out, needs);
  },
  transcript(body) {
    return list(body.messages).map((message) => {
      const content = get(message, 'content');
      const calls = list(get(message, 'tool_calls')).map((call) => {
        const fn = get(call, 'function');
        return { name: str(get(fn, 'name')), arguments: argumentsText(get(fn, 'arguments')) };
      });
      const legacy = get(message, 'function_call');
      if (isObject(legacy)) calls.push({ name: str(legacy.name), arguments: argumentsText(legacy.arguments) });
      return transcriptMessage(str(get(message, 'role')) || 'user', partsText(content), calls, partsMedia(content));
    });
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
  withRole(body, role) {
    const messages = Array.isArray(body.messages) ? body.messages : [];
    const withPrompt = role.systemPrompt === '' ? body : { ...body, messages: [{ role: 'system', content: role.systemPrompt }, ...messages] };
    const capped = body.max_tokens !== undefined || body.max_completion_tokens !== undefined;
    return withDefaults(withPrompt, { temperature: role.temperature, max_completion_tokens: capped ? null : role.maxTokens });
  },
};

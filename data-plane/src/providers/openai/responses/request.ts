import { emptyExtraction, finishExtraction, prependText, withDefaults, type RequestCodec } from '../../codec/request.js';
import { get, list, mapField, mapList, mapStringField, str, withField } from '../../codec/walk.js';
import { argumentsText, transcriptMessage } from '../../codec/transcript.js';
import { mapPartsText, partsMedia, partsText, SYSTEM_ROLES, toolName } from '../parts.js';

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
    return finishExtraction(out, needs);
  },
  transcript(body) {
    const out = typeof body.instructions === 'string' && body.instructions !== '' ? [transcriptMessage('system', body.instructions)] : [];
    if (typeof body.input === 'string') return [...out, transcriptMessage('user', body.input)];
    for (const item of list(body.input)) {
      const type = str(get(item, 'type'));
      if (type === 'function_call' || type === 'custom_tool_call') {
        const call = { name: str(get(item, 'name')), arguments: argumentsText(get(item, 'arguments') ?? get(item, 'input')) };
        // Consecutive calls belong to one assistant turn.
        const last = out.at(-1);
        if (last?.role === 'assistant' && last.text === '') out[out.length - 1] = { ...last, toolCalls: [...last.toolCalls, call] };
        else out.push(transcriptMessage('assistant', '', [call]));
      } else if (type === 'function_call_output' || type === 'custom_tool_call_output') {
        out.push(transcriptMessage('tool', partsText(get(item, 'output'))));
      } else if (type === 'message' || (type === '' && get(item, 'role') !== undefined)) {
        const content = get(item, 'content');
        out.push(transcriptMessage(str(get(item, 'role')) || 'user', partsText(content), [], partsMedia(content)));
      }
    }
    return out;
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
  withRole(body, role) {
    const withPrompt = role.systemPrompt === '' ? body : { ...body, instructions: prependText(role.systemPrompt, body.instructions) };
    return withDefaults(withPrompt, { temperature: role.temperature, max_output_tokens: role.maxTokens });
  },
};

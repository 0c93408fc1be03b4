import { emptyExtraction, finishExtraction, withDefaults, type RequestCodec } from '../../codec/request.js';
import { argumentsText, transcriptMessage } from '../../codec/transcript.js';
import { get, getEither, isObject, joinTexts, list, mapArray, mapField, mapList, mapStrings, str, withField, type TextMap } from '../../codec/walk.js';

/** Tool entries other than function declarations (`googleSearch`, `codeExecution`…) count as tools by their key. */
const FUNCTION_DECLARATIONS = new Set(['functionDeclarations', 'function_declarations']);

/** Text parts of a `Content`; thought parts (the model's own reasoning, signed) are skipped. */
function partsText(parts: unknown): string {
  return joinTexts(list(parts).map((part) => (get(part, 'thought') === true ? '' : str(get(part, 'text')))));
}

function mapParts(parts: unknown, f: TextMap): unknown {
  return mapArray(parts, (part) => {
    if (!isObject(part) || part.thought === true) return part;
    if (typeof part.text === 'string') return withField(part, 'text', f(part.text));
    for (const [camel, snake, field] of [
      ['functionCall', 'function_call', 'args'],
      ['functionResponse', 'function_response', 'response'],
    ] as const) {
      const name = part[camel] !== undefined ? camel : part[snake] !== undefined ? snake : null;
      if (name !== null)
        return withField(
          part,
          name,
          mapField(part[name], field, (value) => mapStrings(value, f)),
        );
    }
    return part;
  });
}

/** `systemInstruction` is a `Content`; hand-written requests sometimes send a bare string. */
function systemText(instruction: unknown): string {
  return typeof instruction === 'string' ? instruction : partsText(get(instruction, 'parts'));
}

/**
 * `generateContent` and `streamGenerateContent`: `systemInstruction`, `contents[].parts` (text,
 * `functionCall`, `functionResponse`), `tools[].functionDeclarations`, `generationConfig`. Field
 * names are accepted in camelCase and snake_case, as the REST API accepts both.
 */
export const generateContentCodec: RequestCodec = {
  extract(body, needs) {
    const out = emptyExtraction();
    if (needs.systemText) out.system.push(systemText(getEither(body, 'systemInstruction', 'system_instruction')));
    for (const content of list(body.contents)) {
      const role = str(get(content, 'role')) || 'user';
      const texts: string[] = [];
      for (const part of list(get(content, 'parts'))) {
        if (get(part, 'thought') === true) continue;
        if (typeof get(part, 'text') === 'string') texts.push(str(get(part, 'text')));
        const call = getEither(part, 'functionCall', 'function_call');
        if (isObject(call) && needs.toolCalls) out.toolCalls.push({ name: str(call.name), arguments: call.args ?? {} });
        const response = getEither(part, 'functionResponse', 'function_response');
        if (isObject(response) && needs.messages) texts.push(JSON.stringify(response.response ?? null));
      }
      if (needs.messages) out.messages.push({ role, text: joinTexts(texts) });
    }
    if (needs.toolsOffered) {
      for (const tool of list(body.tools)) {
        if (!isObject(tool)) continue;
        for (const [key, value] of Object.entries(tool)) {
          if (FUNCTION_DECLARATIONS.has(key)) {
            for (const declaration of list(value)) if (str(get(declaration, 'name'))) out.toolsOffered.push(str(get(declaration, 'name')));
          } else {
            out.toolsOffered.push(key);
          }
        }
      }
    }
    return finishExtraction(out, needs);
  },
  transcript(body) {
    const system = systemText(getEither(body, 'systemInstruction', 'system_instruction'));
    const out = system === '' ? [] : [transcriptMessage('system', system)];
    for (const content of list(body.contents)) {
      // Gemini calls the assistant `model`; the console shows the common name.
      const role = str(get(content, 'role')) === 'model' ? 'assistant' : str(get(content, 'role')) || 'user';
      const calls: { name: string; arguments: string }[] = [];
      let media = 0;
      for (const part of list(get(content, 'parts'))) {
        const call = getEither(part, 'functionCall', 'function_call');
        if (isObject(call)) calls.push({ name: str(call.name), arguments: argumentsText(call.args ?? {}) });
        const response = getEither(part, 'functionResponse', 'function_response');
        if (isObject(response)) out.push(transcriptMessage('tool', JSON.stringify(response.response ?? null)));
        if (getEither(part, 'inlineData', 'inline_data') !== undefined || getEither(part, 'fileData', 'file_data') !== undefined) media += 1;
      }
      const text = partsText(get(content, 'parts'));
      if (text !== '' || calls.length > 0 || media > 0) out.push(transcriptMessage(role, text, calls, media));
    }
    return out;
  },
  mapTexts(body, f) {
    let out = body;
    for (const name of ['systemInstruction', 'system_instruction']) {
      const instruction = out[name];
      if (typeof instruction === 'string') out = withField(out, name, f(instruction));
      else if (isObject(instruction))
        out = withField(
          out,
          name,
          mapField(instruction, 'parts', (parts) => mapParts(parts, f)),
        );
    }
    if (!Array.isArray(out.contents)) return out;
    return withField(
      out,
      'contents',
      mapList(out.contents, (content) => mapField(content, 'parts', (parts) => mapParts(parts, f))),
    );
  },
  withRole(body, role) {
    const config = (body.generationConfig ?? {}) as Record<string, unknown>;
    const out: Record<string, unknown> = {
      ...body,
      generationConfig: withDefaults(config, { temperature: role.temperature, maxOutputTokens: role.maxTokens }),
    };
    if (role.systemPrompt !== '') {
      const instruction = (body.systemInstruction ?? body.system_instruction) as { parts?: unknown } | undefined;
      const parts = Array.isArray(instruction?.parts) ? instruction.parts : [];
      delete out.system_instruction;
      out.systemInstruction = { ...instruction, parts: [{ text: role.systemPrompt }, ...parts] };
    }
    return out;
  },
};

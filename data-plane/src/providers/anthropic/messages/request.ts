import { emptyExtraction, finishExtraction, prependText, withDefaults, type RequestCodec } from '../../codec/request.js';
import { argumentsText, MEDIA_PART_TYPES, transcriptMessage } from '../../codec/transcript.js';
import { get, joinTexts, list, mapField, mapList, mapStringField, mapStrings, str, withField, type TextMap } from '../../codec/walk.js';

/** Text of a `system` or `tool_result.content`: a string or a list of text blocks. */
function blocksText(content: unknown): string {
  if (typeof content === 'string') return content;
  return joinTexts(list(content).map((block) => (get(block, 'type') === 'text' ? str(get(block, 'text')) : '')));
}

function mapBlocksText(content: unknown, f: TextMap): unknown {
  if (typeof content === 'string') return f(content);
  if (!Array.isArray(content)) return content;
  return mapList(content, (block) => (get(block, 'type') === 'text' ? mapStringField(block, 'text', f) : block));
}

/**
 * `POST /v1/messages`: `system` (a string or text blocks), `messages` whose content is a string
 * or blocks (`text`, `tool_use`, `tool_result`…), `tools`. Thinking blocks are signed by the
 * provider and never rewritten.
 */
export const messagesCodec: RequestCodec = {
  extract(body, needs) {
    const out = emptyExtraction();
    if (needs.systemText) out.system.push(blocksText(body.system));
    for (const message of list(body.messages)) {
      const role = str(get(message, 'role'));
      const content = get(message, 'content');
      if (typeof content === 'string') {
        if (needs.messages) out.messages.push({ role, text: content });
        continue;
      }
      const texts: string[] = [];
      for (const block of list(content)) {
        const type = get(block, 'type');
        if (type === 'text') texts.push(str(get(block, 'text')));
        else if (type === 'tool_result') texts.push(blocksText(get(block, 'content')));
        else if (type === 'tool_use' && needs.toolCalls) out.toolCalls.push({ name: str(get(block, 'name')), arguments: get(block, 'input') ?? {} });
      }
      if (needs.messages) out.messages.push({ role, text: joinTexts(texts) });
    }
    if (needs.toolsOffered) {
      for (const tool of list(body.tools)) {
        const name = str(get(tool, 'name')) || str(get(tool, 'type'));
        if (name) out.toolsOffered.push(name);
      }
    }
    return finishExtraction(out, needs);
  },
  transcript(body) {
    const system = blocksText(body.system);
    const out = system === '' ? [] : [transcriptMessage('system', system)];
    for (const message of list(body.messages)) {
      const role = str(get(message, 'role')) || 'user';
      const content = get(message, 'content');
      if (typeof content === 'string') {
        out.push(transcriptMessage(role, content));
        continue;
      }
      // Tool results travel in user messages; each is shown as a message of the tool's own.
      const texts: string[] = [];
      const calls: { name: string; arguments: string }[] = [];
      let media = 0;
      for (const block of list(content)) {
        const type = str(get(block, 'type'));
        if (type === 'text') texts.push(str(get(block, 'text')));
        else if (type === 'tool_use') calls.push({ name: str(get(block, 'name')), arguments: argumentsText(get(block, 'input') ?? {}) });
        else if (type === 'tool_result') out.push(transcriptMessage('tool', blocksText(get(block, 'content'))));
        else if (MEDIA_PART_TYPES.has(type)) media += 1;
      }
      if (texts.length > 0 || calls.length > 0 || media > 0) out.push(transcriptMessage(role, joinTexts(texts), calls, media));
    }
    return out;
  },
  mapTexts(body, f) {
    let out = mapField(body, 'system', (system) => mapBlocksText(system, f)) as Record<string, unknown>;
    if (!Array.isArray(out.messages)) return out;
    out = withField(
      out,
      'messages',
      mapList(out.messages, (message) =>
        mapField(message, 'content', (content) => {
          if (typeof content === 'string') return f(content);
          if (!Array.isArray(content)) return content;
          return mapList(content, (block) => {
            const type = get(block, 'type');
            if (type === 'text') return mapStringField(block, 'text', f);
            if (type === 'tool_result') return mapField(block, 'content', (c) => mapBlocksText(c, f));
            if (type === 'tool_use') return mapField(block, 'input', (input) => mapStrings(input, f));
            return block;
          });
        }),
      ),
    );
    return out;
  },
  withRole(body, role) {
    let system: unknown = body.system;
    if (role.systemPrompt !== '') {
      system = Array.isArray(body.system) ? [{ type: 'text', text: role.systemPrompt }, ...body.system] : prependText(role.systemPrompt, body.system);
    }
    return withDefaults({ ...body, ...(system === undefined ? {} : { system }) }, { temperature: role.temperature, max_tokens: role.maxTokens });
  },
};

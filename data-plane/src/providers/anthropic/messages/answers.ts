import { get, isObject, list, mapArray, mapField, mapStringField, str } from '../../codec/walk.js';
import { RestoreStreams } from '../../codec/restore-streams.js';
import { CallAssembler, TextBuffer, type AnswerCodec, type Payload } from '../../codec/answer.js';

const TOOL_BLOCKS = new Set(['tool_use', 'server_tool_use']);

/** A `content_block_delta` event carrying `text` of block `index`. */
function delta(index: string, kind: 'text' | 'json', text: string): Payload {
  const body = kind === 'text' ? { type: 'text_delta', text } : { type: 'input_json_delta', partial_json: text };
  return { name: 'content_block_delta', json: { type: 'content_block_delta', index: Number(index), delta: body } };
}

/**
 * Messages: text streams as `content_block_delta` events with a `text_delta`, tool input as
 * `input_json_delta` fragments of a `tool_use` block opened by `content_block_start`. Held-back
 * text is released in a delta just before the block's `content_block_stop`.
 */
export const messagesAnswers: AnswerCodec = {
  restorer(mapping) {
    const streams = new RestoreStreams(mapping);
    return {
      event(name, json) {
        if (!isObject(json)) return null;
        const index = String(json.index ?? 0);
        if (json.type === 'content_block_delta') {
          const next = mapField(json, 'delta', (d) => {
            if (get(d, 'type') === 'text_delta') return mapStringField(d, 'text', (t) => streams.text(index, t));
            if (get(d, 'type') === 'input_json_delta') return mapStringField(d, 'partial_json', (t) => streams.json(index, t));
            return d;
          });
          return next === json ? null : [{ name, json: next }];
        }
        if (json.type === 'content_block_stop') {
          const before: Payload[] = [];
          const text = streams.flushText(index);
          if (text) before.push(delta(index, 'text', text));
          const args = streams.flushJson(index);
          if (args) before.push(delta(index, 'json', args));
          return before.length === 0 ? null : [...before, { name, json }];
        }
        return null;
      },
      end() {
        return streams.flushAll().map(([kind, index, rest]) => delta(index, kind, rest));
      },
      body(json) {
        return mapField(json, 'content', (content) =>
          mapArray(content, (block) => {
            const type = get(block, 'type');
            if (type === 'text') return mapStringField(block, 'text', (t) => streams.whole(t));
            if (TOOL_BLOCKS.has(str(type))) return mapField(block, 'input', (input) => streams.values(input));
            return block;
          }),
        );
      },
    };
  },
  inspector() {
    const text = new TextBuffer();
    const calls = new CallAssembler();
    return {
      event(_name, json) {
        const type = get(json, 'type');
        const index = String(get(json, 'index') ?? 0);
        if (type === 'content_block_start') {
          const block = get(json, 'content_block');
          if (!TOOL_BLOCKS.has(str(get(block, 'type')))) return false;
          calls.start(index, str(get(block, 'name')));
          return true;
        }
        if (type === 'content_block_delta') {
          const d = get(json, 'delta');
          if (get(d, 'type') === 'text_delta') text.push(str(get(d, 'text')));
          if (get(d, 'type') !== 'input_json_delta') return false;
          calls.append(index, str(get(d, 'partial_json')));
          return true;
        }
        return false;
      },
      body(json) {
        list(get(json, 'content')).forEach((block, i) => {
          const type = str(get(block, 'type'));
          if (type === 'text') text.push(str(get(block, 'text')));
          else if (TOOL_BLOCKS.has(type)) calls.complete(String(i), str(get(block, 'name')), get(block, 'input') ?? {});
        });
      },
      text: () => text.toString(),
      toolCalls: () => calls.list(),
    };
  },
};

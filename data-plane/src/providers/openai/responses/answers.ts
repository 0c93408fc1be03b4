import { partsText } from '../parts.js';
import { get, isObject, list, mapArray, mapField, mapStringField, str } from '../../codec/walk.js';
import { RestoreStreams } from '../../codec/restore-streams.js';
import { CallAssembler, TextBuffer, type AnswerCodec, type Payload } from '../../codec/answer.js';

const TOOL_ITEMS = new Set(['function_call', 'custom_tool_call']);
/** Events that carry the whole response object (its `output` items). */
const RESPONSE_EVENTS = new Set([
  'response.created',
  'response.in_progress',
  'response.completed',
  'response.incomplete',
  'response.failed',
  'response.queued',
]);

/** Restores the texts of one output item that arrives whole. */
function restoreItem(streams: RestoreStreams, item: unknown): unknown {
  const type = get(item, 'type');
  if (type === 'message') {
    return mapField(item, 'content', (content) => mapArray(content, (part) => mapStringField(part, 'text', (t) => streams.whole(t))));
  }
  if (type === 'function_call') return mapStringField(item, 'arguments', (a) => streams.wholeJson(a));
  if (type === 'custom_tool_call') return mapStringField(item, 'input', (a) => streams.whole(a));
  return item;
}

/**
 * The Responses API: text streams as `response.output_text.delta` per output item and content
 * part, function-call arguments as `response.function_call_arguments.delta`; "done" events,
 * finished items and the final `response.completed` repeat the whole texts, which are restored
 * at once. Held-back text is released in a delta event just before its part's "done" event.
 */
export const responsesAnswers: AnswerCodec = {
  restorer(mapping) {
    const streams = new RestoreStreams(mapping);
    /** The last delta event of each stream, to model a synthesized one on. */
    const lastDelta = new Map<string, Record<string, unknown>>();
    const textKey = (json: Record<string, unknown>) => `${str(json.item_id)}:${String(json.content_index ?? 0)}`;
    const release = (kind: 'text' | 'json', key: string, rest: string, sequence: unknown): Payload[] => {
      if (!rest) return [];
      const model = lastDelta.get(`${kind}:${key}`);
      const type = kind === 'text' ? 'response.output_text.delta' : 'response.function_call_arguments.delta';
      return [{ name: type, json: { ...model, type, delta: rest, ...(sequence === undefined ? {} : { sequence_number: sequence }) } }];
    };
    return {
      event(name, json) {
        if (!isObject(json)) return null;
        const type = str(json.type);
        switch (type) {
          case 'response.output_text.delta': {
            const key = textKey(json);
            lastDelta.set(`text:${key}`, json);
            const next = mapStringField(json, 'delta', (d) => streams.text(key, d));
            return next === json ? null : [{ name, json: next }];
          }
          case 'response.function_call_arguments.delta': {
            const key = str(json.item_id);
            lastDelta.set(`json:${key}`, json);
            const next = mapStringField(json, 'delta', (d) => streams.json(key, d));
            return next === json ? null : [{ name, json: next }];
          }
          case 'response.output_text.done': {
            const before = release('text', textKey(json), streams.flushText(textKey(json)), json.sequence_number);
            const next = mapStringField(json, 'text', (t) => streams.whole(t));
            return before.length === 0 && next === json ? null : [...before, { name, json: next }];
          }
          case 'response.function_call_arguments.done': {
            const key = str(json.item_id);
            const before = release('json', key, streams.flushJson(key), json.sequence_number);
            const next = mapStringField(json, 'arguments', (a) => streams.wholeJson(a));
            return before.length === 0 && next === json ? null : [...before, { name, json: next }];
          }
          case 'response.content_part.added':
          case 'response.content_part.done': {
            const next = mapField(json, 'part', (part) => mapStringField(part, 'text', (t) => streams.whole(t)));
            return next === json ? null : [{ name, json: next }];
          }
          case 'response.output_item.added':
          case 'response.output_item.done': {
            const next = mapField(json, 'item', (item) => restoreItem(streams, item));
            return next === json ? null : [{ name, json: next }];
          }
        }
        if (!RESPONSE_EVENTS.has(type)) return null;
        const next = mapField(json, 'response', (response) => mapField(response, 'output', (output) => mapArray(output, (item) => restoreItem(streams, item))));
        return next === json ? null : [{ name, json: next }];
      },
      end() {
        return streams.flushAll().flatMap(([kind, key, rest]) => release(kind, key, rest, undefined));
      },
      body(json) {
        let out = mapField(json, 'output', (output) => mapArray(output, (item) => restoreItem(streams, item)));
        out = mapStringField(out, 'output_text', (t) => streams.whole(t));
        return out;
      },
    };
  },
  inspector() {
    const text = new TextBuffer();
    const calls = new CallAssembler();
    const callItem = (item: unknown, key: string, whole: boolean) => {
      const args = get(item, 'type') === 'custom_tool_call' ? get(item, 'input') : get(item, 'arguments');
      if (whole) calls.complete(key, str(get(item, 'name')), str(args));
      else calls.start(key, str(get(item, 'name')));
    };
    const keyOf = (json: unknown) => str(get(json, 'item_id')) || str(get(get(json, 'item'), 'id')) || String(get(json, 'output_index') ?? '');
    return {
      event(_name, json) {
        const type = str(get(json, 'type'));
        switch (type) {
          case 'response.output_text.delta':
            text.push(str(get(json, 'delta')));
            return false;
          case 'response.output_item.added':
          case 'response.output_item.done': {
            const item = get(json, 'item');
            if (!TOOL_ITEMS.has(str(get(item, 'type')))) return false;
            callItem(item, keyOf(json), type === 'response.output_item.done');
            return true;
          }
          case 'response.function_call_arguments.delta':
          case 'response.custom_tool_call_input.delta':
            calls.append(keyOf(json), str(get(json, 'delta')));
            return true;
          case 'response.function_call_arguments.done':
          case 'response.custom_tool_call_input.done':
            return true;
        }
        return false;
      },
      body(json) {
        list(get(json, 'output')).forEach((item, i) => {
          if (get(item, 'type') === 'message') text.push(partsText(get(item, 'content')));
          else if (TOOL_ITEMS.has(str(get(item, 'type')))) callItem(item, str(get(item, 'id')) || String(i), true);
        });
      },
      text: () => text.toString(),
      toolCalls: () => calls.list(),
    };
  },
};

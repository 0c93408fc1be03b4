import { partsText } from '../parts.js';
import { get, isObject, list, mapArray, mapField, mapList, mapStringField, str, withField } from '../../codec/walk.js';
import { RestoreStreams } from '../../codec/restore-streams.js';
import { CallAssembler, TextBuffer, type AnswerCodec, type Payload } from '../../codec/answer.js';

const position = (value: unknown, fallback: number) => {
  const index = get(value, 'index');
  return typeof index === 'number' ? index : fallback;
};

/**
 * Chat completions: streamed text is `choices[i].delta.content`, tool calls are
 * `choices[i].delta.tool_calls[j]` deltas (name first, then argument fragments) keyed by `index`.
 * Held-back text is released with the choice's `finish_reason` chunk, or in a chunk of its own
 * before `[DONE]`.
 */
export const chatCompletionsAnswers: AnswerCodec = {
  restorer(mapping) {
    const streams = new RestoreStreams(mapping);
    let envelope: Record<string, unknown> | null = null;
    return {
      event(name, json) {
        if (!isObject(json) || !Array.isArray(json.choices)) return null;
        envelope = json;
        const choices = mapList(json.choices, (choice) => {
          if (!isObject(choice) || !isObject(choice.delta)) return choice;
          const i = position(choice, 0);
          let delta = mapStringField(choice.delta, 'content', (text) => streams.text(`${i}`, text)) as Record<string, unknown>;
          delta = mapField(delta, 'tool_calls', (calls) =>
            mapArray(calls, (call) =>
              mapField(call, 'function', (fn) => mapStringField(fn, 'arguments', (args) => streams.json(`${i}:${position(call, 0)}`, args))),
            ),
          ) as Record<string, unknown>;
          if (choice.finish_reason !== null && choice.finish_reason !== undefined) delta = releaseChoice(streams, i, delta);
          return withField(choice, 'delta', delta);
        });
        return choices === json.choices ? null : [{ name, json: { ...json, choices } }];
      },
      end() {
        const rest = streams.flushAll();
        if (rest.length === 0) return [];
        const choices = new Map<number, Record<string, unknown>>();
        for (const [kind, key, text] of rest) {
          const [i, j] = key.split(':').map(Number);
          const delta = choices.get(i) ?? {};
          if (kind === 'text') delta.content = text;
          else delta.tool_calls = [...list(delta.tool_calls), { index: j, function: { arguments: text } }];
          choices.set(i, delta);
        }
        const base = envelope ?? { object: 'chat.completion.chunk' };
        const chunk = {
          id: base.id,
          object: base.object,
          created: base.created,
          model: base.model,
          choices: [...choices].map(([index, delta]) => ({ index, delta, finish_reason: null })),
        };
        return [{ name: null, json: chunk } satisfies Payload];
      },
      body(json) {
        return mapField(json, 'choices', (choices) =>
          mapArray(choices, (choice) =>
            mapField(choice, 'message', (message) => {
              let m = mapStringField(message, 'content', (text) => streams.whole(text));
              m = mapField(m, 'tool_calls', (calls) =>
                mapArray(calls, (call) => mapField(call, 'function', (fn) => mapStringField(fn, 'arguments', (a) => streams.wholeJson(a)))),
              );
              return mapField(m, 'function_call', (fn) => mapStringField(fn, 'arguments', (a) => streams.wholeJson(a)));
            }),
          ),
        );
      },
    };
  },
  inspector() {
    const text = new TextBuffer();
    const calls = new CallAssembler();
    return {
      event(_name, json) {
        let call = false;
        for (const choice of list(get(json, 'choices'))) {
          const i = position(choice, 0);
          const delta = get(choice, 'delta');
          text.push(str(get(delta, 'content')));
          for (const tc of list(get(delta, 'tool_calls'))) {
            call = true;
            const key = `${i}:${position(tc, 0)}`;
            calls.start(key, str(get(get(tc, 'function'), 'name')));
            calls.append(key, str(get(get(tc, 'function'), 'arguments')));
          }
          const legacy = get(delta, 'function_call');
          if (isObject(legacy)) {
            call = true;
            calls.start(`${i}:legacy`, str(legacy.name));
            calls.append(`${i}:legacy`, str(legacy.arguments));
          }
        }
        return call;
      },
      body(json) {
        list(get(json, 'choices')).forEach((choice, c) => {
          const message = get(choice, 'message');
          text.push(partsText(get(message, 'content')));
          list(get(message, 'tool_calls')).forEach((tc, j) => {
            const fn = get(tc, 'function');
            calls.complete(`${c}:${j}`, str(get(fn, 'name')), str(get(fn, 'arguments')));
          });
          const legacy = get(message, 'function_call');
          if (isObject(legacy)) calls.complete(`${c}:legacy`, str(legacy.name), str(legacy.arguments));
        });
      },
      text: () => text.toString(),
      toolCalls: () => calls.list(),
    };
  },
};

/** Adds what a finished choice's streams still held back to its last delta. */
function releaseChoice(streams: RestoreStreams, i: number, delta: Record<string, unknown>): Record<string, unknown> {
  let out = delta;
  const text = streams.flushText(`${i}`);
  if (text) out = withField(out, 'content', str(out.content) + text);
  for (const [kind, key, rest] of streams.flushAll(`${i}:`)) {
    if (kind === 'json') out = withField(out, 'tool_calls', [...list(out.tool_calls), { index: Number(key.split(':')[1]), function: { arguments: rest } }]);
  }
  return out;
}

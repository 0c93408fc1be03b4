import { get, getEither, isObject, list, mapArray, mapField, mapList, str, withField } from '../../codec/walk.js';
import { RestoreStreams } from '../../codec/restore-streams.js';
import { CallAssembler, TextBuffer, type AnswerCodec, type AnswerRestorer, type Payload } from '../../codec/answer.js';

const position = (candidate: unknown, fallback: number) => {
  const index = get(candidate, 'index');
  return typeof index === 'number' ? index : fallback;
};

/** Restores one chunk's parts: text through candidate `c`'s stream (or whole), function-call arguments whole. */
function restoreParts(streams: RestoreStreams, parts: unknown, text: (t: string) => string): unknown {
  return mapArray(parts, (part) => {
    if (!isObject(part) || part.thought === true) return part;
    if (typeof part.text === 'string') return withField(part, 'text', text(part.text));
    for (const name of ['functionCall', 'function_call']) {
      if (part[name] !== undefined)
        return withField(
          part,
          name,
          mapField(part[name], 'args', (args) => streams.values(args)),
        );
    }
    return part;
  });
}

/**
 * Gemini: every chunk (an SSE event, or an element of the JSON array streamed without
 * `alt=sse`) is a whole response whose `candidates[i].content.parts` continue the text;
 * function calls arrive whole, in one part. Held-back text is released with the candidate's
 * `finishReason` chunk, or in a chunk of its own at the end.
 */
export const generateContentAnswers: AnswerCodec = {
  restorer(mapping) {
    const streams = new RestoreStreams(mapping);
    const restorer: AnswerRestorer = {
      event(name, json) {
        if (!isObject(json) || !Array.isArray(json.candidates)) return null;
        const candidates = mapList(json.candidates, (candidate) => {
          if (!isObject(candidate)) return candidate;
          const c = position(candidate, 0);
          let next = mapField(candidate, 'content', (content) =>
            mapField(content, 'parts', (parts) => restoreParts(streams, parts, (t) => streams.text(`${c}`, t))),
          );
          if (candidate.finishReason !== undefined || candidate.finish_reason !== undefined) {
            const rest = streams.flushText(`${c}`);
            if (rest)
              next = mapField(next, 'content', (content) => withField(content as Record<string, unknown>, 'parts', appendText(get(content, 'parts'), rest)));
          }
          return next;
        });
        return candidates === json.candidates ? null : [{ name, json: { ...json, candidates } }];
      },
      end() {
        return streams.flushAll().map(([, c, rest]): Payload => ({
          name: null,
          json: { candidates: [{ content: { role: 'model', parts: [{ text: rest }] }, index: Number(c) }] },
        }));
      },
      body(json) {
        if (Array.isArray(json)) {
          // A stream delivered as one JSON array: its elements are chunks, restored like events.
          const out: unknown[] = [];
          for (const chunk of json) out.push(...(restorer.event(null, chunk)?.map((p) => p.json) ?? [chunk]));
          out.push(...restorer.end().map((p) => p.json));
          return out;
        }
        return mapField(json, 'candidates', (candidates) =>
          mapArray(candidates, (candidate) =>
            mapField(candidate, 'content', (content) => mapField(content, 'parts', (parts) => restoreParts(streams, parts, (t) => streams.whole(t)))),
          ),
        );
      },
    };
    return restorer;
  },
  inspector() {
    const text = new TextBuffer();
    const calls = new CallAssembler();
    let seen = 0;
    const chunk = (json: unknown): boolean => {
      let call = false;
      for (const candidate of list(get(json, 'candidates'))) {
        for (const part of list(get(get(candidate, 'content'), 'parts'))) {
          if (get(part, 'thought') === true) continue;
          text.push(str(get(part, 'text')));
          const fn = getEither(part, 'functionCall', 'function_call');
          if (isObject(fn)) {
            call = true;
            calls.complete(String(seen++), str(fn.name), fn.args ?? {});
          }
        }
      }
      return call;
    };
    return {
      event: (_name, json) => chunk(json),
      body(json) {
        if (Array.isArray(json)) for (const element of json) chunk(element);
        else chunk(json);
      },
      text: () => text.toString(),
      toolCalls: () => calls.list(),
    };
  },
};

function appendText(parts: unknown, text: string): unknown[] {
  const list_ = Array.isArray(parts) ? [...parts] : [];
  for (let i = list_.length - 1; i >= 0; i--) {
    const part = list_[i];
    if (isObject(part) && typeof part.text === 'string' && part.thought !== true) {
      list_[i] = { ...part, text: part.text + text };
      return list_;
    }
  }
  list_.push({ text });
  return list_;
}

import { sseEvent, type ResponseFilter } from '../steps/response-filter.js';
import { parseData } from '../providers/types.js';
import type { AnswerCodec, Payload } from '../providers/index.js';

const toEvent = (payload: Payload) => sseEvent(JSON.stringify(payload.json), payload.name);

/**
 * Puts the originals of restorable placeholders back into the answer the agent receives. SSE
 * events are parsed one by one; only those whose text changed are re-serialized, the others go
 * out as the provider's bytes. Nothing is buffered beyond a tail that could still become a
 * placeholder, which is released before the answer's end (`[DONE]`, a block's stop, a
 * `finish_reason`…).
 */
export function restoreFilter(codec: AnswerCodec, mapping: ReadonlyMap<string, string>): ResponseFilter {
  const restorer = codec.restorer(mapping);
  return {
    event(event) {
      if (event.data === null) return { send: [event] };
      const json = parseData(event.data);
      // Non-JSON data is a terminator (`[DONE]`): what is still held back goes out before it.
      if (json === undefined) return { send: [...restorer.end().map(toEvent), event] };
      const replaced = restorer.event(event.event, json);
      return { send: replaced === null ? [event] : replaced.map(toEvent) };
    },
    end: async () => ({ send: restorer.end().map(toEvent) }),
    body: async (json) => ({ json: restorer.body(json) }),
    abandon: () => undefined,
  };
}

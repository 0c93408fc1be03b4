import type { ModelEntry } from '../types.js';

/** OpenAI's model object; the gateway knows no creation date, and OpenAI's clients accept 0. */
const model = (m: ModelEntry) => ({ id: m.id, object: 'model', created: 0, owned_by: m.provider });

/** The body of OpenAI's `GET /v1/models` for the models a key may use. */
export function openaiModelList(models: readonly ModelEntry[]): string {
  return JSON.stringify({ object: 'list', data: models.map(model) });
}

/** The body of OpenAI's `GET /v1/models/{model}`. */
export function openaiModelInfo(entry: ModelEntry): string {
  return JSON.stringify(model(entry));
}

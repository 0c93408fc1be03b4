import type { ModelEntry } from '../types.js';

/** Anthropic's `ModelInfo`; the release date is unknown to the gateway, which Anthropic writes as the epoch. */
const model = (m: ModelEntry) => ({ type: 'model', id: m.id, display_name: m.id, created_at: '1970-01-01T00:00:00Z' });

/** The body of Anthropic's `GET /v1/models`: every model on one page. */
export function anthropicModelList(models: readonly ModelEntry[]): string {
  return JSON.stringify({
    data: models.map(model),
    has_more: false,
    first_id: models[0]?.id ?? null,
    last_id: models.at(-1)?.id ?? null,
  });
}

/** The body of Anthropic's `GET /v1/models/{model_id}`. */
export function anthropicModelInfo(entry: ModelEntry): string {
  return JSON.stringify(model(entry));
}

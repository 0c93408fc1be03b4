import type { ModelEntry } from '../types.js';

/** Gemini's `Model` resource, named `models/{id}`; the gateway proxies only the content-generation methods. */
const model = (m: ModelEntry) => ({
  name: `models/${m.id}`,
  baseModelId: m.id,
  displayName: m.id,
  supportedGenerationMethods: ['generateContent', 'streamGenerateContent'],
});

/** The body of Gemini's `GET /v1beta/models`: every model on one page (no `nextPageToken`). */
export function geminiModelList(models: readonly ModelEntry[]): string {
  return JSON.stringify({ models: models.map(model) });
}

/** The body of Gemini's `GET /v1beta/models/{model}`. */
export function geminiModelInfo(entry: ModelEntry): string {
  return JSON.stringify(model(entry));
}

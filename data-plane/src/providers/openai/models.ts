import type { AvailableModel } from '../../routing/models.js';

/** The body of OpenAI's `GET /v1/models` for the models a key may use. */
export function listModels(models: readonly AvailableModel[]): string {
  return JSON.stringify({
    object: 'list',
    data: models.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: m.provider })),
  });
}

/** The body of OpenAI's `GET /v1/models/{model}`. */
export function retrieveModel(model: AvailableModel): string {
  return JSON.stringify({ id: model.id, object: 'model', created: 0, owned_by: model.provider });
}

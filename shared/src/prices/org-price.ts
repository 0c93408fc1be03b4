import type { OrgConfig } from '../wire/config.js';
import { findPrice } from './find-price.js';
import type { ModelPrice } from './model-price.js';

/** What an organization charges for a model. */
export interface OrgPrice {
  /** The price requests are charged at; null when the model has none and no fallback applies. */
  readonly price: ModelPrice | null;
  /** False when neither the organization's custom models nor the built-in catalog price the model. */
  readonly listed: boolean;
}

/**
 * The price of `model` at `at` for an organization: its custom models, then the built-in catalog, then,
 * for a model neither prices, the organization's `charge` fallback (`unpricedModels`). Budgets
 * reserve and metering charges through this one function, so both agree on every model.
 */
export function orgPrice(model: string, org: Pick<OrgConfig, 'customModels' | 'unpricedModels'>, at: Date): OrgPrice {
  const price = findPrice(model, org.customModels, at);
  if (price) return { price, listed: true };
  const fallback = org.unpricedModels;
  if (fallback?.mode !== 'charge') return { price: null, listed: false };
  return {
    listed: false,
    price: {
      model,
      provider: 'openai_compatible',
      inputPerMTok: fallback.inputPerMTok,
      outputPerMTok: fallback.outputPerMTok,
      cachedInputPerMTok: fallback.inputPerMTok,
    },
  };
}

import type { ModelPriceEntry } from '../wire/config.js';

/** Higher rates that apply to a whole request once its prompt has more than `aboveInputTokens` tokens. */
export interface PriceTier {
  readonly aboveInputTokens: number;
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
  readonly cachedInputPerMTok: number;
  readonly cacheWritePerMTok: number;
}

/**
 * A model's price in integer micro-dollars per million tokens: an organization's custom entry,
 * or the catalog's, which adds prompt-cache writes (input price when absent) and long-context
 * tiers (none when absent).
 */
export interface ModelPrice extends ModelPriceEntry {
  readonly cacheWritePerMTok?: number;
  /** Ascending by `aboveInputTokens`. */
  readonly tiers?: readonly PriceTier[];
}

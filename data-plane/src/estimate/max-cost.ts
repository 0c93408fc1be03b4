import { requestCeiling, type OrgConfig, type RequestCeiling } from '@keyward/shared';
import type { Operation } from '../providers/types.js';
import { fleetNow } from '../clock/fleet-clock.js';
import { promptTokens } from './prompt-tokens.js';

/** The tag on events of a model without a price of its own (charged at a fallback or at nothing). */
export const UNPRICED_TAG = 'unpriced';

/** What a request may cost at most, before it is forwarded. */
export type MaxCost = RequestCeiling;

/**
 * The most a request can cost: its prompt tokens (estimated with the real tokenizer) plus the
 * output it asks for at most (raised to `translatedCap`, what a target of another API family will
 * be asked for), at the model's price for the organization at the fleet's time (`requestCeiling`).
 */
export function maxCostOf(
  operation: Operation,
  body: Record<string, unknown>,
  model: string,
  org: Pick<OrgConfig, 'customModels' | 'unpricedModels'>,
  translatedCap: number | null = null,
): MaxCost {
  return requestCeiling(
    promptTokens(body, operation.requestText(body), model),
    operation.maxOutputTokens(body),
    model,
    org,
    new Date(fleetNow()),
    translatedCap,
  );
}

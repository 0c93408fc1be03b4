import { anyGlobMatches, isGlob } from '../routing/globs.js';
import type { ModelPriceEntry, ProviderKind } from '../wire/config.js';
import { catalogModels } from './catalog.js';

/**
 * The providers whose model names a credential of this kind answers to: an OpenAI-compatible
 * host speaks OpenAI's API, so a request naming an OpenAI model is forwarded to it.
 */
export function providerNamesOf(provider: ProviderKind): readonly ProviderKind[] {
  return provider === 'openai_compatible' ? ['openai_compatible', 'openai'] : [provider];
}

/**
 * The models a credential serves by name: its exact model names, then the known models (the
 * organization's custom models, then the built-in price catalog) of its provider that its globs
 * cover, or all of them when it lists none ("any model"). In that order, without repeats.
 */
export function modelsServedBy(
  credential: { provider: ProviderKind; models: readonly string[] },
  customModels: readonly ModelPriceEntry[],
  at: Date,
): string[] {
  const names = providerNamesOf(credential.provider);
  const found = new Map<string, string>();
  const add = (model: string) => {
    if (!found.has(model.toLowerCase())) found.set(model.toLowerCase(), model);
  };
  for (const pattern of credential.models) if (!isGlob(pattern)) add(pattern);
  for (const entry of [...customModels, ...catalogModels(at)]) {
    if (names.includes(entry.provider) && anyGlobMatches(credential.models, entry.model)) add(entry.model);
  }
  return [...found.values()];
}

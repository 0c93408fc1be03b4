import { catalogContextWindow, findPrice, modelsServedBy } from '@keyward/shared';
import { formatUsd } from '../budgets/money.js';
import { pricingOf } from '../budgets/pricing-settings.js';
import { Credential } from '../credentials/credential.entity.js';
import type { GraphQLContext } from '../graphql/context.js';
import { Organization } from '../organizations/organization.entity.js';
import { orgCallerOf } from '../sessions/caller.js';
import type { CatalogueModelType } from './model-catalogue.type.js';

/**
 * The models the organization can call: every model a credential of its serves (its exact model
 * names, and the known models its globs cover), each with the credentials serving it, the price
 * in force (the organization's own, else the built-in catalog's; none for an unpriced model) and
 * the catalog's context window. Sorted by model name.
 */
export async function listModelCatalogue(ctx: GraphQLContext): Promise<CatalogueModelType[]> {
  const org = await ctx.em.findOneOrFail(Organization, { id: orgCallerOf(ctx).orgId });
  const { customModels } = pricingOf(org.settings);
  const credentials = await ctx.em.find(Credential, {}, { orderBy: { name: 'asc', id: 'asc' } });
  const byModel = new Map<string, { model: string; credentials: Credential[] }>();
  const now = new Date();
  for (const credential of credentials) {
    for (const model of modelsServedBy(credential, customModels, now)) {
      const entry = byModel.get(model.toLowerCase()) ?? { model, credentials: [] };
      entry.credentials.push(credential);
      byModel.set(model.toLowerCase(), entry);
    }
  }
  return [...byModel.values()]
    .map(({ model, credentials: serving }) => {
      const price = findPrice(model, customModels, now);
      return {
        model,
        provider: price?.provider ?? serving[0]!.provider,
        inputPrice: price ? formatUsd(price.inputPerMTok) : null,
        outputPrice: price ? formatUsd(price.outputPerMTok) : null,
        cachedInputPrice: price ? formatUsd(price.cachedInputPerMTok) : null,
        // The organization's own entries come back as themselves; anything else is the catalog's.
        priceSource: price ? (customModels.includes(price) ? 'organization' : 'built_in') : null,
        contextWindow: catalogContextWindow(model),
        credentials: serving.map((c) => ({ id: c.id, name: c.name, provider: c.provider })),
      } satisfies CatalogueModelType;
    })
    .sort((a, b) => a.model.localeCompare(b.model));
}

import { orgPrice, type ModelPriceEntry, type UnpricedModelsPolicy } from '@keyward/shared';
import { applyConfigChange } from '../config-publish/publish.js';
import { sqlRows } from '../config-publish/sql.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { DEFAULT_ORGANIZATION_SETTINGS, Organization, type OrganizationSettings } from '../organizations/organization.entity.js';
import { orgCallerOf } from '../sessions/caller.js';
import type { SetCustomModelPriceInput, UnpricedModelsInput } from './model-price.input.js';
import type { ModelPriceType, UnpricedModelsSettingType, UnpricedModelType } from './model-price.type.js';
import { pricingOf, type PricingSettings } from './pricing-settings.js';
import { formatUsd, parseUsd } from './money.js';

/** The organization's own model prices, by model name. */
export async function listCustomModelPrices(ctx: GraphQLContext): Promise<ModelPriceType[]> {
  const org = await ctx.em.findOneOrFail(Organization, { id: orgCallerOf(ctx).orgId });
  return pricingOf(org.settings)
    .customModels.map(toModelPriceType)
    .sort((a, b) => a.model.localeCompare(b.model));
}

/** Adds or replaces the price of one model and publishes it to nodes in the same transaction. */
export async function setCustomModelPrice(ctx: GraphQLContext, input: SetCustomModelPriceInput): Promise<ModelPriceType> {
  const { orgId } = orgCallerOf(ctx);
  const model = input.model.trim();
  const entry: ModelPriceEntry = {
    model,
    provider: input.provider,
    inputPerMTok: parseUsd(input.inputPrice, 'inputPrice'),
    outputPerMTok: parseUsd(input.outputPrice, 'outputPrice'),
    cachedInputPerMTok: parseUsd(input.cachedInputPrice ?? input.inputPrice, 'cachedInputPrice'),
  };
  await changePricing(ctx, orgId, `price of model ${model} set`, (pricing) => ({
    ...pricing,
    customModels: [...pricing.customModels.filter((m) => !sameModel(m.model, model)), entry],
  }));
  return toModelPriceType(entry);
}

/** Removes the organization's price of one model (the built-in table, if it knows the model, applies again). */
export async function removeCustomModelPrice(ctx: GraphQLContext, model: string): Promise<string> {
  const { orgId } = orgCallerOf(ctx);
  await changePricing(ctx, orgId, `price of model ${model} removed`, (pricing) => {
    if (!pricing.customModels.some((m) => sameModel(m.model, model))) {
      throw new AppError('NOT_FOUND', `The organization has no price of its own for the model "${model}".`);
    }
    return { ...pricing, customModels: pricing.customModels.filter((m) => !sameModel(m.model, model)) };
  });
  return model;
}

/**
 * Models agents called in the last `days` days that have no price (events tagged `unpriced`,
 * refused or served), leaving out those priced since. Newest first, at most 100.
 */
export async function listUnpricedModels(ctx: GraphQLContext, days: number): Promise<UnpricedModelType[]> {
  const { orgId } = orgCallerOf(ctx);
  if (!Number.isInteger(days) || days < 1 || days > 400) throw new AppError('BAD_USER_INPUT', 'days must be a whole number from 1 to 400.');
  const org = await ctx.em.findOneOrFail(Organization, { id: orgId });
  const rows = await sqlRows<{ model: string; refused: string; served: string; cost: string; last: Date }>(
    ctx.em,
    `select model,
            count(*) filter (where error_code = 'model_unpriced') as refused,
            count(*) filter (where error_code is distinct from 'model_unpriced') as served,
            coalesce(sum(cost_micros), 0) as cost,
            max(started_at) as last
       from usage_events
      where organization_id = ? and started_at > now() - make_interval(days => ?) and model is not null
        and tags @> '["unpriced"]'::jsonb
      group by model order by max(started_at) desc limit 100`,
    [orgId, days],
  );
  const { customModels } = pricingOf(org.settings);
  const now = new Date();
  return rows
    .filter((row) => !orgPrice(row.model, { customModels }, now).listed)
    .map((row) => ({
      model: row.model,
      refused: Number(row.refused),
      served: Number(row.served),
      costMicros: Number(row.cost),
      lastSeenAt: new Date(row.last),
    }));
}

/** Checks an `unpricedModels` input: CHARGE needs both prices, the other modes take none. */
export function unpricedModelsPolicyFrom(input: UnpricedModelsInput): UnpricedModelsPolicy {
  if (input.mode !== 'charge') {
    if (input.inputPrice != null || input.outputPrice != null) {
      throw new AppError('BAD_USER_INPUT', 'unpricedModels takes inputPrice and outputPrice only with mode CHARGE.');
    }
    return { mode: input.mode };
  }
  if (input.inputPrice == null || input.outputPrice == null) {
    throw new AppError('BAD_USER_INPUT', 'unpricedModels with mode CHARGE needs inputPrice and outputPrice (US dollars per million tokens).', {
      fields: { ...(input.inputPrice == null ? { inputPrice: ['is required'] } : {}), ...(input.outputPrice == null ? { outputPrice: ['is required'] } : {}) },
    });
  }
  return { mode: 'charge', inputPerMTok: parseUsd(input.inputPrice, 'inputPrice'), outputPerMTok: parseUsd(input.outputPrice, 'outputPrice') };
}

/** The GraphQL view of the stored policy. */
export function unpricedModelsSetting(settings: Partial<OrganizationSettings> & PricingSettings): UnpricedModelsSettingType {
  const policy = pricingOf(settings).unpricedModels;
  return {
    mode: policy.mode,
    inputPrice: policy.mode === 'charge' ? formatUsd(policy.inputPerMTok) : null,
    outputPrice: policy.mode === 'charge' ? formatUsd(policy.outputPerMTok) : null,
  };
}

async function changePricing(
  ctx: GraphQLContext,
  orgId: string,
  reason: string,
  change: (pricing: Required<PricingSettings>) => Required<PricingSettings>,
): Promise<void> {
  await applyConfigChange(ctx.services, ctx.em, orgId, reason, async (tx) => {
    const org = await tx.findOneOrFail(Organization, { id: orgId });
    const settings: OrganizationSettings & PricingSettings = { ...DEFAULT_ORGANIZATION_SETTINGS, ...org.settings };
    org.settings = { ...settings, ...change(pricingOf(settings)) };
  });
}

/** Model names compare as the price lookup does: case and Gemini's `models/` prefix aside. */
function sameModel(a: string, b: string): boolean {
  const normal = (name: string) =>
    name
      .trim()
      .toLowerCase()
      .replace(/^models\//, '');
  return normal(a) === normal(b);
}

function toModelPriceType(entry: ModelPriceEntry): ModelPriceType {
  return {
    model: entry.model,
    provider: entry.provider,
    inputPrice: formatUsd(entry.inputPerMTok),
    outputPrice: formatUsd(entry.outputPerMTok),
    cachedInputPrice: formatUsd(entry.cachedInputPerMTok),
  };
}

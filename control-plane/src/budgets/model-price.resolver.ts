import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import type { OrganizationSettings } from '../organizations/organization.entity.js';
import { OrganizationSettingsType } from '../organizations/organization-settings.type.js';
import { SetCustomModelPriceInput } from './model-price.input.js';
import * as prices from './model-price.service.js';
import type { PricingSettings } from './pricing-settings.js';
import { ModelPriceType, UnpricedModelsSettingType, UnpricedModelType } from './model-price.type.js';

/** The organization's own model prices, the models called without one, and what happens to those. */
@Resolver()
export class ModelPricesResolver {
  @Authorized('limits:read')
  @Query(() => [ModelPriceType], { description: 'Prices the organization set for models, overriding the built-in table.' })
  customModelPrices(@Ctx() ctx: GraphQLContext): Promise<ModelPriceType[]> {
    return prices.listCustomModelPrices(ctx);
  }

  @Authorized('limits:read')
  @Query(() => [UnpricedModelType], { description: 'Models agents called in the last `days` days that have no price (refused or served unpriced).' })
  unpricedModels(@Ctx() ctx: GraphQLContext, @Arg('days', () => Int, { defaultValue: 30 }) days: number): Promise<UnpricedModelType[]> {
    return prices.listUnpricedModels(ctx, days);
  }

  @Authorized('limits:write')
  @Mutation(() => ModelPriceType, { description: "Adds or replaces a model's price for the organization; nodes use it within moments." })
  setCustomModelPrice(@Ctx() ctx: GraphQLContext, @Arg('input', () => SetCustomModelPriceInput) input: SetCustomModelPriceInput): Promise<ModelPriceType> {
    return prices.setCustomModelPrice(ctx, input);
  }

  @Authorized('limits:write')
  @Mutation(() => String, { description: "Removes the organization's price of a model and returns the model name." })
  removeCustomModelPrice(@Ctx() ctx: GraphQLContext, @Arg('model', () => String) model: string): Promise<string> {
    return prices.removeCustomModelPrice(ctx, model);
  }
}

/** `OrganizationSettings.unpricedModels`, read from the settings document. */
@Resolver(() => OrganizationSettingsType)
export class UnpricedModelsSettingResolver {
  @FieldResolver(() => UnpricedModelsSettingType, { description: 'What happens to models without a price while a budget or prepaid credits apply.' })
  unpricedModels(@Root() settings: OrganizationSettings & PricingSettings): UnpricedModelsSettingType {
    return prices.unpricedModelsSetting(settings);
  }
}

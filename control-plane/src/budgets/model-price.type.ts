import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { ProviderKind, UnpricedModelsPolicy } from '@keyward/shared';
import { ProviderKindEnum } from '../credentials/credential.type.js';

/** What nodes do with a model that has no price while a budget or prepaid credits apply. */
export const UnpricedModelModeEnum = { REFUSE: 'refuse', CHARGE: 'charge', ALLOW: 'allow' } as const;
registerEnumType(UnpricedModelModeEnum, {
  name: 'UnpricedModelMode',
  description:
    'REFUSE (default): a model without a price is refused (403 model_unpriced) while a budget or prepaid credits apply. ' +
    'CHARGE: it is charged at the set price per million tokens. ALLOW: it passes at no cost and its events are tagged `unpriced`.',
});

@ObjectType('ModelPrice', { description: 'A price the organization set for a model, in US dollars per million tokens.' })
export class ModelPriceType {
  @Field(() => String, { description: 'The model name; releases of it (`-2024-08-06`, `@20250514`) use the same price.' })
  model!: string;

  @Field(() => ProviderKindEnum)
  provider!: ProviderKind;

  @Field(() => String, { description: 'US dollars per million input tokens, e.g. "2.50".' })
  inputPrice!: string;

  @Field(() => String, { description: 'US dollars per million output tokens.' })
  outputPrice!: string;

  @Field(() => String, { description: 'US dollars per million cached input tokens.' })
  cachedInputPrice!: string;
}

@ObjectType('UnpricedModelsSetting', { description: 'What happens to models without a price while a budget or prepaid credits apply.' })
export class UnpricedModelsSettingType {
  @Field(() => UnpricedModelModeEnum)
  mode!: UnpricedModelsPolicy['mode'];

  @Field(() => String, { nullable: true, description: 'CHARGE only: US dollars per million input tokens.' })
  inputPrice!: string | null;

  @Field(() => String, { nullable: true, description: 'CHARGE only: US dollars per million output tokens.' })
  outputPrice!: string | null;
}

@ObjectType('UnpricedModel', { description: 'A model agents called that has no price, from recent usage events.' })
export class UnpricedModelType {
  @Field(() => String)
  model!: string;

  @Field(() => Int, { description: 'Requests refused (model_unpriced) in the window.' })
  refused!: number;

  @Field(() => Int, { description: 'Requests served without a price of their own (charged at the fallback or at nothing).' })
  served!: number;

  @Field(() => Float, { description: 'Micro-dollars charged for them at the fallback price.' })
  costMicros!: number;

  @Field(() => Date)
  lastSeenAt!: Date;
}

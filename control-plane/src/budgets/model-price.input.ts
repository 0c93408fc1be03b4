import { IsIn, IsOptional, Length, Matches } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import type { ProviderKind, UnpricedModelsPolicy } from '@keyward/shared';
import { ProviderKindEnum } from '../credentials/credential.type.js';
import { UnpricedModelModeEnum } from './model-price.type.js';
import { USD_INPUT } from './money.js';

const USD_MESSAGE = 'must be a US-dollar amount per million tokens as a decimal string with at most 6 decimals, e.g. "2.50"';
const MODEL_NAME = /^[^\s\p{Cc}]+$/u;

@InputType({ description: "A model's price for this organization, in US dollars per million tokens. It overrides the built-in table." })
export class SetCustomModelPriceInput {
  @Field(() => String, { description: 'The model name as agents send it, e.g. `ft:gpt-4o-mini:acme:support:abc123`.' })
  @Length(1, 200)
  @Matches(MODEL_NAME, { message: 'must be a model name without spaces or control characters' })
  model!: string;

  @Field(() => ProviderKindEnum, { defaultValue: 'openai_compatible' })
  @IsIn(Object.values(ProviderKindEnum))
  provider!: ProviderKind;

  @Field(() => String, { description: 'US dollars per million input tokens, e.g. "2.50".' })
  @Matches(USD_INPUT, { message: USD_MESSAGE })
  inputPrice!: string;

  @Field(() => String, { description: 'US dollars per million output tokens.' })
  @Matches(USD_INPUT, { message: USD_MESSAGE })
  outputPrice!: string;

  @Field(() => String, { nullable: true, description: 'US dollars per million cached input tokens; the input price when omitted.' })
  @IsOptional()
  @Matches(USD_INPUT, { message: USD_MESSAGE })
  cachedInputPrice?: string | null;
}

@InputType({ description: 'What happens to models without a price while a budget or prepaid credits apply.' })
export class UnpricedModelsInput {
  @Field(() => UnpricedModelModeEnum)
  @IsIn(Object.values(UnpricedModelModeEnum))
  mode!: UnpricedModelsPolicy['mode'];

  @Field(() => String, { nullable: true, description: 'CHARGE: US dollars per million input tokens.' })
  @IsOptional()
  @Matches(USD_INPUT, { message: USD_MESSAGE })
  inputPrice?: string | null;

  @Field(() => String, { nullable: true, description: 'CHARGE: US dollars per million output tokens.' })
  @IsOptional()
  @Matches(USD_INPUT, { message: USD_MESSAGE })
  outputPrice?: string | null;
}

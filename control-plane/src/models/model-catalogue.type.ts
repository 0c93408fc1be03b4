import type { ProviderKind } from '@keyward/shared';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ProviderKindEnum } from '../credentials/credential.type.js';

const PriceSourceEnum = { ORGANIZATION: 'organization', BUILT_IN: 'built_in' } as const;
export type PriceSource = (typeof PriceSourceEnum)[keyof typeof PriceSourceEnum];
registerEnumType(PriceSourceEnum, {
  name: 'PriceSource',
  description: "Where a model's price comes from: the organization's own prices, or the built-in catalog.",
});

@ObjectType('CatalogueCredential', { description: 'A credential that serves a model.' })
export class CatalogueCredentialType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => ProviderKindEnum)
  provider!: ProviderKind;
}

@ObjectType('CatalogueModel', { description: "A model the organization's credentials serve, with its price and context window." })
export class CatalogueModelType {
  @Field(() => String)
  model!: string;

  @Field(() => ProviderKindEnum, { description: "The provider the model's price belongs to, else that of the first credential serving it." })
  provider!: ProviderKind;

  @Field(() => String, { nullable: true, description: 'US dollars per million input tokens; null for a model without a price.' })
  inputPrice!: string | null;

  @Field(() => String, { nullable: true, description: 'US dollars per million output tokens.' })
  outputPrice!: string | null;

  @Field(() => String, { nullable: true, description: 'US dollars per million cached input tokens.' })
  cachedInputPrice!: string | null;

  @Field(() => PriceSourceEnum, { nullable: true, description: 'Null when the model has no price (it is unpriced).' })
  priceSource!: PriceSource | null;

  @Field(() => Int, { nullable: true, description: 'Tokens the model takes in one request, from the built-in catalog; null when unknown.' })
  contextWindow!: number | null;

  @Field(() => [CatalogueCredentialType], { description: 'The credentials that serve it, by name.' })
  credentials!: CatalogueCredentialType[];
}

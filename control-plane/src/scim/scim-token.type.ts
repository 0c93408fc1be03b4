import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType('ScimToken', { description: 'A token an identity provider provisions people with. The secret is only in the answer to createScimToken.' })
export class ScimTokenType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'The first characters of the secret, to tell tokens apart.' })
  prefix!: string;

  @Field(() => String)
  createdBy!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  lastUsedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;
}

@ObjectType('CreatedScimToken', { description: 'A new SCIM token and its secret, shown this once.' })
export class CreatedScimToken {
  @Field(() => ScimTokenType)
  token!: ScimTokenType;

  @Field(() => String, { description: 'The bearer token (kws_…) to paste into the identity provider. Store it now: it is never shown again.' })
  secret!: string;

  @Field(() => String, { description: 'The SCIM base URL to paste beside it.' })
  baseUrl!: string;
}

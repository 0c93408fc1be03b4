import { Field, ObjectType } from 'type-graphql';

@ObjectType('PolicyLanguageField', { description: 'A field of an object of the policy language.' })
export class PolicyLanguageFieldType {
  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'What the field means (Markdown-style `code` spans).' })
  doc!: string;

  @Field(() => [String], { nullable: true, description: 'The values the field takes, when they are a fixed set.' })
  values?: readonly string[];

  @Field(() => String, { nullable: true, description: 'The name of the object the field (or each item of its list) holds.' })
  object?: string;

  @Field(() => Boolean, { nullable: true, description: 'The field holds a list (a single item is accepted too).' })
  list?: boolean;
}

@ObjectType('PolicyLanguageObject', {
  description: 'An object of the policy language (`document` first) with its fields, as the validator accepts them; editors complete and explain from it.',
})
export class PolicyLanguageObjectType {
  @Field(() => String)
  name!: string;

  @Field(() => String)
  doc!: string;

  @Field(() => [PolicyLanguageFieldType])
  fields!: readonly PolicyLanguageFieldType[];
}

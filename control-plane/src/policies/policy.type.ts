import type { PolicyFormat, PolicyScope } from '@keyward/shared';
import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export const PolicyFormatEnum = { JSON: 'json', YAML: 'yaml' } as const;
registerEnumType(PolicyFormatEnum, { name: 'PolicyFormat', description: 'The syntax a policy is written in.' });

export const ScopeKindEnum = { ORG: 'org', TEAM: 'team', KEY: 'key' } as const;
registerEnumType(ScopeKindEnum, {
  name: 'ScopeKind',
  description: 'Where a policy (or budget, or rate limit) applies: the whole organization, one team or one key.',
});

@ObjectType('PolicyScope', { description: 'One place a policy is attached.' })
export class PolicyScopeType {
  @Field(() => ScopeKindEnum)
  kind!: PolicyScope;

  @Field(() => ID, { description: "The organization's, team's or key's id." })
  id!: string;

  @Field(() => String, { nullable: true, description: 'The team or key name (the organization name for ORG); null when it no longer exists.' })
  name!: string | null;
}

@ObjectType('PolicyVersion', { description: 'One version of a policy. Versions are never changed or removed while the policy exists.' })
export class PolicyVersionType {
  @Field(() => Int)
  version!: number;

  @Field(() => GraphQLJSON, { description: 'The normalized document nodes enforce.' })
  document!: unknown;

  @Field(() => String, { description: 'The text as written.' })
  source!: string;

  @Field(() => PolicyFormatEnum)
  format!: PolicyFormat;

  @Field(() => String, { description: 'Who made this version: `user:<id>` or `token:<id>`.' })
  changedBy!: string;

  @Field(() => String, { nullable: true, description: "The person's name (or the API token's name) behind changedBy, when known." })
  changedByName!: string | null;

  @Field(() => String, { nullable: true, description: 'Why the change was made.' })
  note!: string | null;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType('Policy', { description: 'A named, versioned list of rules, attached to the organization, teams or keys.' })
export class PolicyType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => Boolean, { description: 'Disabled policies are published but not enforced.' })
  enabled!: boolean;

  @Field(() => Boolean, { description: "The current document's shadow flag: every rule is evaluated and reported, none enforced." })
  shadow!: boolean;

  @Field(() => Int)
  currentVersion!: number;

  @Field(() => GraphQLJSON, { description: 'The current version’s normalized document.' })
  document!: unknown;

  @Field(() => String, { description: 'The current version’s text as written.' })
  source!: string;

  @Field(() => PolicyFormatEnum)
  format!: PolicyFormat;

  @Field(() => [PolicyScopeType], { description: 'Where the policy applies; empty means nowhere.' })
  attachments!: PolicyScopeType[];

  @Field(() => String, { description: 'Who created the policy: `user:<id>` or `token:<id>`.' })
  createdBy!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { ProviderKind } from '@keyward/shared';

export const ProviderKindEnum = {
  OPENAI: 'openai',
  ANTHROPIC: 'anthropic',
  GEMINI: 'gemini',
  OPENAI_COMPATIBLE: 'openai_compatible',
} as const;
registerEnumType(ProviderKindEnum, {
  name: 'ProviderKind',
  description: 'Which provider API a credential is for; OPENAI_COMPATIBLE needs a base URL.',
});

@ObjectType({ description: 'A key that names a credential explicitly in its credentialIds.' })
export class CredentialKeyRef {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  prefix!: string;
}

@ObjectType('Credential', {
  description: 'A provider API key, envelope-encrypted. Its secret is never returned: only its last four characters.',
})
export class CredentialType {
  @Field(() => ID)
  id!: string;

  @Field(() => ProviderKindEnum)
  provider!: ProviderKind;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true, description: "Custom base URL; null means the provider's default." })
  baseUrl!: string | null;

  @Field(() => [String], { description: 'Model globs this credential serves; empty means every model of its provider.' })
  models!: string[];

  @Field(() => String, { description: 'The last four characters of the secret, to recognize it.' })
  lastFour!: string;

  @Field(() => Int, { description: 'Increases with every rotation of the secret.' })
  secretVersion!: number;

  @Field(() => Boolean, { description: "True when the secret is wrapped by a KEK other than the KMS's current one (see rewrapCredentials)." })
  needsRewrap!: boolean;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  rotatedAt!: Date | null;

  @Field(() => [CredentialKeyRef], {
    description: 'Active keys that name this credential explicitly. Keys with no credentials listed may use any credential.',
  })
  keys!: CredentialKeyRef[];
}

@ObjectType({ description: 'What rewrapCredentials did.' })
export class RewrapResult {
  @Field(() => Int, { description: 'Credentials whose data key was re-wrapped under the current KEK.' })
  rewrapped!: number;

  @Field(() => Int, { description: 'Credentials already wrapped under the current KEK.' })
  alreadyCurrent!: number;

  @Field(() => String, { description: 'The KEK every credential of the organization is now wrapped with.' })
  primaryKekId!: string;
}

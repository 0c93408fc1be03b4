import { IsOptional, IsString, Length, Matches } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import type { ProviderKind } from '@keyward/shared';
import { IsModelGlobList } from '../keys/validators.js';
import { ProviderKindEnum } from './credential.type.js';

/**
 * Provider secrets are single header-safe tokens: printable ASCII without spaces, so one can
 * never inject a header line. The message never repeats the value.
 */
const API_KEY = /^[\x21-\x7e]+$/;
const PRINTABLE = /^[^\p{Cc}]+$/u;

@InputType({ description: 'A provider API key to store, encrypted, for routing.' })
export class CreateCredentialInput {
  @Field(() => ProviderKindEnum)
  provider!: ProviderKind;

  @Field(() => String)
  @Length(1, 120)
  @Matches(PRINTABLE, { message: 'must not contain control characters' })
  name!: string;

  @Field(() => String, { description: 'The provider secret. Write-only: it is never returned.' })
  @IsString()
  @Length(8, 4096, { message: 'must be 8 to 4096 characters long' })
  @Matches(API_KEY, { message: 'must be printable ASCII without spaces' })
  apiKey!: string;

  @Field(() => String, { nullable: true, description: 'Required for OPENAI_COMPATIBLE: an https URL at a public address.' })
  @IsOptional()
  @Length(1, 2048)
  baseUrl?: string | null;

  @Field(() => [String], { defaultValue: [], description: 'Model globs this credential serves; empty means all of its provider.' })
  @IsModelGlobList()
  models!: string[];
}

@InputType({ description: 'Changes to a credential; omitted fields stay as they are. Rotate the secret with rotateCredentialSecret.' })
export class UpdateCredentialInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 120)
  @Matches(PRINTABLE, { message: 'must not contain control characters' })
  name?: string;

  @Field(() => String, { nullable: true, description: "A new base URL; null returns to the provider's default." })
  @IsOptional()
  @Length(1, 2048)
  baseUrl?: string | null;

  @Field(() => [String], { nullable: true })
  @IsOptional()
  @IsModelGlobList()
  models?: string[];
}

/** The rules of `CreateCredentialInput.apiKey`, for the rotation argument. */
export function apiKeyProblem(value: string): string | null {
  if (value.length < 8 || value.length > 4096) return 'apiKey must be 8 to 4096 characters long.';
  if (!API_KEY.test(value)) return 'apiKey must be printable ASCII without spaces.';
  return null;
}

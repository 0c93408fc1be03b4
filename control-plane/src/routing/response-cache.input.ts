import { validateCacheSettings, WireError, type CacheSettings } from '@keyward/shared';
import { Field, InputType, Int } from 'type-graphql';
import { AppError } from '../errors.js';

@InputType({ description: 'The opt-in exact-match response cache: identical requests of the organization are answered from it.' })
export class ResponseCacheInput {
  @Field(() => Int, { description: 'How long an answer is kept, 1 second to 7 days.' })
  ttlSeconds!: number;
}

/** The cache setting an input describes (null: off), validated by the same check nodes run; a bad value is BAD_USER_INPUT naming it. */
export function cacheSettingsOf(input: ResponseCacheInput | null | undefined): CacheSettings | null {
  if (input == null) return null;
  try {
    return validateCacheSettings({ ttlSeconds: input.ttlSeconds });
  } catch (error) {
    if (error instanceof WireError) throw new AppError('BAD_USER_INPUT', `${error.message}.`);
    throw error;
  }
}

import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { CreateKeyInput, KeyFilter, UpdateKeyInput } from './key.input.js';
import * as keys from './key.service.js';
import { CreatedKey, KeyConnection, KeyType, RotatedKey } from './key.type.js';

/** Keyward keys: what agents send instead of provider keys. */
@Resolver(() => KeyType)
export class KeyResolver {
  @Authorized('keys:read')
  @Query(() => KeyConnection, { description: 'Keys of the organization, newest first. Never includes a secret.' })
  keys(
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => KeyFilter, { nullable: true }) filter?: KeyFilter,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<KeyConnection> {
    return keys.listKeys(ctx, filter, first, after);
  }

  @Authorized('keys:read')
  @Query(() => KeyType, { description: 'One key of the organization.' })
  key(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<KeyType> {
    return keys.getKey(ctx, id);
  }

  @Authorized('keys:write')
  @Mutation(() => CreatedKey, { description: 'Creates a key. The answer holds its secret, shown this once.' })
  createKey(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreateKeyInput) input: CreateKeyInput): Promise<CreatedKey> {
    return keys.createKey(ctx, input);
  }

  @Authorized('keys:write')
  @Mutation(() => KeyType, { description: 'Changes a key; omitted fields stay as they are.' })
  updateKey(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('input', () => UpdateKeyInput) input: UpdateKeyInput): Promise<KeyType> {
    return keys.updateKey(ctx, id, input);
  }

  @Authorized('keys:write')
  @Mutation(() => KeyType, { description: 'Revokes a key now. It cannot be used or changed again.' })
  revokeKey(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<KeyType> {
    return keys.revokeKey(ctx, id);
  }

  @Authorized('keys:write')
  @Mutation(() => RotatedKey, {
    description: 'Gives a key a new secret (shown once). The old secret keeps working for graceSeconds (at most 30 days).',
  })
  rotateKey(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('graceSeconds', () => Int, { defaultValue: 0 }) graceSeconds: number,
  ): Promise<RotatedKey> {
    return keys.rotateKey(ctx, id, graceSeconds);
  }

  @Authorized('keys:write')
  @Mutation(() => KeyType, { description: 'Makes a key stop working now; it stays listed as EXPIRED.' })
  expireKey(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<KeyType> {
    return keys.expireKey(ctx, id);
  }
}

import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { CreateCredentialInput, UpdateCredentialInput } from './credential.input.js';
import * as credentials from './credential.service.js';
import { CredentialType, RewrapResult } from './credential.type.js';

/** Provider credentials: the real provider keys, stored envelope-encrypted and never returned. */
@Resolver(() => CredentialType)
export class CredentialResolver {
  @Authorized('credentials:read')
  @Query(() => [CredentialType], { description: 'Provider credentials of the organization, by name. Never includes a secret.' })
  credentials(@Ctx() ctx: GraphQLContext): Promise<CredentialType[]> {
    return credentials.listCredentials(ctx);
  }

  @Authorized('credentials:read')
  @Query(() => CredentialType, { description: 'One provider credential of the organization.' })
  credential(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<CredentialType> {
    return credentials.getCredential(ctx, id);
  }

  @Authorized('credentials:write')
  @Mutation(() => CredentialType, { description: 'Stores a provider API key, envelope-encrypted. The key is write-only.' })
  createCredential(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreateCredentialInput) input: CreateCredentialInput): Promise<CredentialType> {
    return credentials.createCredential(ctx, input);
  }

  @Authorized('credentials:write')
  @Mutation(() => CredentialType, { description: "Changes a credential's name, base URL or models." })
  updateCredential(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateCredentialInput) input: UpdateCredentialInput,
  ): Promise<CredentialType> {
    return credentials.updateCredential(ctx, id, input);
  }

  @Authorized('credentials:write')
  @Mutation(() => CredentialType, { description: "Replaces a credential's secret; nodes pick up the new one at once." })
  rotateCredentialSecret(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('apiKey', () => String) apiKey: string): Promise<CredentialType> {
    return credentials.rotateCredentialSecret(ctx, id, apiKey);
  }

  @Authorized('credentials:write')
  @Mutation(() => ID, { description: 'Deletes a credential; refused while active keys name it. Returns its id.' })
  deleteCredential(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<string> {
    return credentials.deleteCredential(ctx, id);
  }

  @Authorized('credentials:rewrap')
  @Mutation(() => RewrapResult, {
    description: "Owners only: re-wraps every credential's data key under the KMS's current KEK, so older KEKs can be retired.",
  })
  rewrapCredentials(@Ctx() ctx: GraphQLContext): Promise<RewrapResult> {
    return credentials.rewrapCredentials(ctx);
  }
}

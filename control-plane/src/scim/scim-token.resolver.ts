import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import * as scim from './scim-token.service.js';
import { CreatedScimToken, ScimTokenType } from './scim-token.type.js';

/** SCIM provisioning tokens of the organization. */
@Resolver(() => ScimTokenType)
export class ScimTokenResolver {
  @Authorized('org:manage')
  @Query(() => [ScimTokenType], { description: "The organization's SCIM tokens, newest first (secrets are never returned)." })
  scimTokens(@Ctx() ctx: GraphQLContext): Promise<ScimTokenType[]> {
    return scim.listScimTokens(ctx);
  }

  @Authorized('org:manage')
  @Query(() => String, { description: 'The SCIM 2.0 base URL to give identity providers.' })
  scimBaseUrl(@Ctx() ctx: GraphQLContext): string {
    return scim.scimBaseUrl(ctx);
  }

  @Authorized('org:manage')
  @Mutation(() => CreatedScimToken, { description: 'Creates a SCIM token. The answer holds its secret, shown this once.' })
  createScimToken(@Ctx() ctx: GraphQLContext, @Arg('name', () => String) name: string): Promise<CreatedScimToken> {
    return scim.createScimToken(ctx, name);
  }

  @Authorized('org:manage')
  @Mutation(() => ScimTokenType, { description: 'Revokes a SCIM token at once.' })
  revokeScimToken(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<ScimTokenType> {
    return scim.revokeScimToken(ctx, id);
  }
}

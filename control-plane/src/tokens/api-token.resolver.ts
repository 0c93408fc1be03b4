import { Args, Authorized, Ctx, Field, FieldResolver, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { User } from '../users/user.entity.js';
import { ApiToken } from './api-token.entity.js';
import { ApiTokenIdArgs, CreateApiTokenArgs } from './api-token.input.js';
import { createApiToken, listApiTokens, revokeApiToken } from './api-token.service.js';

/** The answer to `createApiToken`: the only place the secret ever appears. */
@ObjectType({ description: 'A new API token. `secret` is shown here once and never again.' })
export class CreatedApiToken {
  @Field(() => ApiToken)
  token!: ApiToken;

  @Field(() => String, { description: 'The bearer secret (`kwt_…`). Store it now: it cannot be shown again.' })
  secret!: string;
}

/** API tokens for automation. */
@Resolver(() => ApiToken)
export class ApiTokenResolver {
  @Authorized('tokens:manage')
  @Query(() => [ApiToken], { description: "Your API tokens (everyone's for owners and admins). Never includes secrets." })
  apiTokens(@Ctx() ctx: GraphQLContext): Promise<ApiToken[]> {
    return listApiTokens(ctx);
  }

  @Authorized('tokens:manage')
  @Mutation(() => CreatedApiToken, { description: 'Creates an API token with at most your role. People only, not tokens.' })
  createApiToken(@Args() args: CreateApiTokenArgs, @Ctx() ctx: GraphQLContext): Promise<CreatedApiToken> {
    return createApiToken(ctx, args);
  }

  @Authorized('tokens:manage')
  @Mutation(() => ApiToken, { description: 'Revokes an API token at once.' })
  revokeApiToken(@Args() args: ApiTokenIdArgs, @Ctx() ctx: GraphQLContext): Promise<ApiToken> {
    return revokeApiToken(ctx, args.id);
  }

  @FieldResolver(() => User, { nullable: true, description: 'Who created the token (null once their account is gone).' })
  createdBy(@Root() token: ApiToken, @Ctx() ctx: GraphQLContext): Promise<User | null> {
    return ctx.em.findOne(User, { id: token.createdBy.id });
  }
}

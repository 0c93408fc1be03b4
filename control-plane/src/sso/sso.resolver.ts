import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { SsoConnectionInput } from './sso.input.js';
import * as sso from './sso.service.js';
import { SsoConnectionType } from './sso.type.js';

/** Single sign-on settings of the organization. */
@Resolver(() => SsoConnectionType)
export class SsoResolver {
  @Authorized('org:manage')
  @Query(() => SsoConnectionType, { nullable: true, description: "The organization's identity provider, or null when single sign-on is off." })
  ssoConnection(@Ctx() ctx: GraphQLContext): Promise<SsoConnectionType | null> {
    return sso.getSsoConnection(ctx);
  }

  @Authorized('org:manage')
  @Mutation(() => SsoConnectionType, { description: 'Sets (or replaces) the identity provider; the client secret is stored sealed and never shown again.' })
  setSsoConnection(@Ctx() ctx: GraphQLContext, @Arg('input', () => SsoConnectionInput) input: SsoConnectionInput): Promise<SsoConnectionType> {
    return sso.setSsoConnection(ctx, input);
  }

  @Authorized('org:manage')
  @Mutation(() => Boolean, { description: 'Turns single sign-on off; members sign in with passwords and codes again.' })
  deleteSsoConnection(@Ctx() ctx: GraphQLContext): Promise<boolean> {
    return sso.deleteSsoConnection(ctx);
  }
}

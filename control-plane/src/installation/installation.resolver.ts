import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { InstallationType } from './installation.type.js';

/** The installation's edition and gateway address, for any signed-in caller. */
@Resolver()
export class InstallationResolver {
  @Authorized()
  @Query(() => InstallationType, { description: 'How this Keyward installation is run and where agents reach its gateway.' })
  installation(@Ctx() ctx: GraphQLContext): InstallationType {
    const { edition, gatewayUrl } = ctx.services.config;
    return { edition, gatewayUrl };
  }
}

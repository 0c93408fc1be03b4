import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { TrustedIssuer } from './trusted-issuer.entity.js';
import { AddTrustedIssuerInput, TrustedIssuerIdArgs } from './trusted-issuer.input.js';
import { addTrustedIssuer, removeTrustedIssuer } from './trusted-issuer.service.js';

/** The public keys an organization trusts to sign HDP delegation tokens. */
@Resolver(() => TrustedIssuer)
export class TrustedIssuerResolver {
  @Authorized('org:read')
  @Query(() => [TrustedIssuer], { description: 'Keys trusted to sign HDP delegation tokens, by kid.' })
  trustedIssuers(@Ctx() ctx: GraphQLContext): Promise<TrustedIssuer[]> {
    return ctx.em.find(TrustedIssuer, {}, { orderBy: { kid: 'asc' } });
  }

  @Authorized('org:manage')
  @Mutation(() => TrustedIssuer, { description: 'Trusts an Ed25519 public key to sign HDP tokens (or, with agentId, one agent’s hops); pushed to every node.' })
  addTrustedIssuer(@Arg('input', () => AddTrustedIssuerInput) input: AddTrustedIssuerInput, @Ctx() ctx: GraphQLContext): Promise<TrustedIssuer> {
    return addTrustedIssuer(ctx, input);
  }

  @Authorized('org:manage')
  @Mutation(() => ID, { description: 'Stops trusting a key. Answers the removed id.' })
  removeTrustedIssuer(@Args() args: TrustedIssuerIdArgs, @Ctx() ctx: GraphQLContext): Promise<string> {
    return removeTrustedIssuer(ctx, args.id);
  }
}

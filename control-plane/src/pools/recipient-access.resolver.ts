import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { MyPoolKey, RotatedPoolKey } from './pool.type.js';
import * as access from './recipient-access.service.js';

/**
 * A pool recipient's own page: no Keyward account, a session opened with an emailed code, and
 * only the keys given to that email. Recipients can rotate their key; nothing here changes a limit.
 */
@Resolver()
export class RecipientAccessResolver {
  @Mutation(() => Boolean, { description: 'Emails a code for the key page if a pool gave this address a key. Answers true either way.' })
  requestRecipientCode(@Ctx() ctx: GraphQLContext, @Arg('email', () => String) email: string): Promise<boolean> {
    return access.requestRecipientCode(ctx, email);
  }

  @Mutation(() => String, { description: 'Opens the key page with the emailed code (sets its own cookie); answers the email.' })
  signInAsRecipient(@Ctx() ctx: GraphQLContext, @Arg('email', () => String) email: string, @Arg('code', () => String) code: string): Promise<string> {
    return access.signInAsRecipient(ctx, email, code);
  }

  @Mutation(() => Boolean, { description: 'Closes the key page session.' })
  signOutRecipient(@Ctx() ctx: GraphQLContext): Promise<boolean> {
    return access.signOutRecipient(ctx);
  }

  @Query(() => [MyPoolKey], { description: 'The keys pools gave the signed-in recipient, with limits, spend this period and expiry.' })
  myPoolKeys(@Ctx() ctx: GraphQLContext): Promise<MyPoolKey[]> {
    return access.myPoolKeys(ctx);
  }

  @Mutation(() => RotatedPoolKey, { description: "Gives the signed-in recipient's key a new secret, shown once; the old one stops at once." })
  rotateMyPoolKey(@Ctx() ctx: GraphQLContext, @Arg('recipientId', () => ID) recipientId: string): Promise<RotatedPoolKey> {
    return access.rotateMyPoolKey(ctx, recipientId);
  }
}

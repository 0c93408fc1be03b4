import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { PlaygroundConversation } from './conversation.entity.js';
import { PlaygroundConversationIdArgs, SavePlaygroundConversationInput } from './conversation.input.js';
import { deleteConversation, myConversation, myConversations, saveConversation } from './conversation.service.js';

/** A member's saved playground chats: only their author (a person at the console) sees or changes them. */
@Resolver(() => PlaygroundConversation)
export class PlaygroundConversationResolver {
  @Authorized('keys:read')
  @Query(() => [PlaygroundConversation], { description: 'Your own playground conversations, most recently used first (at most 100).' })
  playgroundConversations(@Ctx() ctx: GraphQLContext): Promise<PlaygroundConversation[]> {
    return myConversations(ctx);
  }

  @Authorized('keys:read')
  @Query(() => PlaygroundConversation, { description: 'One of your playground conversations, with its turns.' })
  playgroundConversation(@Args() args: PlaygroundConversationIdArgs, @Ctx() ctx: GraphQLContext): Promise<PlaygroundConversation> {
    return myConversation(ctx, args.id);
  }

  @Authorized('keys:read')
  @Mutation(() => PlaygroundConversation, { description: 'Saves a playground conversation (its turns as you saw them); stored until you delete it.' })
  savePlaygroundConversation(
    @Arg('input', () => SavePlaygroundConversationInput) input: SavePlaygroundConversationInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<PlaygroundConversation> {
    return saveConversation(ctx, input);
  }

  @Authorized('keys:read')
  @Mutation(() => ID, { description: 'Deletes one of your playground conversations. Answers its id.' })
  deletePlaygroundConversation(@Args() args: PlaygroundConversationIdArgs, @Ctx() ctx: GraphQLContext): Promise<string> {
    return deleteConversation(ctx, args.id);
  }

  @FieldResolver(() => ID, { nullable: true, description: 'The key the conversation chats as; null once that key is deleted.' })
  keyId(@Root() conversation: PlaygroundConversation): string | null {
    return conversation.key?.id ?? null;
  }
}

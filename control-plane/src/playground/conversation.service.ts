import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { Key } from '../keys/key.entity.js';
import { orgCallerOf, personOf } from '../sessions/caller.js';
import { PlaygroundConversation, type PlaygroundMessage } from './conversation.entity.js';
import type { SavePlaygroundConversationInput } from './conversation.input.js';

/** How long a title is: the first prompt's start, on one line. */
const TITLE_CHARS = 80;

/** The signed-in member's own conversations, most recently used first. */
export function myConversations(ctx: GraphQLContext): Promise<PlaygroundConversation[]> {
  return ctx.em.find(PlaygroundConversation, { user: personOf(ctx).userId }, { orderBy: { updatedAt: 'desc', id: 'asc' }, limit: 100 });
}

/** One of the member's conversations; another member's is as absent as a missing one. */
export async function myConversation(ctx: GraphQLContext, id: string): Promise<PlaygroundConversation> {
  const conversation = await ctx.em.findOne(PlaygroundConversation, { id, user: personOf(ctx).userId });
  if (!conversation) throw new AppError('NOT_FOUND', 'No playground conversation of yours has this id.');
  return conversation;
}

/** Saves a new conversation, or replaces the turns of one of the member's own. */
export async function saveConversation(ctx: GraphQLContext, input: SavePlaygroundConversationInput): Promise<PlaygroundConversation> {
  const { userId } = personOf(ctx);
  const { orgId } = orgCallerOf(ctx);
  const key = await ctx.em.findOne(Key, { id: input.keyId });
  if (!key) throw new AppError('NOT_FOUND', 'No key of this organization has this id.', { fields: { keyId: ['does not exist'] } });
  const messages: PlaygroundMessage[] = input.messages.map((m) => ({
    role: m.role,
    content: m.content,
    requestId: m.requestId ?? null,
    status: m.status ?? null,
    errorCode: m.errorCode ?? null,
  }));
  const conversation = input.id
    ? await myConversation(ctx, input.id)
    : ctx.em.create(PlaygroundConversation, { organization: orgId, user: userId, key: null, model: input.model, title: '', messages: [] });
  conversation.key = ctx.em.getReference(Key, key.id, { wrapped: true });
  conversation.model = input.model;
  conversation.messages = messages;
  conversation.title = titleOf(messages);
  conversation.updatedAt = new Date();
  await ctx.em.flush();
  return conversation;
}

/** Deletes one of the member's conversations; answers its id. */
export async function deleteConversation(ctx: GraphQLContext, id: string): Promise<string> {
  const conversation = await myConversation(ctx, id);
  await ctx.em.remove(conversation).flush();
  return id;
}

/** The first prompt, on one line and shortened; "Untitled" when there is none. */
function titleOf(messages: readonly PlaygroundMessage[]): string {
  const first =
    messages
      .find((m) => m.role === 'user')
      ?.content.replace(/\s+/g, ' ')
      .trim() ?? '';
  if (!first) return 'Untitled';
  return first.length > TITLE_CHARS ? `${first.slice(0, TITLE_CHARS - 1)}…` : first;
}

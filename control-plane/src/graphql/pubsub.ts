import { createPubSub } from '@graphql-yoga/subscription';

/**
 * Topics published inside one control-plane process. Payloads are plain objects; subscribers
 * filter by organization themselves.
 */
export type KeywardTopics = Record<string, [unknown]>;

/** In-process publish/subscribe used by GraphQL subscriptions. */
export function createKeywardPubSub() {
  return createPubSub<KeywardTopics>();
}

export type KeywardPubSub = ReturnType<typeof createKeywardPubSub>;

import { buildSchema } from 'type-graphql';
import type { GraphQLSchema } from 'graphql';
import { AuthChecker } from '../auth/auth-checker.js';
import type { KeywardPubSub } from './pubsub.js';
import { RESOLVERS } from './resolvers.js';

/** Builds the executable schema from the resolver classes. */
export function buildKeywardSchema(pubSub: KeywardPubSub): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: RESOLVERS,
    authChecker: AuthChecker,
    authMode: 'error',
    pubSub,
    validate: { forbidUnknownValues: false, validationError: { target: false, value: false } },
  });
}

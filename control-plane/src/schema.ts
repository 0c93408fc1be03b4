import { buildSchema } from 'type-graphql';
import type { GraphQLSchema } from 'graphql';
import { auditMutations } from './audit/audit-trail.js';
import { AuthChecker } from './auth/auth-checker.js';
import type { KeywardPubSub } from './graphql/pubsub.js';
import { RESOLVERS } from './resolvers.js';

/** Builds the executable schema from the resolver classes; every mutation writes an audit entry. */
export async function buildKeywardSchema(pubSub: KeywardPubSub): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: RESOLVERS,
    authChecker: AuthChecker,
    authMode: 'error',
    pubSub,
    validate: { forbidUnknownValues: false, validationError: { target: false, value: false } },
  });
  return auditMutations(schema);
}

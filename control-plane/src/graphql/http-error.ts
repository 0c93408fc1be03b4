import { GraphQLError } from 'graphql';
import { AppError } from '../errors.js';

const STATUS: Record<string, number> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, RATE_LIMITED: 429 };

/** Turns an AppError raised while building the context into a GraphQL error with an HTTP status. */
export function contextError(error: unknown): GraphQLError {
  if (error instanceof AppError) {
    return new GraphQLError(error.message, {
      extensions: { code: error.code, http: { status: STATUS[error.code] ?? 400 } },
    });
  }
  return new GraphQLError('Internal server error.', { extensions: { code: 'INTERNAL_SERVER_ERROR', http: { status: 500 } } });
}

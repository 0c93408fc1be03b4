import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from './logger.js';

/** Stable error codes clients can rely on (`errors[].extensions.code`). */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'PLAN_REQUIRED'
  | 'CONFIG_REJECTED'
  | 'UPSTREAM_UNREACHABLE'
  | 'QUERY_TOO_COMPLEX'
  | 'INTERNAL_SERVER_ERROR';

/**
 * An error whose message is safe to show the caller. Anything else that escapes a resolver
 * becomes a bare INTERNAL_SERVER_ERROR and is logged with the request id.
 */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Codes graphql-js and Apollo produce themselves; their messages name no secret and are kept. */
const PASSTHROUGH_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'QUERY_TOO_COMPLEX',
  // Raised while building the context (graphql/http-error.ts), always from an AppError's safe message.
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'RATE_LIMITED',
]);

/** The one place that turns thrown errors into what clients see. */
export function createErrorFormatter(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrap(error);
    if (original instanceof AppError) {
      return {
        message: original.message,
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: original.code, ...original.details },
      };
    }
    if (isArgumentValidationError(original)) {
      return {
        message: validationMessage(original),
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: 'BAD_USER_INPUT', fields: validationFields(original) },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PASSTHROUGH_CODES.has(code)) {
      return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code } };
    }
    // Input coercion errors ("Variable "$x" got invalid value") have no original error and no code.
    if (!original && !code) {
      return { message: formatted.message, locations: formatted.locations, extensions: { code: 'BAD_USER_INPUT' } };
    }
    log.error({ err: original ?? error, path: formatted.path }, 'unexpected error in resolver');
    return { message: 'Internal server error.', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

function unwrap(error: unknown): unknown {
  if (error instanceof GraphQLError) return error.originalError ?? undefined;
  return error;
}

interface ValidationErrorLike {
  name: string;
  validationErrors: { property: string; constraints?: Record<string, string>; children?: ValidationErrorLike['validationErrors'] }[];
}

function isArgumentValidationError(e: unknown): e is ValidationErrorLike {
  if (typeof e !== 'object' || e === null) return false;
  if ((e as { name?: string }).name === 'ArgumentValidationError') return true;
  // type-graphql 2 throws a plain GraphQLError carrying the class-validator errors in its extensions.
  const inExtensions = (e as GraphQLError).extensions?.validationErrors;
  if (!Array.isArray(inExtensions)) return false;
  (e as unknown as ValidationErrorLike).validationErrors ??= inExtensions as ValidationErrorLike['validationErrors'];
  return true;
}

function validationFields(e: ValidationErrorLike): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const walk = (errs: ValidationErrorLike['validationErrors'], prefix: string) => {
    for (const v of errs) {
      const path = prefix ? `${prefix}.${v.property}` : v.property;
      if (v.constraints) out[path] = Object.values(v.constraints);
      if (v.children?.length) walk(v.children, path);
    }
  };
  walk(e.validationErrors, '');
  return out;
}

function validationMessage(e: ValidationErrorLike): string {
  const fields = validationFields(e);
  const first = Object.entries(fields)[0];
  return first ? `Invalid input: ${first[0]}: ${first[1][0]}.` : 'Invalid input.';
}

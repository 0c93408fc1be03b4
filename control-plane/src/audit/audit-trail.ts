import { GraphQLError, type GraphQLFieldResolver, type GraphQLSchema, defaultFieldResolver } from 'graphql';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { auditActor, auditNoteOf, recordAudit } from './audit.service.js';

/**
 * Makes every root mutation of the schema write one audit entry, whoever wrote its resolver.
 *
 * Why a wrapper over the built schema rather than a type-graphql global middleware: type-graphql
 * runs `@Authorized` checks *before* global middlewares, so a middleware never sees refused
 * attempts, and those are the entries a security reviewer looks for first. Wrapping the
 * finished `Mutation` fields sees every call that reaches execution (authorization and argument
 * validation failures included), over HTTP and over graphql-ws alike.
 */
export function auditMutations(schema: GraphQLSchema): GraphQLSchema {
  const mutation = schema.getMutationType();
  if (!mutation) return schema;
  for (const field of Object.values(mutation.getFields())) {
    field.resolve = audited(field.name, field.resolve ?? defaultFieldResolver);
  }
  return schema;
}

function audited(action: string, resolve: GraphQLFieldResolver<unknown, GraphQLContext>): GraphQLFieldResolver<unknown, GraphQLContext> {
  return async (source, args: Record<string, unknown>, ctx, info) => {
    // Nodes call mutations (heartbeats) every few seconds on their own; they are telemetry,
    // not administrative actions, and would drown the trail. Node state lives in `nodes`.
    if (ctx.viewer?.kind === 'node') return resolve(source, args, ctx, info);
    let result: unknown;
    try {
      result = await resolve(source, args, ctx, info);
    } catch (error) {
      await write(ctx, action, args, null, errorCodeOf(error));
      throw error;
    }
    await write(ctx, action, args, result, null);
    return result;
  };
}

async function write(ctx: GraphQLContext, action: string, args: Record<string, unknown>, result: unknown, errorCode: string | null) {
  const note = auditNoteOf(ctx);
  await recordAudit(ctx.services, {
    orgId: note && 'orgId' in note ? (note.orgId ?? null) : (ctx.viewer?.orgId ?? null),
    actor: auditActor(ctx),
    action,
    // A top-level id argument names the target (revokeKey(id)); otherwise what was created or
    // changed is in the result (createKey → key.id), before ids nested in the input (its teamId).
    targetId: note?.targetId ?? ownId(args) ?? targetIdOf(result) ?? targetIdOf(args),
    outcome: errorCode ? 'failure' : 'success',
    errorCode,
    args,
    ip: ctx.ip,
    userAgent: ctx.userAgent,
    requestId: ctx.requestId,
  });
}

/** `id` or `…Id` at the top level, else the `id` of the first object one level down (`input.id`, `{ token: { id } }`). */
function targetIdOf(value: unknown): string | null {
  if (!value || typeof value !== 'object') return null;
  const obj = value as Record<string, unknown>;
  const direct = ownId(obj);
  if (direct) return direct;
  for (const v of Object.values(obj)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const nested = ownId(v as Record<string, unknown>);
      if (nested) return nested;
    }
  }
  return null;
}

function ownId(obj: Record<string, unknown>): string | null {
  if (typeof obj.id === 'string') return obj.id;
  for (const [name, v] of Object.entries(obj)) {
    if (/^[a-z][A-Za-z]*Id$/.test(name) && typeof v === 'string') return v;
  }
  return null;
}

function errorCodeOf(error: unknown): string {
  if (error instanceof AppError) return error.code;
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  if (original instanceof AppError) return original.code;
  const name = (original as { name?: string })?.name;
  if (name === 'ArgumentValidationError') return 'BAD_USER_INPUT';
  if (name === 'UnauthorizedError') return 'UNAUTHENTICATED';
  if (name === 'ForbiddenError') return 'FORBIDDEN';
  const code = error instanceof GraphQLError ? error.extensions?.code : undefined;
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
}

import { displayPrefix, generateSecret, hashSecret } from '@keyward/shared';
import { roleCan, roleIncludes, type Role } from '../auth/roles.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { orgCallerOf, personOf } from '../sessions/caller.js';
import { ApiToken } from './api-token.entity.js';

/** Longest an expiry may lie ahead; longer-lived automation should use a token without expiry on purpose. */
const MAX_EXPIRY_DAYS = 5 * 366;

/** A new token and its secret, which no later answer contains. */
export interface CreatedToken {
  readonly token: ApiToken;
  readonly secret: string;
}

/**
 * Creates an API token for the signed-in person with at most their own role. The secret is
 * returned once; only its keyed hash and a display prefix are kept.
 */
export async function createApiToken(ctx: GraphQLContext, input: { name: string; role: Role; expiresAt?: Date | null }): Promise<CreatedToken> {
  const person = personOf(ctx);
  const caller = orgCallerOf(ctx);
  if (!roleIncludes(caller.role, input.role)) {
    throw new AppError('FORBIDDEN', `A token cannot have more permissions than you: your role is ${caller.role}, the token asks for ${input.role}.`);
  }
  const expiresAt = input.expiresAt ?? null;
  if (expiresAt) {
    if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= Date.now()) {
      throw new AppError('BAD_USER_INPUT', 'expiresAt must be in the future.', { fields: { expiresAt: ['must be in the future'] } });
    }
    if (expiresAt.getTime() > Date.now() + MAX_EXPIRY_DAYS * 86_400_000) {
      throw new AppError('BAD_USER_INPUT', `expiresAt may be at most ${MAX_EXPIRY_DAYS} days ahead; leave it empty for a token that does not expire.`);
    }
  }
  const secret = generateSecret('api_token');
  const token = ctx.em.create(ApiToken, {
    organization: caller.orgId,
    name: input.name.trim(),
    prefix: displayPrefix(secret),
    tokenHash: hashSecret(secret, ctx.services.config.keyPepper),
    role: input.role,
    createdBy: person.userId,
    expiresAt,
  });
  await ctx.em.flush();
  ctx.log.info({ tokenId: token.id, prefix: token.prefix, role: token.role }, 'API token created');
  return { token, secret };
}

/** Tokens the caller may see: everyone's for member managers, otherwise their own. */
export async function listApiTokens(ctx: GraphQLContext): Promise<ApiToken[]> {
  const caller = orgCallerOf(ctx);
  const where = roleCan(caller.role, 'members:manage') ? {} : { createdBy: caller.userId };
  return ctx.em.find(ApiToken, where, { orderBy: { createdAt: 'desc', id: 'desc' } });
}

/** Revokes a token (idempotent). People revoke their own tokens; member managers revoke anyone's. */
export async function revokeApiToken(ctx: GraphQLContext, id: string): Promise<ApiToken> {
  const caller = orgCallerOf(ctx);
  const token = await ctx.em.findOne(ApiToken, { id });
  if (!token || (token.createdBy.id !== caller.userId && !roleCan(caller.role, 'members:manage'))) {
    throw new AppError('NOT_FOUND', 'No API token with this id.');
  }
  if (!token.revokedAt) {
    token.revokedAt = new Date();
    await ctx.em.flush();
    ctx.log.info({ tokenId: token.id, prefix: token.prefix }, 'API token revoked');
  }
  return token;
}

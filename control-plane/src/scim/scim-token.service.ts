import { displayPrefix, generateSecret, hashSecret } from '@keyward/shared';
import { actorOf } from '../auth/viewer.js';
import { requireOrgPlanFeature } from '../billing/plan-gates.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { orgOf } from '../keys/key.service.js';
import { assertUuid } from '../keys/validators.js';
import { scimBaseUrlOf } from './scim-urls.js';
import { ScimToken } from './scim-token.entity.js';
import type { CreatedScimToken, ScimTokenType } from './scim-token.type.js';

/** Live SCIM tokens one organization may have (one per provider, with room to rotate). */
const MAX_LIVE_TOKENS = 5;

/** The organization's SCIM tokens, newest first. */
export async function listScimTokens(ctx: GraphQLContext): Promise<ScimTokenType[]> {
  return (await ctx.em.find(ScimToken, {}, { orderBy: { createdAt: 'desc', id: 'desc' } })).map(toType);
}

/** The SCIM base URL identity providers are given. */
export function scimBaseUrl(ctx: GraphQLContext): string {
  return scimBaseUrlOf(ctx.services.config.publicUrl);
}

/** Creates a SCIM token: the secret is returned once, only its keyed hash is kept. */
export async function createScimToken(ctx: GraphQLContext, name: string): Promise<CreatedScimToken> {
  const orgId = orgOf(ctx);
  await requireOrgPlanFeature(ctx.services.config.edition, ctx.em, orgId, 'scim');
  if ((await ctx.em.count(ScimToken, { revokedAt: null })) >= MAX_LIVE_TOKENS) {
    throw new AppError('CONFLICT', `An organization may have at most ${MAX_LIVE_TOKENS} live SCIM tokens; revoke one first.`);
  }
  const secret = generateSecret('scim_token');
  const token = ctx.em.create(ScimToken, {
    organization: orgId,
    name: name.trim().slice(0, 120),
    prefix: displayPrefix(secret),
    tokenHash: hashSecret(secret, ctx.services.config.keyPepper),
    createdBy: actorOf(ctx.viewer!),
  });
  await ctx.em.flush();
  ctx.log.info({ tokenId: token.id, prefix: token.prefix }, 'SCIM token created');
  return { token: toType(token), secret, baseUrl: scimBaseUrl(ctx) };
}

/** Revokes a SCIM token at once (idempotent). */
export async function revokeScimToken(ctx: GraphQLContext, id: string): Promise<ScimTokenType> {
  assertUuid(id, 'a SCIM token id');
  const token = await ctx.em.findOne(ScimToken, { id });
  if (!token) throw new AppError('NOT_FOUND', 'No SCIM token with this id in this organization.');
  if (!token.revokedAt) {
    token.revokedAt = new Date();
    await ctx.em.flush();
    ctx.log.info({ tokenId: token.id, prefix: token.prefix }, 'SCIM token revoked');
  }
  return toType(token);
}

function toType(token: ScimToken): ScimTokenType {
  return {
    id: token.id,
    name: token.name,
    prefix: token.prefix,
    createdBy: token.createdBy,
    createdAt: token.createdAt,
    lastUsedAt: token.lastUsedAt,
    revokedAt: token.revokedAt,
  };
}

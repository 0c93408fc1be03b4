import { displayPrefix, generateSecret, hashSecret } from '@keyward/shared';
import { ref, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { applyConfigChange } from '../config-publish/publish.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { Team } from '../teams/team.entity.js';
import { Key } from './key.entity.js';
import type { CreateKeyInput, KeyFilter, UpdateKeyInput } from './key.input.js';
import { KeySecret } from './key-secret.entity.js';
import { toKeyType, type CreatedKey, type KeyConnection, type KeyType, type RotatedKey } from './key.type.js';
import { afterCursor, decodeCursor, encodeCursor, pageSize } from './paging.js';
import { assertUuid } from './validators.js';
import { cacheSettingsOf } from '../routing/response-cache.input.js';
import { checkedMcpAccess } from '../mcp/mcp-access.js';

/** Longest grace period a rotated-out secret may get. */
const MAX_GRACE_SECONDS = 30 * 24 * 3600;

/** The organization the caller acts in; resolvers guarded by a permission always have one. */
export function orgOf(ctx: GraphQLContext): string {
  const orgId = ctx.viewer?.orgId;
  if (!orgId) throw new AppError('FORBIDDEN', 'You are not a member of an organization yet.');
  return orgId;
}

/** Creates a key and returns its secret, which is stored only as a keyed hash. */
export async function createKey(ctx: GraphQLContext, input: CreateKeyInput): Promise<CreatedKey> {
  const orgId = orgOf(ctx);
  const secret = generateSecret('key');
  const key = await applyConfigChange(ctx.services, ctx.em, orgId, 'key created', async (tx) => {
    const team = input.teamId ? await findTeam(tx, input.teamId) : null;
    return tx.create(Key, {
      organization: orgId,
      name: input.name.trim(),
      ownerLabel: input.ownerLabel.trim(),
      team,
      prefix: displayPrefix(secret),
      secretHash: hashSecret(secret, ctx.services.config.keyPepper),
      expiresAt: input.expiresAt ?? null,
      allowedModels: unique(input.allowedModels ?? []),
      credentialIds: unique(input.credentialIds ?? []),
      labels: input.labels ?? {},
      cacheTtlSeconds: cacheSettingsOf(input.cache)?.ttlSeconds ?? null,
      mcpAccess: await checkedMcpAccess(tx, input.mcpAccess ?? []),
      requireProvenance: input.requireProvenance ?? false,
    });
  });
  return { key: toKeyType(key, []), secret };
}

/** Changes a key's name, owner, team, expiry, models, credentials or labels. */
export async function updateKey(ctx: GraphQLContext, id: string, input: UpdateKeyInput): Promise<KeyType> {
  const orgId = orgOf(ctx);
  return applyConfigChange(ctx.services, ctx.em, orgId, 'key updated', async (tx) => {
    const key = await findKey(tx, id);
    if (key.status === 'revoked') throw new AppError('CONFLICT', `Key "${key.name}" is revoked and can no longer be changed.`);
    if (input.name != null) key.name = input.name.trim();
    if (input.ownerLabel != null) key.ownerLabel = input.ownerLabel.trim();
    if (input.teamId !== undefined) key.team = input.teamId === null ? null : ref(await findTeam(tx, input.teamId));
    if (input.expiresAt !== undefined) key.expiresAt = input.expiresAt;
    if (input.allowedModels != null) key.allowedModels = unique(input.allowedModels);
    if (input.credentialIds != null) key.credentialIds = unique(input.credentialIds);
    if (input.labels != null) key.labels = input.labels;
    if (input.cache !== undefined) key.cacheTtlSeconds = cacheSettingsOf(input.cache)?.ttlSeconds ?? null;
    if (input.mcpAccess != null) key.mcpAccess = await checkedMcpAccess(tx, input.mcpAccess);
    if (input.requireProvenance != null) key.requireProvenance = input.requireProvenance;
    return toKeyType(key, await graceSecretsOf(tx, [key.id]));
  });
}

/** Revokes a key at once, with any rotated-out secrets. Revoking a revoked key changes nothing. */
export async function revokeKey(ctx: GraphQLContext, id: string): Promise<KeyType> {
  const orgId = orgOf(ctx);
  return applyConfigChange(ctx.services, ctx.em, orgId, 'key revoked', async (tx) => {
    const key = await findKey(tx, id);
    await revokeKeyIn(tx, key, new Date());
    return toKeyType(key, []);
  });
}

/** Marks a key revoked inside the caller's config change and drops its rotated-out secrets; a revoked key stays as it was. */
export async function revokeKeyIn(tx: EntityManager, key: Key, now: Date): Promise<void> {
  if (key.status === 'revoked') return;
  key.status = 'revoked';
  key.revokedAt = now;
  await tx.nativeDelete(KeySecret, { key: key.id });
}

/**
 * Gives a key a new secret. The old one keeps working for `graceSeconds` (0: it stops now), so
 * agents can switch over; every older rotated-out secret keeps its own grace period.
 */
export async function rotateKey(ctx: GraphQLContext, id: string, graceSeconds: number): Promise<RotatedKey> {
  if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_GRACE_SECONDS) {
    throw new AppError('BAD_USER_INPUT', `graceSeconds must be a whole number from 0 to ${MAX_GRACE_SECONDS} (30 days).`);
  }
  const orgId = orgOf(ctx);
  const secret = generateSecret('key');
  const now = new Date();
  const graceUntil = graceSeconds > 0 ? new Date(now.getTime() + graceSeconds * 1000) : null;
  const key = await applyConfigChange(ctx.services, ctx.em, orgId, 'key rotated', async (tx) => {
    const key = await findKey(tx, id);
    if (key.status === 'revoked') throw new AppError('CONFLICT', `Key "${key.name}" is revoked and cannot be rotated.`);
    if (key.expiresAt && key.expiresAt <= now) {
      throw new AppError('CONFLICT', `Key "${key.name}" has expired; give it a new expiry with updateKey before rotating it.`);
    }
    await tx.nativeDelete(KeySecret, { key: key.id, graceUntil: { $lte: now } });
    if (graceUntil) {
      tx.create(KeySecret, { organization: orgId, key, secretHash: key.secretHash, prefix: key.prefix, graceUntil });
    }
    key.secretHash = hashSecret(secret, ctx.services.config.keyPepper);
    key.prefix = displayPrefix(secret);
    key.rotatedAt = now;
    return key;
  });
  const graceSecrets = await graceSecretsOf(ctx.em, [key.id]);
  return { key: toKeyType(key, graceSecrets), secret, previousSecretValidUntil: graceUntil };
}

/** Makes a key stop working now (it stays listed, as expired). Rotated-out secrets stop too. */
export async function expireKey(ctx: GraphQLContext, id: string): Promise<KeyType> {
  const orgId = orgOf(ctx);
  return applyConfigChange(ctx.services, ctx.em, orgId, 'key expired', async (tx) => {
    const key = await findKey(tx, id);
    if (key.status === 'revoked') throw new AppError('CONFLICT', `Key "${key.name}" is revoked; there is nothing to expire.`);
    const now = new Date();
    if (!key.expiresAt || key.expiresAt > now) key.expiresAt = now;
    await tx.nativeDelete(KeySecret, { key: key.id });
    return toKeyType(key, []);
  });
}

/** One key of the caller's organization. */
export async function getKey(ctx: GraphQLContext, id: string): Promise<KeyType> {
  const key = await findKey(ctx.em, id);
  return toKeyType(key, await graceSecretsOf(ctx.em, [key.id]));
}

/** A page of the organization's keys, newest first. */
export async function listKeys(
  ctx: GraphQLContext,
  filter: KeyFilter | null | undefined,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<KeyConnection> {
  const limit = pageSize(first);
  const cursor = decodeCursor(after);
  const now = new Date();
  const conditions: FilterQuery<Key>[] = [];
  if (filter?.status === 'revoked') conditions.push({ status: 'revoked' });
  if (filter?.status === 'active') conditions.push({ status: 'active', $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] });
  if (filter?.status === 'expired') conditions.push({ status: 'active', expiresAt: { $lte: now } });
  if (filter?.teamId) conditions.push({ team: filter.teamId });
  if (filter?.search) {
    const like = `%${filter.search.replace(/[\\%_]/g, '\\$&')}%`;
    conditions.push({ $or: [{ name: { $ilike: like } }, { ownerLabel: { $ilike: like } }, { prefix: { $ilike: like } }] });
  }
  const where: FilterQuery<Key> = conditions.length > 0 ? { $and: conditions } : {};
  const paged: FilterQuery<Key> = cursor ? { $and: [...conditions, afterCursor('createdAt', cursor) as FilterQuery<Key>] } : where;
  const [keys, totalCount] = await Promise.all([
    ctx.em.find(Key, paged, { populate: ['team'], orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: limit + 1 }),
    ctx.em.count(Key, where),
  ]);
  const page = keys.slice(0, limit);
  const grace = await graceSecretsOf(
    ctx.em,
    page.map((k) => k.id),
  );
  const last = page[page.length - 1];
  return {
    nodes: page.map((k) =>
      toKeyType(
        k,
        grace.filter((s) => s.key.id === k.id),
        now,
      ),
    ),
    pageInfo: { endCursor: last ? encodeCursor(last.createdAt, last.id) : null, hasNextPage: keys.length > limit },
    totalCount,
  };
}

/** A key of the caller's organization (the tenant filter hides every other), with its team. */
export async function findKey(em: EntityManager, id: string): Promise<Key> {
  assertUuid(id, 'a key id');
  const key = await em.findOne(Key, { id }, { populate: ['team'] });
  if (!key) throw new AppError('NOT_FOUND', `No key with id ${id} in this organization.`);
  return key;
}

async function findTeam(em: EntityManager, id: string): Promise<Team> {
  assertUuid(id, 'a team id');
  const team = await em.findOne(Team, { id });
  if (!team) throw new AppError('NOT_FOUND', `No team with id ${id} in this organization.`);
  return team;
}

async function graceSecretsOf(em: EntityManager, keyIds: string[]): Promise<KeySecret[]> {
  if (keyIds.length === 0) return [];
  return em.find(KeySecret, { key: { $in: keyIds }, graceUntil: { $gt: new Date() } }, { orderBy: { graceUntil: 'asc' } });
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

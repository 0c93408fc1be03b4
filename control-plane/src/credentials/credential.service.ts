import { randomUUID } from 'node:crypto';
import { checkBaseUrl, needsRewrap, rewrapSealed, sealSecret, UnsafeUrlError, type ProviderKind } from '@keyward/shared';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { applyConfigChange } from '../config-publish/publish.js';
import { sqlRows } from '../config-publish/sql.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { orgOf } from '../keys/key.service.js';
import { assertUuid } from '../keys/validators.js';
import type { Services } from '../services.js';
import { Credential, credentialAad } from './credential.entity.js';
import { apiKeyProblem, type CreateCredentialInput, type UpdateCredentialInput } from './credential.input.js';
import type { CredentialKeyRef, CredentialType, RewrapResult } from './credential.type.js';

/** Stores a provider secret sealed under the KMS, bound to its organization and row. */
export async function createCredential(ctx: GraphQLContext, input: CreateCredentialInput): Promise<CredentialType> {
  const orgId = orgOf(ctx);
  const baseUrl = checkedBaseUrl(ctx.services, input.provider, input.baseUrl ?? null);
  // The id is chosen first because it is part of the associated data the secret is sealed with;
  // sealing happens before the transaction so a slow KMS never holds database locks.
  const id = randomUUID();
  const sealed = await sealSecret(ctx.services.kms, input.apiKey, credentialAad(orgId, id));
  const credential = await withUniqueName(input.name, () =>
    applyConfigChange(ctx.services, ctx.em, orgId, 'credential created', async (tx) => {
      await assertNameFree(tx, input.name.trim(), null);
      return tx.create(Credential, {
        id,
        organization: orgId,
        provider: input.provider,
        name: input.name.trim(),
        baseUrl,
        models: [...new Set(input.models ?? [])],
        lastFour: input.apiKey.slice(-4),
        ...sealed,
      });
    }),
  );
  return toCredentialType(ctx.services, credential, []);
}

/** Changes a credential's name, base URL or models. */
export async function updateCredential(ctx: GraphQLContext, id: string, input: UpdateCredentialInput): Promise<CredentialType> {
  const orgId = orgOf(ctx);
  const credential = await withUniqueName(input.name ?? '', () =>
    applyConfigChange(ctx.services, ctx.em, orgId, 'credential updated', async (tx) => {
      const credential = await findCredential(tx, id);
      if (input.name != null && input.name.trim() !== credential.name) {
        await assertNameFree(tx, input.name.trim(), credential.id);
        credential.name = input.name.trim();
      }
      if (input.baseUrl !== undefined) credential.baseUrl = checkedBaseUrl(ctx.services, credential.provider, input.baseUrl);
      if (input.models != null) credential.models = [...new Set(input.models)];
      return credential;
    }),
  );
  return toCredentialType(ctx.services, credential, await keysNaming(ctx.em, orgId, [credential.id]));
}

/** Replaces a credential's secret. Nodes see a new `secretVersion` and drop cached plaintext. */
export async function rotateCredentialSecret(ctx: GraphQLContext, id: string, apiKey: string): Promise<CredentialType> {
  const problem = apiKeyProblem(apiKey);
  if (problem) throw new AppError('BAD_USER_INPUT', problem);
  const orgId = orgOf(ctx);
  const existing = await findCredential(ctx.em, id);
  const sealed = await sealSecret(ctx.services.kms, apiKey, credentialAad(orgId, existing.id));
  const credential = await applyConfigChange(ctx.services, ctx.em, orgId, 'credential rotated', async (tx) => {
    const credential = await findCredential(tx, id);
    credential.rotateTo(sealed, apiKey);
    return credential;
  });
  return toCredentialType(ctx.services, credential, await keysNaming(ctx.em, orgId, [credential.id]));
}

/**
 * Deletes a credential. Refused while an active key names it explicitly (the message lists
 * them): silently detaching would reroute those keys to other credentials, possibly another
 * provider account, which is a decision for a person to make.
 */
export async function deleteCredential(ctx: GraphQLContext, id: string): Promise<string> {
  const orgId = orgOf(ctx);
  return applyConfigChange(ctx.services, ctx.em, orgId, 'credential deleted', async (tx) => {
    const credential = await findCredential(tx, id);
    const users = (await keysNaming(tx, orgId, [credential.id])).get(credential.id) ?? [];
    if (users.length > 0) {
      const names = users
        .slice(0, 5)
        .map((k) => `"${k.name}" (${k.prefix})`)
        .join(', ');
      const more = users.length > 5 ? ` and ${users.length - 5} more` : '';
      throw new AppError(
        'CONFLICT',
        `Credential "${credential.name}" is still used by key${users.length > 1 ? 's' : ''} ${names}${more}; remove it from their credentials first.`,
        { keyIds: users.map((k) => k.id) },
      );
    }
    tx.remove(credential);
    return credential.id;
  });
}

/**
 * Re-wraps the data key of every credential of the organization under the KMS's current
 * primary KEK (after a KEK rotation), so the old KEK can be retired. Ciphertexts are untouched.
 */
export async function rewrapCredentials(ctx: GraphQLContext): Promise<RewrapResult> {
  const orgId = orgOf(ctx);
  const kms = ctx.services.kms;
  return applyConfigChange(ctx.services, ctx.em, orgId, 'credentials re-wrapped', async (tx) => {
    const credentials = await tx.find(Credential, {}, { orderBy: { id: 'asc' } });
    let rewrapped = 0;
    for (const credential of credentials) {
      if (!needsRewrap(kms, credential.sealed())) continue;
      credential.setSealed(await rewrapSealed(kms, credential.sealed(), credentialAad(orgId, credential.id)));
      rewrapped += 1;
    }
    return { rewrapped, alreadyCurrent: credentials.length - rewrapped, primaryKekId: kms.primaryKekId() };
  });
}

/** One credential of the organization, with the keys naming it. */
export async function getCredential(ctx: GraphQLContext, id: string): Promise<CredentialType> {
  const credential = await findCredential(ctx.em, id);
  return toCredentialType(ctx.services, credential, await keysNaming(ctx.em, orgOf(ctx), [credential.id]));
}

/** Every credential of the organization, by name. */
export async function listCredentials(ctx: GraphQLContext): Promise<CredentialType[]> {
  const credentials = await ctx.em.find(Credential, {}, { orderBy: { name: 'asc', id: 'asc' } });
  const users = await keysNaming(
    ctx.em,
    orgOf(ctx),
    credentials.map((c) => c.id),
  );
  return credentials.map((c) => toCredentialType(ctx.services, c, users));
}

/** A credential of the caller's organization (the tenant filter hides every other). */
async function findCredential(em: EntityManager, id: string): Promise<Credential> {
  assertUuid(id, 'a credential id');
  const credential = await em.findOne(Credential, { id });
  if (!credential) throw new AppError('NOT_FOUND', `No credential with id ${id} in this organization.`);
  return credential;
}

function toCredentialType(services: Services, c: Credential, users: Map<string, CredentialKeyRef[]> | []): CredentialType {
  return {
    id: c.id,
    provider: c.provider,
    name: c.name,
    baseUrl: c.baseUrl,
    models: c.models,
    lastFour: c.lastFour,
    secretVersion: c.secretVersion,
    needsRewrap: needsRewrap(services.kms, c.sealed()),
    createdAt: c.createdAt,
    rotatedAt: c.rotatedAt,
    keys: Array.isArray(users) ? [] : (users.get(c.id) ?? []),
  };
}

/** Active keys of the organization that name any of `credentialIds`, grouped by credential. */
async function keysNaming(em: EntityManager, orgId: string, credentialIds: string[]): Promise<Map<string, CredentialKeyRef[]>> {
  const out = new Map<string, CredentialKeyRef[]>();
  if (credentialIds.length === 0) return out;
  const wanted = new Set(credentialIds);
  const rows = await sqlRows<{ id: string; name: string; prefix: string; credential_ids: string[] }>(
    em,
    `select id, name, prefix, credential_ids from keys
      where organization_id = ? and status = 'active' and jsonb_array_length(credential_ids) > 0
      order by name, id`,
    [orgId],
  );
  for (const row of rows) {
    for (const credentialId of row.credential_ids) {
      if (!wanted.has(credentialId)) continue;
      const list = out.get(credentialId) ?? [];
      list.push({ id: row.id, name: row.name, prefix: row.prefix });
      out.set(credentialId, list);
    }
  }
  return out;
}

/**
 * A base URL as stored: checked against the SSRF rules (https, public address; the data plane
 * checks the resolved address again at connect time) and required for OpenAI-compatible providers.
 */
function checkedBaseUrl(services: Services, provider: ProviderKind, value: string | null): string | null {
  const trimmed = value?.trim() || null;
  if (trimmed === null) {
    if (provider === 'openai_compatible') throw new AppError('BAD_USER_INPUT', 'An OpenAI-compatible credential needs a baseUrl.');
    return null;
  }
  try {
    checkBaseUrl(trimmed, { allowLoopback: services.config.allowLoopbackUpstreams });
  } catch (error) {
    if (error instanceof UnsafeUrlError) throw new AppError('BAD_USER_INPUT', `The baseUrl was refused: ${error.message}.`, { field: 'baseUrl' });
    throw error;
  }
  return trimmed.replace(/\/+$/, '');
}

async function assertNameFree(em: EntityManager, name: string, exceptId: string | null): Promise<void> {
  const clash = await em.findOne(Credential, exceptId ? { name, id: { $ne: exceptId } } : { name });
  if (clash) throw new AppError('CONFLICT', `A credential named "${name}" already exists in this organization.`);
}

/** Two concurrent creates can both pass `assertNameFree`; the unique index then decides. */
async function withUniqueName<T>(name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw new AppError('CONFLICT', `A credential named "${name.trim()}" already exists in this organization.`);
    }
    throw error;
  }
}

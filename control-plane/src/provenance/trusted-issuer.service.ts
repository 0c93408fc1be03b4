import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { hdpPublicKeyProblem } from '@keyward/shared';
import { applyConfigChange } from '../config-publish/publish.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { orgCallerOf } from '../sessions/caller.js';
import { TrustedIssuer } from './trusted-issuer.entity.js';
import type { AddTrustedIssuerInput } from './trusted-issuer.input.js';

/** Adds a trusted key and pushes it to the nodes; a kid names one key per organization. */
export async function addTrustedIssuer(ctx: GraphQLContext, input: AddTrustedIssuerInput): Promise<TrustedIssuer> {
  const problem = hdpPublicKeyProblem(input.publicKey.trim());
  if (problem) throw new AppError('BAD_USER_INPUT', `publicKey ${problem}.`, { fields: { publicKey: [problem] } });
  const orgId = orgCallerOf(ctx).orgId;
  try {
    return await applyConfigChange(ctx.services, ctx.em, orgId, 'trusted issuer added', async (tx) =>
      tx.create(TrustedIssuer, {
        organization: orgId,
        name: input.name.trim(),
        kid: input.kid,
        publicKey: input.publicKey.trim(),
        agentId: input.agentId ?? null,
      }),
    );
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw new AppError('CONFLICT', `A trusted key with kid "${input.kid}" already exists; remove it first to replace it.`, { fields: { kid: ['is taken'] } });
    }
    throw error;
  }
}

/** Removes a trusted key; nodes stop accepting tokens it signed once the config reaches them. */
export async function removeTrustedIssuer(ctx: GraphQLContext, id: string): Promise<string> {
  await applyConfigChange(ctx.services, ctx.em, orgCallerOf(ctx).orgId, 'trusted issuer removed', async (tx) => {
    const issuer = await tx.findOne(TrustedIssuer, { id });
    if (!issuer) throw new AppError('NOT_FOUND', 'No trusted issuer with this id.');
    tx.remove(issuer);
  });
  return id;
}

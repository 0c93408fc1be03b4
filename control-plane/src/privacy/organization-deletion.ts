import type { EntityManager } from '@mikro-orm/postgresql';
import { requestConfigPublish } from '../config-publish/publish.js';
import { sqlRows } from '../config-publish/sql.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { Organization } from '../organizations/organization.entity.js';

/**
 * An owner asks for their organization to be deleted. Its keys stop at once (the published
 * config carries none of them from this version on); every row goes when the grace period
 * (`KEYWARD_ORG_DELETION_GRACE_DAYS`, 14 by default) has passed, unless an owner cancels first.
 */
export async function requestOrganizationDeletion(ctx: GraphQLContext, orgId: string): Promise<Organization> {
  const org = await ctx.em.findOneOrFail(Organization, { id: orgId });
  if (org.deletionDueAt) throw new AppError('CONFLICT', `This organization is already being deleted, on ${org.deletionDueAt.toISOString()}.`);
  const now = new Date();
  org.deletionRequestedAt = now;
  org.deletionDueAt = new Date(now.getTime() + ctx.services.config.orgDeletionGraceDays * 86_400_000);
  await ctx.em.flush();
  await requestConfigPublish(ctx.services, orgId, 'organization deletion requested');
  ctx.log.info({ orgId, dueAt: org.deletionDueAt }, 'organization deletion requested');
  return org;
}

/** Cancels a pending deletion during its grace period; the keys work again from the next config version. */
export async function cancelOrganizationDeletion(ctx: GraphQLContext, orgId: string): Promise<Organization> {
  const em = ctx.em as EntityManager;
  // Only a deletion whose time has not come: once due, the job may already be deleting rows.
  const [cancelled] = await sqlRows(
    em,
    'update organizations set deletion_requested_at = null, deletion_due_at = null where id = ? and deletion_due_at > now() returning id',
    [orgId],
  );
  if (!cancelled) throw new AppError('CONFLICT', 'This organization is not being deleted, or its grace period is over and its deletion has begun.');
  await requestConfigPublish(ctx.services, orgId, 'organization deletion cancelled');
  const org = await ctx.em.findOneOrFail(Organization, { id: orgId });
  await ctx.em.refresh(org);
  return org;
}

import { GraphQLJSONObject } from 'graphql-scalars';
import { Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { orgOf } from '../keys/key.service.js';
import { Organization } from '../organizations/organization.entity.js';
import { noteAudit } from '../audit/audit.service.js';
import { SESSION_COOKIE } from '../auth/authenticate.js';
import { requestConfigPublish } from '../config-publish/publish.js';
import type { GraphQLContext } from '../graphql/context.js';
import { personOf } from '../sessions/caller.js';
import { requireRecentSignIn } from '../sessions/recent-sign-in.js';
import { deleteAccount } from './account-deletion.js';
import { cancelOrganizationDeletion, requestOrganizationDeletion } from './organization-deletion.js';
import { personalData } from './personal-data.js';
import { ExportLink } from '../exports/export.type.js';
import { archiveFileName, signArchiveLink } from '../org-archive/archive-link.js';

/** A person's rights over their own data: a copy of it, and its deletion. People at the console only. */
@Resolver()
export class PrivacyResolver {
  @Authorized()
  @Mutation(() => GraphQLJSONObject, {
    description:
      'Everything Keyward holds about you, in every organization, as one JSON document: profile, memberships, sessions, API tokens (metadata), ' +
      'the audit entries you wrote, the keys issued to you (ownerLabel = your email) and their usage events. Needs a recent sign-in.',
  })
  async exportMyData(@Ctx() ctx: GraphQLContext): Promise<Record<string, unknown>> {
    const person = personOf(ctx);
    await requireRecentSignIn(ctx, 'download your data');
    noteAudit(ctx, { targetId: person.userId });
    return personalData(ctx.em, person.userId);
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description:
      'Deletes your account: your sessions and API tokens end at once, your memberships go, your name and email are erased, ' +
      "and the organizations' records keep a stable pseudonym in your place. The only owner of an organization must transfer or delete it first. Needs a recent sign-in.",
  })
  async deleteAccount(@Ctx() ctx: GraphQLContext): Promise<boolean> {
    const person = personOf(ctx);
    await requireRecentSignIn(ctx, 'delete your account');
    const { relabelledOrgIds } = await deleteAccount(ctx.em, ctx.services.config.keyPepper, person.userId);
    noteAudit(ctx, { targetId: person.userId });
    ctx.cookies?.clear(SESSION_COOKIE);
    ctx.log.info({ userId: person.userId }, 'account deleted');
    for (const orgId of relabelledOrgIds) await requestConfigPublish(ctx.services, orgId, 'key owner deleted their account');
    return true;
  }

  @Authorized('org:export')
  @Mutation(() => ExportLink, {
    description:
      'Signs a download link (15 minutes) for an archive of your whole organization as gzipped NDJSON: configuration, keys (metadata), policies and routes with their versions, ' +
      'budgets, teams, members, usage events, the audit trail with its chain, approvals and billing records — never a secret — that `npm run org:import` loads into another Keyward. Owners only; needs a recent sign-in.',
  })
  async exportOrganization(@Ctx() ctx: GraphQLContext): Promise<ExportLink> {
    personOf(ctx);
    await requireRecentSignIn(ctx, 'export the organization');
    const orgId = orgOf(ctx);
    const org = await ctx.em.findOneOrFail(Organization, { id: orgId });
    noteAudit(ctx, { targetId: orgId });
    const { url, expiresAt } = signArchiveLink(ctx.services.config.publicUrl, ctx.services.config.keyPepper, orgId);
    return { url, expiresAt, fileName: archiveFileName(org.slug, new Date()) };
  }

  @Authorized('org:delete')
  @Mutation(() => Organization, {
    description:
      'Deletes your organization after a grace period (KEYWARD_ORG_DELETION_GRACE_DAYS, 14 days by default): its keys stop at once, an owner can cancel until deletionDueAt, then every row of the organization is deleted. Owners only; needs a recent sign-in.',
  })
  async deleteOrganization(@Ctx() ctx: GraphQLContext): Promise<Organization> {
    personOf(ctx);
    await requireRecentSignIn(ctx, 'delete the organization');
    return requestOrganizationDeletion(ctx, orgOf(ctx));
  }

  @Authorized('org:delete')
  @Mutation(() => Organization, { description: 'Cancels the deletion of your organization during its grace period; its keys work again at once. Owners only.' })
  async cancelOrganizationDeletion(@Ctx() ctx: GraphQLContext): Promise<Organization> {
    personOf(ctx);
    return cancelOrganizationDeletion(ctx, orgOf(ctx));
  }
}

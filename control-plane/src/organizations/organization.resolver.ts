import type { Plan } from '@keyward/shared';
import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { noteAudit } from '../audit/audit.service.js';
import { plansApply } from '../billing/plans.js';
import type { GraphQLContext } from '../graphql/context.js';
import { orgCallerOf, personOf } from '../sessions/caller.js';
import { Session } from '../sessions/session.entity.js';
import { CreateOrganizationInput, UpdateOrganizationSettingsInput } from './organization.input.js';
import { PlanEnum } from './enums.js';
import { Organization } from './organization.entity.js';
import { createOrganization, updateOrganizationSettings } from './organization.service.js';
import { retentionPeriods } from './retention-periods.js';
import { RetentionPeriodsType } from './retention-periods.type.js';

/** The caller's organization and new organizations. */
@Resolver(() => Organization)
export class OrganizationResolver {
  @Authorized('org:read')
  @Query(() => Organization, { description: 'The organization this request acts in.' })
  organization(@Ctx() ctx: GraphQLContext): Promise<Organization> {
    return ctx.em.findOneOrFail(Organization, { id: orgCallerOf(ctx).orgId });
  }

  @Authorized()
  @Mutation(() => Organization, { description: 'Creates an organization with you as its owner and switches this session to it.' })
  async createOrganization(@Arg('input', () => CreateOrganizationInput) input: CreateOrganizationInput, @Ctx() ctx: GraphQLContext): Promise<Organization> {
    const person = personOf(ctx);
    const org = await createOrganization(ctx.services, ctx.em, { name: input.name, slug: input.slug, ownerId: person.userId });
    await ctx.em.nativeUpdate(Session, { id: person.sessionId }, { activeOrganization: org.id });
    noteAudit(ctx, { orgId: org.id, targetId: org.id });
    return org;
  }

  @Authorized('org:manage')
  @Mutation(() => Organization, { description: "Changes the organization's name and settings; omitted fields keep their value." })
  updateOrganizationSettings(
    @Arg('input', () => UpdateOrganizationSettingsInput) input: UpdateOrganizationSettingsInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Organization> {
    return updateOrganizationSettings(ctx.services, ctx.em, orgCallerOf(ctx).orgId, input);
  }

  @FieldResolver(() => RetentionPeriodsType, { description: 'How long its records are kept, as applied, and where each period comes from.' })
  retention(@Root() org: Organization, @Ctx() ctx: GraphQLContext): RetentionPeriodsType {
    const periods = retentionPeriods(ctx.services.config.edition, org);
    return { ...periods, fixedByPlan: periods.eventSource === 'plan' };
  }

  @FieldResolver(() => Int, { description: 'Days between an owner asking to delete the organization and its deletion (KEYWARD_ORG_DELETION_GRACE_DAYS).' })
  deletionGraceDays(@Ctx() ctx: GraphQLContext): number {
    return ctx.services.config.orgDeletionGraceDays;
  }

  @FieldResolver(() => PlanEnum, { nullable: true, description: "The organization's plan; null on a self-hosted installation, which has no plans." })
  plan(@Root() org: Organization, @Ctx() ctx: GraphQLContext): Plan | null {
    return plansApply(ctx.services.config.edition) ? org.plan : null;
  }
}

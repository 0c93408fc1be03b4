import type { PolicyDocument } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Organization } from '../organizations/organization.entity.js';
import { requirePlanFeature, type PlanFeature } from './plans.js';

/** Throws `PLAN_REQUIRED` unless the organization's plan includes `feature` (reads the plan through `em`). */
export async function requireOrgPlanFeature(em: EntityManager, orgId: string, feature: PlanFeature): Promise<void> {
  const org = await em.findOneOrFail(Organization, { id: orgId }, { filters: { tenant: false } });
  requirePlanFeature(org, feature);
}

/**
 * Approval policies need the approvals feature: a policy whose rules (enforced or in shadow)
 * hold requests for approval is refused on a plan without it.
 */
export async function requirePlanForPolicy(em: EntityManager, orgId: string, document: PolicyDocument): Promise<void> {
  if (document.rules.some((rule) => rule.action.type === 'hold')) await requireOrgPlanFeature(em, orgId, 'approvals');
}

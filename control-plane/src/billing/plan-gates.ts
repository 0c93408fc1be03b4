import type { PolicyDocument } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Edition } from '../config.js';
import { Organization } from '../organizations/organization.entity.js';
import { plansApply, requirePlanFeature, type PlanFeature } from './plans.js';

/**
 * Throws `PLAN_REQUIRED` unless the installation is self-hosted or the organization's plan
 * includes `feature` (reads the plan through `em`).
 */
export async function requireOrgPlanFeature(edition: Edition, em: EntityManager, orgId: string, feature: PlanFeature): Promise<void> {
  if (!plansApply(edition)) return;
  const org = await em.findOneOrFail(Organization, { id: orgId }, { filters: { tenant: false } });
  requirePlanFeature(edition, org, feature);
}

/**
 * Approval policies need the approvals feature: a policy whose rules (enforced or in shadow)
 * hold requests for approval is refused on a plan without it.
 */
export async function requirePlanForPolicy(edition: Edition, em: EntityManager, orgId: string, document: PolicyDocument): Promise<void> {
  if (document.rules.some((rule) => rule.action.type === 'hold')) await requireOrgPlanFeature(edition, em, orgId, 'approvals');
}

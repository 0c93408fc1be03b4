import type { EntityManager } from '@mikro-orm/postgresql';
import { actorNames } from '../policies/actor-names.js';
import { Policy } from '../policies/policy.entity.js';
import type { ApprovalRequest } from './approval.entity.js';
import { ApprovalEvent } from './approval-event.entity.js';
import type { ApprovalEventView, ApprovalType } from './approval.type.js';

/**
 * GraphQL views of approvals: keys must be populated; policy and decider names are looked up in
 * one query each. `em` decides what is visible: a request's entity manager sees only its
 * organization, so a policy or token of another organization never lends its name.
 */
export async function toApprovalTypes(em: EntityManager, approvals: readonly ApprovalRequest[]): Promise<ApprovalType[]> {
  if (approvals.length === 0) return [];
  const policyIds = [...new Set(approvals.map((a) => a.policyId).filter((id): id is string => id !== null))];
  const [policies, names] = await Promise.all([
    policyIds.length ? em.find(Policy, { id: { $in: policyIds } }, { fields: ['id', 'name'] }) : [],
    actorNames(
      em,
      approvals.map((a) => a.decidedBy),
    ),
  ]);
  const policyName = new Map(policies.map((p) => [p.id, p.name]));
  return approvals.map((a) => {
    const key = a.key.getEntity();
    return {
      id: a.id,
      status: a.status,
      decision: a.decision,
      phase: a.phase,
      reason: {
        kind: a.reasonKind,
        policyId: a.policyId,
        policyName: a.policyId ? (policyName.get(a.policyId) ?? null) : null,
        policyVersion: a.policyVersion,
        ruleId: a.ruleId,
        budgetId: a.budgetId,
      },
      key: { id: key.id, name: key.name, prefix: key.prefix, ownerLabel: key.ownerLabel },
      nodeId: a.nodeId,
      requestId: a.requestId,
      api: a.api,
      endpoint: a.endpoint,
      model: a.model,
      summary: a.summary,
      expiresAt: a.expiresAt,
      onTimeout: a.onTimeout,
      decidedBy: a.decidedBy,
      decidedByName: a.decidedBy ? (names.get(a.decidedBy) ?? null) : null,
      decisionReason: a.decisionReason,
      decidedAt: a.decidedAt,
      outcome: a.outcome,
      outcomeAt: a.outcomeAt,
      createdAt: a.createdAt,
    };
  });
}

/** An approval's history, oldest first. */
export async function toApprovalEventViews(em: EntityManager, approvalId: string): Promise<ApprovalEventView[]> {
  const events = await em.find(ApprovalEvent, { approval: approvalId }, { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  const names = await actorNames(
    em,
    events.map((e) => e.actor),
  );
  return events.map((e) => ({
    type: e.type,
    actor: e.actor,
    actorName: names.get(e.actor) ?? null,
    channel: e.channel,
    detail: e.detail,
    createdAt: e.createdAt,
  }));
}

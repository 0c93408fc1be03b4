import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PolicyFormat } from '@keyward/shared';
import { actorOf } from '../auth/viewer.js';
import { applyConfigChange } from '../config-publish/publish.js';
import { requirePlanForPolicy } from '../billing/plan-gates.js';
import { AppError } from '../errors.js';
import { forkForOrg, type GraphQLContext } from '../graphql/context.js';
import { Key } from '../keys/key.entity.js';
import { orgOf } from '../keys/key.service.js';
import { assertUuid } from '../keys/validators.js';
import { Team } from '../teams/team.entity.js';
import { PolicyAttachment } from './policy-attachment.entity.js';
import { Policy } from './policy.entity.js';
import type { CreatePolicyInput, ScopeInput } from './policy.input.js';
import { checkPolicySource, withShadow, type CheckedPolicySource } from './policy-source.js';
import { PolicyVersion } from './policy-version.entity.js';
import type { PolicyType, PolicyVersionType } from './policy.type.js';
import { toPolicyTypes, toPolicyVersionTypes } from './policy-view.js';

/** Most policies one organization may have (each is compiled into every node's config). */
const MAX_POLICIES_PER_ORG = 200;
/** Most places one policy may be attached. */
const MAX_ATTACHMENTS_PER_POLICY = 1000;

/** Every policy of the organization, by name. */
export async function listPolicies(ctx: GraphQLContext): Promise<PolicyType[]> {
  const policies = await ctx.em.find(Policy, {}, { orderBy: [{ name: 'asc' }, { id: 'asc' }] });
  return toPolicyTypes(ctx.em, policies);
}

/** One policy of the organization. */
export async function getPolicy(ctx: GraphQLContext, id: string): Promise<PolicyType> {
  const [view] = await toPolicyTypes(ctx.em, [await findPolicy(ctx.em, id)]);
  return view!;
}

/** A policy's versions, newest first. */
export async function listPolicyVersions(ctx: GraphQLContext, id: string): Promise<PolicyVersionType[]> {
  const policy = await findPolicy(ctx.em, id);
  return toPolicyVersionTypes(ctx.em, policy.id);
}

/** Creates a policy from JSON or YAML text; version 1 keeps the text as written. */
export async function createPolicy(ctx: GraphQLContext, input: CreatePolicyInput): Promise<PolicyType> {
  const orgId = orgOf(ctx);
  const checked = checkPolicySource(input.source, input.format);
  const actor = actorOf(ctx.viewer!);
  const policy = await applyConfigChange(ctx.services, ctx.em, orgId, 'policy created', async (tx) => {
    await requirePlanForPolicy(ctx.services.config.edition, tx, orgId, checked.document);
    const existing = await tx.count(Policy, {});
    if (existing >= MAX_POLICIES_PER_ORG) {
      throw new AppError('CONFLICT', `An organization may have at most ${MAX_POLICIES_PER_ORG} policies; delete one first.`);
    }
    const policy = tx.create(Policy, {
      organization: orgId,
      name: checked.document.name,
      description: checked.document.description ?? null,
      enabled: input.enabled,
      currentVersion: 1,
      createdBy: actor,
    });
    addVersion(tx, orgId, policy, 1, checked, actor, input.note ?? null);
    return policy;
  });
  return viewOf(ctx, orgId, policy.id);
}

/** Replaces a policy's text with a new version; earlier versions stay listed. */
export async function updatePolicy(
  ctx: GraphQLContext,
  id: string,
  source: string,
  format: PolicyFormat | null | undefined,
  note: string | null | undefined,
): Promise<PolicyType> {
  const orgId = orgOf(ctx);
  if (note != null && (note.length > 500 || /\p{Cc}/u.test(note))) {
    throw new AppError('BAD_USER_INPUT', 'note must be at most 500 characters, without control characters.');
  }
  const checked = checkPolicySource(source, format);
  return changeVersion(ctx, orgId, id, 'policy updated', note ?? null, (current) =>
    current.source === checked.source && current.format === checked.format ? null : checked,
  );
}

/** Turns shadow mode on or off for every rule, as a new version of the document. */
export async function setPolicyShadow(ctx: GraphQLContext, id: string, shadow: boolean): Promise<PolicyType> {
  const orgId = orgOf(ctx);
  const note = shadow ? 'Shadow mode turned on' : 'Shadow mode turned off';
  return changeVersion(ctx, orgId, id, 'policy shadow mode changed', note, (current) =>
    current.document.shadow === shadow ? null : withShadow(current, shadow),
  );
}

/** Enables or disables a policy. Disabled policies stay published and are skipped by nodes. */
export async function setPolicyEnabled(ctx: GraphQLContext, id: string, enabled: boolean): Promise<PolicyType> {
  const orgId = orgOf(ctx);
  await applyConfigChange(ctx.services, ctx.em, orgId, enabled ? 'policy enabled' : 'policy disabled', async (tx) => {
    const policy = await findPolicy(tx, id, true);
    policy.enabled = enabled;
  });
  return viewOf(ctx, orgId, id);
}

/** Attaches a policy to the organization, a team or a key. Attaching it where it already is changes nothing. */
export async function attachPolicy(ctx: GraphQLContext, id: string, scope: ScopeInput): Promise<PolicyType> {
  const orgId = orgOf(ctx);
  const actor = actorOf(ctx.viewer!);
  await applyConfigChange(ctx.services, ctx.em, orgId, 'policy attached', async (tx) => {
    const policy = await findPolicy(tx, id, true);
    const target = await resolveScope(tx, orgId, scope);
    if (await tx.count(PolicyAttachment, { policy: policy.id, scopeKind: scope.kind, scopeId: target.id })) return;
    if ((await tx.count(PolicyAttachment, { policy: policy.id })) >= MAX_ATTACHMENTS_PER_POLICY) {
      throw new AppError('CONFLICT', `A policy may be attached to at most ${MAX_ATTACHMENTS_PER_POLICY} places; attach it to a team instead of many keys.`);
    }
    tx.create(PolicyAttachment, {
      organization: orgId,
      policy,
      scopeKind: scope.kind,
      scopeId: target.id,
      team: target.team,
      key: target.key,
      attachedBy: actor,
    });
  });
  return viewOf(ctx, orgId, id);
}

/** Removes one attachment of a policy. */
export async function detachPolicy(ctx: GraphQLContext, id: string, scope: ScopeInput): Promise<PolicyType> {
  const orgId = orgOf(ctx);
  await applyConfigChange(ctx.services, ctx.em, orgId, 'policy detached', async (tx) => {
    const policy = await findPolicy(tx, id, true);
    const scopeId = scope.kind === 'org' ? (scope.id ?? orgId) : scope.id;
    if (!scopeId) throw new AppError('BAD_USER_INPUT', `scope.id is required for ${scope.kind.toUpperCase()}.`);
    assertUuid(scopeId, `a ${scope.kind === 'org' ? 'organization' : scope.kind} id`);
    const removed = await tx.nativeDelete(PolicyAttachment, { policy: policy.id, scopeKind: scope.kind, scopeId });
    if (removed === 0) {
      throw new AppError('NOT_FOUND', `Policy "${policy.name}" is not attached to ${scope.kind === 'org' ? 'the organization' : `${scope.kind} ${scopeId}`}.`);
    }
  });
  return viewOf(ctx, orgId, id);
}

/** Deletes a policy with its versions and attachments; nodes stop enforcing it with the next delta. */
export async function deletePolicy(ctx: GraphQLContext, id: string): Promise<string> {
  const orgId = orgOf(ctx);
  return applyConfigChange(ctx.services, ctx.em, orgId, 'policy deleted', async (tx) => {
    const policy = await findPolicy(tx, id, true);
    // Children first: the database would cascade, but the unit of work must not flush them later.
    await tx.nativeDelete(PolicyAttachment, { policy: policy.id });
    await tx.nativeDelete(PolicyVersion, { policy: policy.id });
    tx.remove(policy);
    return policy.id;
  });
}

/** A policy of the caller's organization (the tenant filter hides every other), optionally locked for a change. */
export async function findPolicy(em: EntityManager, id: string, lock = false): Promise<Policy> {
  assertUuid(id, 'a policy id');
  const policy = await em.findOne(Policy, { id }, lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {});
  if (!policy) throw new AppError('NOT_FOUND', `No policy with id ${id} in this organization.`);
  return policy;
}

/** The stored text and document of a policy's version (the current one by default). */
export async function policySourceOf(em: EntityManager, policy: Policy, version = policy.currentVersion): Promise<CheckedPolicySource> {
  const row = await em.findOne(PolicyVersion, { policy: policy.id, version });
  if (!row) throw new AppError('NOT_FOUND', `Policy "${policy.name}" has no version ${version} (its current version is ${policy.currentVersion}).`);
  return { document: row.document, source: row.source, format: row.format };
}

/**
 * Locks the policy, asks `next` for the new text given the current one (null: nothing to
 * change, so no version is spent), and stores it as the next version.
 */
async function changeVersion(
  ctx: GraphQLContext,
  orgId: string,
  id: string,
  reason: string,
  note: string | null,
  next: (current: CheckedPolicySource) => CheckedPolicySource | null,
): Promise<PolicyType> {
  const actor = actorOf(ctx.viewer!);
  await applyConfigChange(ctx.services, ctx.em, orgId, reason, async (tx) => {
    const policy = await findPolicy(tx, id, true);
    const change = next(await policySourceOf(tx, policy));
    if (change === null) return;
    await requirePlanForPolicy(ctx.services.config.edition, tx, orgId, change.document);
    policy.currentVersion += 1;
    policy.name = change.document.name;
    policy.description = change.document.description ?? null;
    addVersion(tx, orgId, policy, policy.currentVersion, change, actor, note);
  });
  return viewOf(ctx, orgId, id);
}

function addVersion(tx: EntityManager, orgId: string, policy: Policy, version: number, checked: CheckedPolicySource, actor: string, note: string | null): void {
  tx.create(PolicyVersion, {
    organization: orgId,
    policy,
    version,
    document: checked.document,
    source: checked.source,
    format: checked.format,
    changedBy: actor,
    note: note?.trim() || null,
  });
}

export interface ResolvedScope {
  readonly id: string;
  readonly team: Team | null;
  readonly key: Key | null;
}

/** The organization, team or key a scope names, checked to be in the organization; `what` names what is being attached, for messages. */
export async function resolveScope(tx: EntityManager, orgId: string, scope: ScopeInput, what = 'policies'): Promise<ResolvedScope> {
  if (scope.kind === 'org') {
    if (scope.id != null && scope.id !== orgId) {
      throw new AppError('BAD_USER_INPUT', "scope.id must be this organization's id, or be omitted, for ORG.");
    }
    return { id: orgId, team: null, key: null };
  }
  if (!scope.id) throw new AppError('BAD_USER_INPUT', `scope.id is required for ${scope.kind.toUpperCase()}.`);
  if (scope.kind === 'team') {
    assertUuid(scope.id, 'a team id');
    const team = await tx.findOne(Team, { id: scope.id });
    if (!team) throw new AppError('NOT_FOUND', `No team with id ${scope.id} in this organization.`);
    return { id: team.id, team, key: null };
  }
  assertUuid(scope.id, 'a key id');
  const key = await tx.findOne(Key, { id: scope.id });
  if (!key) throw new AppError('NOT_FOUND', `No key with id ${scope.id} in this organization.`);
  if (key.status === 'revoked') throw new AppError('CONFLICT', `Key "${key.name}" is revoked; ${what} cannot be attached to it.`);
  return { id: key.id, team: null, key };
}

/** Reads the committed policy through a fresh entity manager, so the view never shows identity-map leftovers. */
async function viewOf(ctx: GraphQLContext, orgId: string, id: string): Promise<PolicyType> {
  const em = forkForOrg(ctx.services, orgId);
  const [view] = await toPolicyTypes(em, [await findPolicy(em, id)]);
  return view!;
}

import { uuidv7, validatePolicyDocument, type ConfigSnapshot, type PolicyConfig, type ScopeRef } from '@keyward/shared';
import type { TestWorld } from './world.js';

/** Options of one test policy. */
export interface PolicyOptions {
  /** Where it is attached; the world's organization by default. */
  readonly attachments?: readonly ScopeRef[];
  readonly version?: number;
  readonly enabled?: boolean;
  readonly orgId?: string;
  readonly id?: string;
}

/**
 * A policy as the control plane publishes it: the document in its normalized form (validated
 * with the shared validator, which throws on a mistake in the test), attached to the world's
 * organization unless told otherwise.
 */
export function testPolicy(world: TestWorld, document: unknown, options: PolicyOptions = {}): PolicyConfig {
  const checked = validatePolicyDocument(document);
  if (!checked.ok) throw new Error(`test policy is invalid: ${checked.errors.map((e) => e.message).join('; ')}`);
  const orgId = options.orgId ?? world.org.id;
  return {
    id: options.id ?? uuidv7(),
    orgId,
    name: checked.policy.name,
    version: options.version ?? 1,
    enabled: options.enabled ?? true,
    attachments: options.attachments ?? [{ kind: 'org', id: orgId }],
    document: checked.policy,
  };
}

/** The snapshot with these policies in its `policies` collection. */
export function withPolicies(snapshot: ConfigSnapshot, policies: readonly PolicyConfig[]): ConfigSnapshot {
  return { ...snapshot, policies: Object.fromEntries(policies.map((p) => [p.id, p])) };
}

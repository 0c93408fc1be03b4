import {
  compilePolicies,
  PolicyCompileError,
  type CompiledPolicySet,
  type KeyConfig,
  type PolicyConfig,
  type PolicyDocumentWithMeta,
  type PolicyScope,
} from '@keyward/shared';
import type { ConfigView, ViewUpdate } from '../config/view.js';
import type { Logger } from '../observability/logger.js';

/** The policies that apply to one key, compiled, or why they could not be. */
export type KeyPolicies = CompiledPolicySet | PolicyCompileError | null;

/** One view's policies, indexed by where they are attached. */
interface ViewIndex {
  readonly byScope: ReadonlyMap<string, PolicyConfig[]>;
  /**
   * Each key's result, worked out once. Shared by consecutive views whose policies and
   * organizations are the same objects: a result depends only on the key's entry (an unchanged
   * key keeps its object from view to view), the policies and the organization's time zone.
   */
  readonly perKey: WeakMap<KeyConfig, KeyPolicies>;
}

const scopeKey = (kind: PolicyScope, id: string) => `${kind}:${id}`;

/**
 * Finds and compiles the policies of each key: the enabled policies attached to its
 * organization, then to its team, then to the key itself, each policy once, at its broadest
 * scope. Compiled sets are cached by
 * the time zone and the ordered list of `policyId@version`, so keys sharing policies share one
 * set and a config change recompiles only sets that did not exist before. Policies are indexed
 * when a config view is installed (`prepare`), never per request.
 */
export class PolicySets {
  private readonly views = new WeakMap<ConfigView, ViewIndex>();
  private compiled = new Map<string, CompiledPolicySet | PolicyCompileError>();

  constructor(private readonly log: Logger) {}

  /**
   * Indexes a newly installed view and compiles every key's set ahead of its first request.
   * A view derived by a delta that leaves policies and organizations alone (keys, credentials,
   * budgets, rate limits) keeps the previous view's index and resolves only the keys the delta
   * changed. Otherwise every key is resolved again, which is always correct: a policy change
   * may reach every key of an organization, and is rare next to key changes. Sets are compiled
   * only for signatures not seen before either way, and a full pass drops the sets no key uses
   * any more.
   */
  prepare(view: ConfigView, update: ViewUpdate | null = null): void {
    const earlier = update && this.views.get(update.previous);
    if (earlier && view.policies === update.previous.policies && !update.changes.changed.orgs && !update.changes.removed.orgs?.length) {
      this.views.set(view, earlier);
      for (const key of Object.values(update.changes.changed.keys ?? {})) this.resolve(earlier, key, this.timeZoneOf(view, key), this.compiled);
      return;
    }
    const index = this.index(view);
    const previous = this.compiled;
    this.compiled = new Map();
    const timeZones = new Map<string, string>();
    for (const key of view.allKeys()) {
      let zone = timeZones.get(key.orgId);
      if (zone === undefined) {
        zone = this.timeZoneOf(view, key);
        timeZones.set(key.orgId, zone);
      }
      this.resolve(index, key, zone, previous);
    }
  }

  /** The compiled policies of `key` in `view` (null: none apply). */
  forKey(view: ConfigView, key: KeyConfig, timeZone: string): KeyPolicies {
    const index = this.index(view);
    const known = index.perKey.get(key);
    return known !== undefined ? known : this.resolve(index, key, timeZone, this.compiled);
  }

  private resolve(index: ViewIndex, key: KeyConfig, timeZone: string, previous: ReadonlyMap<string, CompiledPolicySet | PolicyCompileError>): KeyPolicies {
    const applicable = applicablePolicies(index, key);
    let result: KeyPolicies = null;
    if (applicable.length > 0) {
      const signature = `${timeZone}|${applicable.map(({ policy }) => `${policy.id}@${policy.version}`).join(',')}`;
      let set = this.compiled.get(signature) ?? previous.get(signature);
      if (set === undefined) set = this.compile(applicable, timeZone);
      this.compiled.set(signature, set);
      result = set;
    }
    index.perKey.set(key, result);
    return result;
  }

  private timeZoneOf(view: ConfigView, key: KeyConfig): string {
    return view.org(key.orgId)?.timeZone ?? 'UTC';
  }

  private compile(applicable: readonly { policy: PolicyConfig; scope: PolicyScope }[], timeZone: string): CompiledPolicySet | PolicyCompileError {
    const metas: PolicyDocumentWithMeta[] = applicable.map(({ policy, scope }) => ({
      id: policy.id,
      version: policy.version,
      scope,
      document: policy.document,
      defaultTimeZone: timeZone,
    }));
    try {
      return compilePolicies(metas);
    } catch (err) {
      if (!(err instanceof PolicyCompileError)) throw err;
      // Logged once per distinct set: the result is cached like a compiled one.
      this.log.error({ policyId: err.policyId, reason: err.message }, 'a policy does not compile; keys it applies to are refused until it is fixed');
      return err;
    }
  }

  private index(view: ConfigView): ViewIndex {
    let index = this.views.get(view);
    if (index) return index;
    const byScope = new Map<string, PolicyConfig[]>();
    const sorted = Object.values(view.policies).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const policy of sorted) {
      if (!policy.enabled) continue;
      for (const attachment of policy.attachments) {
        const at = scopeKey(attachment.kind, attachment.id);
        const list = byScope.get(at);
        if (list) {
          if (!list.includes(policy)) list.push(policy);
        } else byScope.set(at, [policy]);
      }
    }
    index = { byScope, perKey: new WeakMap() };
    this.views.set(view, index);
    return index;
  }
}

/** The enabled policies of the key's organization, team and own, in that order, each once. */
function applicablePolicies(index: ViewIndex, key: KeyConfig): { policy: PolicyConfig; scope: PolicyScope }[] {
  const out: { policy: PolicyConfig; scope: PolicyScope }[] = [];
  const seen = new Set<string>();
  const add = (policy: PolicyConfig | undefined, scope: PolicyScope) => {
    // A policy of another organization never applies, whatever it is attached to.
    if (!policy || policy.orgId !== key.orgId || seen.has(policy.id)) return;
    seen.add(policy.id);
    out.push({ policy, scope });
  };
  for (const policy of index.byScope.get(scopeKey('org', key.orgId)) ?? []) add(policy, 'org');
  if (key.teamId !== null) for (const policy of index.byScope.get(scopeKey('team', key.teamId)) ?? []) add(policy, 'team');
  for (const policy of index.byScope.get(scopeKey('key', key.id)) ?? []) add(policy, 'key');
  return out;
}

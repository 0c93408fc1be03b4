import type { LimitScopeKind, ScopeKind } from '@/gql/graphql';

/** What a key or team page is about: a key (in a team or not) or a whole team. */
export interface ScopeSubject {
  readonly keyId: string | null;
  readonly teamId: string | null;
}

interface Scoped {
  readonly scope: { readonly kind: LimitScopeKind; readonly id: string };
}

const LIMIT_ORDER: Record<LimitScopeKind, number> = { ORG: 0, TEAM: 1, POOL: 2, KEY: 3 };

/**
 * The budgets or rate limits that count a subject's requests: the organization's, its team's and
 * (for a key) its own, broadest first. A team page also shows its keys' own limits.
 */
export function limitsInForce<T extends Scoped>(limits: readonly T[], subject: ScopeSubject, teamKeyIds: ReadonlySet<string> = new Set()): T[] {
  return limits
    .filter(
      ({ scope }) =>
        scope.kind === 'ORG' ||
        (scope.kind === 'TEAM' && scope.id === subject.teamId) ||
        (scope.kind === 'KEY' && (scope.id === subject.keyId || (subject.keyId === null && teamKeyIds.has(scope.id)))),
    )
    .sort((a, b) => LIMIT_ORDER[a.scope.kind] - LIMIT_ORDER[b.scope.kind]);
}

interface AttachedPolicy {
  readonly id: string;
  readonly enabled: boolean;
  readonly attachments: readonly { readonly kind: ScopeKind; readonly id: string }[];
}

/**
 * The enabled policies a subject's requests are evaluated against, in the data plane's order:
 * the organization's, then the team's, then the key's own, each policy once at its broadest
 * attachment, by id within a scope (the order the config snapshot lists them).
 */
export function policiesInForce<T extends AttachedPolicy>(policies: readonly T[], subject: ScopeSubject): { policy: T; scope: ScopeKind }[] {
  const ordered = [...policies].filter((p) => p.enabled).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const out: { policy: T; scope: ScopeKind }[] = [];
  const seen = new Set<string>();
  const pass = (scope: ScopeKind, id: string | null) => {
    if (id === null && scope !== 'ORG') return;
    for (const policy of ordered) {
      if (seen.has(policy.id) || !policy.attachments.some((a) => a.kind === scope && (scope === 'ORG' || a.id === id))) continue;
      seen.add(policy.id);
      out.push({ policy, scope });
    }
  };
  pass('ORG', null);
  pass('TEAM', subject.teamId);
  pass('KEY', subject.keyId);
  return out;
}

/** What is left of a budget this period, in micro-dollars (never below zero). */
export function headroomMicros(budget: { readonly limitMicros: number; readonly spentMicros: number }): number {
  return Math.max(0, budget.limitMicros - budget.spentMicros);
}

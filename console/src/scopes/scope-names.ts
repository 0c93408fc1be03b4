import { useQuery } from '@urql/vue';
import { computed, reactive, type ComputedRef } from 'vue';
import { ScopeKeyDocument, ScopeTeamsDocument } from '@/gql/graphql';
import { useSession } from '@/session/session';

/** Where a budget, rate limit or policy applies (the API's `ScopeKind` and `LimitScopeKind` alike). */
export type ScopeKindValue = 'ORG' | 'TEAM' | 'KEY';

/** A scope as the API returns it: a kind and the organization's, team's, key's or (budgets and rate limits only) key pool's id. */
export interface ScopeLike {
  readonly kind: ScopeKindValue | 'POOL';
  readonly id: string;
}

/** How a scope reads in lists. */
export interface ScopeLabel {
  /** "Organization", "Team", "Key". */
  readonly kind: string;
  /** The team's or key's name; "Whole organization" for the organization. */
  readonly name: string;
  /** The key's prefix, for telling keys apart. */
  readonly detail?: string;
  /** The team was deleted or the key revoked or expired: nothing is enforced there any more. */
  readonly gone: boolean;
}

/** Labels of scope kinds. */
export const SCOPE_KIND_LABELS: Record<ScopeKindValue, string> = { ORG: 'Organization', TEAM: 'Team', KEY: 'Key' };

/**
 * Names for budget and rate-limit scopes, which the API gives as ids only. Teams come from one
 * query; keys are looked up one by one as they appear (an organization can have thousands of
 * keys but only a handful with their own budget), each once.
 */
export function useScopeNames(): { label(scope: ScopeLike): ScopeLabel; teams: ComputedRef<readonly { id: string; name: string }[]> } {
  const session = useSession();
  const teamsQuery = useQuery({ query: ScopeTeamsDocument, requestPolicy: 'cache-and-network', context: { additionalTypenames: ['Team'] } });
  const teams = computed(() => teamsQuery.data.value?.teams ?? []);
  const teamNames = computed(() => new Map(teams.value.map((t) => [t.id, t.name])));
  const keys = reactive(new Map<string, { name: string; prefix: string; active: boolean }>());
  // Not reactive: labels are read while rendering, and asking for a key must not re-render.
  const requested = new Set<string>();

  function lookUpKey(id: string): void {
    requested.add(id);
    void session.client.value
      .query(ScopeKeyDocument, { id })
      .toPromise()
      .then((result) => {
        const key = result.data?.key;
        if (key) keys.set(id, { name: key.name, prefix: key.prefix, active: key.status === 'ACTIVE' });
        else if (result.error) keys.set(id, { name: 'Unknown key', prefix: id.slice(0, 8), active: false });
      });
  }

  return {
    teams,
    label(scope) {
      if (scope.kind === 'ORG') return { kind: SCOPE_KIND_LABELS.ORG, name: 'Whole organization', gone: false };
      // Pool-wide caps and limits are set with their pool (Key pools); the pool's budget carries its name.
      if (scope.kind === 'POOL') return { kind: 'Key pool', name: 'Every key of the pool', detail: scope.id.slice(0, 8), gone: false };
      if (scope.kind === 'TEAM') {
        const name = teamNames.value.get(scope.id);
        // Until the teams arrive, an unknown team is "loading", not "deleted".
        const gone = !teamsQuery.fetching.value && teamsQuery.data.value !== undefined && name === undefined;
        return { kind: SCOPE_KIND_LABELS.TEAM, name: name ?? (gone ? 'Deleted team' : 'Team…'), gone };
      }
      if (!requested.has(scope.id)) lookUpKey(scope.id);
      const key = keys.get(scope.id);
      return key
        ? { kind: SCOPE_KIND_LABELS.KEY, name: key.name, detail: `${key.prefix}…`, gone: !key.active }
        : { kind: SCOPE_KIND_LABELS.KEY, name: 'Key…', gone: false };
    },
  };
}

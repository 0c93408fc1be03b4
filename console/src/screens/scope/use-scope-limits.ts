import { useQuery } from '@urql/vue';
import { computed, type Ref } from 'vue';
import { useNow } from '@/composables/time';
import { ScopeLimitsDocument } from '@/gql/graphql';
import { addDays, daysBetween, localDay } from '@/screens/billing/periods';
import { useTimeZone } from '@/session/session';
import { limitsInForce, policiesInForce, type ScopeSubject } from './in-force';

/** Days of spend a key or team page charts. */
const SPEND_DAYS = 30;

/**
 * A key's or team's budgets and rate limits, the policies in force in evaluation order, and its
 * spend per local day over the last 30 days (from the spend rollups).
 */
export function useScopeLimits(subject: Ref<ScopeSubject>, teamKeyIds: Ref<ReadonlySet<string>>) {
  const timeZone = useTimeZone();
  const now = useNow();
  const to = computed(() => localDay(now.value, timeZone.value));
  const from = computed(() => addDays(to.value, -(SPEND_DAYS - 1)));
  const query = useQuery({
    query: ScopeLimitsDocument,
    variables: computed(() => ({ from: from.value, to: to.value, keyId: subject.value.keyId, teamId: subject.value.keyId ? null : subject.value.teamId })),
    requestPolicy: 'cache-and-network',
  });
  const data = computed(() => query.data.value);
  const budgets = computed(() => limitsInForce(data.value?.budgets ?? [], subject.value, teamKeyIds.value));
  const rateLimits = computed(() => limitsInForce(data.value?.rateLimits ?? [], subject.value, teamKeyIds.value));
  const policies = computed(() => policiesInForce(data.value?.policies ?? [], subject.value));
  const days = computed(() => {
    const spent = new Map((data.value?.usageRollups ?? []).map((r) => [r.group, r.costMicros]));
    return daysBetween(from.value, to.value).map((day) => ({ day, costMicros: spent.get(day) ?? 0 }));
  });
  const dailyLimits = computed(() => budgets.value.filter((b) => b.period === 'DAY').map((b) => ({ name: b.name, limitMicros: b.limitMicros })));
  return { query, budgets, rateLimits, policies, days, dailyLimits };
}

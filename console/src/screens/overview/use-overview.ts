import { useQuery, useSubscription } from '@urql/vue';
import { onScopeDispose, type Ref } from 'vue';
import { LiveUsageEventsDocument, OverviewDocument, type OverviewQueryVariables } from '@/gql/graphql';

/** How long the overview waits after a new request before reading its rollups again. */
const REFRESH_MS = 2_000;

/**
 * The overview report for `variables`, from the rollups the control plane keeps as events are
 * stored, read again (at most every two seconds) while new requests arrive on the live feed.
 */
export function useOverview(variables: Ref<OverviewQueryVariables>) {
  const query = useQuery({ query: OverviewDocument, variables, requestPolicy: 'cache-and-network' });
  let timer: ReturnType<typeof setTimeout> | undefined;
  useSubscription({ query: LiveUsageEventsDocument }, (_previous, data) => {
    timer ??= setTimeout(() => {
      timer = undefined;
      void query.executeQuery({ requestPolicy: 'network-only' });
    }, REFRESH_MS);
    return data;
  });
  onScopeDispose(() => clearTimeout(timer));
  return query;
}

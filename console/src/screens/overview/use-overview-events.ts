import { useSubscription } from '@urql/vue';
import { ref, shallowRef, watch, type Ref } from 'vue';
import { fetchEventPage } from '@/events/pages';
import { LiveUsageEventsDocument, type UsageEventFieldsFragment } from '@/gql/graphql';
import { useSession } from '@/session/session';

/** The most events the overview loads for its window; beyond it, it says the numbers are partial. */
export const OVERVIEW_EVENT_LIMIT = 5_000;
/** The API's largest page. */
const PAGE_SIZE = 200;

/**
 * Every request since `since` (loaded page by page), kept current by the live subscription.
 * The API has no aggregate query yet, so the overview adds events up itself; `truncated` says
 * when the window held more than it loads.
 */
export function useOverviewEvents(since: Ref<number>): {
  events: Ref<UsageEventFieldsFragment[]>;
  fetching: Ref<boolean>;
  error: Ref<unknown>;
  truncated: Ref<boolean>;
  reload(): void;
} {
  const client = useSession().client;
  const events = shallowRef<UsageEventFieldsFragment[]>([]);
  const fetching = ref(false);
  const error = shallowRef<unknown>(null);
  const truncated = ref(false);
  let generation = 0;

  async function load() {
    const mine = ++generation;
    fetching.value = true;
    error.value = null;
    const loaded: UsageEventFieldsFragment[] = [];
    let after: string | null = null;
    try {
      for (;;) {
        const page = await fetchEventPage(client.value, { from: new Date(since.value).toISOString() }, PAGE_SIZE, after);
        if (mine !== generation) return;
        loaded.push(...page.nodes);
        truncated.value = page.hasNextPage && loaded.length >= OVERVIEW_EVENT_LIMIT;
        if (!page.hasNextPage || !page.endCursor || truncated.value) break;
        after = page.endCursor;
      }
      events.value = loaded;
    } catch (e) {
      if (mine === generation) error.value = e;
    } finally {
      if (mine === generation) fetching.value = false;
    }
  }

  useSubscription({ query: LiveUsageEventsDocument }, (_previous, data) => {
    const event = data.usageEvents;
    if (Date.parse(event.startedAt) >= since.value && !events.value.some((e) => e.id === event.id)) {
      events.value = [event, ...events.value];
    }
    return data;
  });

  watch([since, client], () => void load(), { immediate: true });
  return { events, fetching, error, truncated, reload: () => void load() };
}

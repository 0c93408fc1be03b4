import { computed, shallowRef, type ComputedRef, type Ref } from 'vue';
import type { UsageEventFieldsFragment } from '@/gql/graphql';
import { matchesFilter, type EventFilter } from './filters';

type Event = UsageEventFieldsFragment;

/** The live request list: newest first, pausable without losing what arrives meanwhile. */
export interface LiveFeed {
  /** Events on screen that pass the filter, newest first. */
  readonly visible: ComputedRef<Event[]>;
  /** While paused: how many arrived events pass the filter and wait to be shown. */
  readonly pendingCount: ComputedRef<number>;
  readonly paused: Ref<boolean>;
  /** Ids of events that arrived live (not seeded), for a brief highlight. */
  readonly arrivedLive: ReadonlySet<string>;
  /** Adds an event that just happened. */
  push(event: Event): void;
  /** Fills the list with recent history (newest first) before live events arrive. */
  seed(events: readonly Event[]): void;
  pause(): void;
  /** Shows everything that arrived while paused. */
  resume(): void;
}

/**
 * Creates a live feed holding at most `limit` events. Pausing freezes what is on screen so a
 * person can read or click a row; arrivals are buffered (also up to `limit`) and shown on
 * resume. The filter applies to both, so the "N new" count matches what resume will show.
 */
export function createLiveFeed(filter: Ref<EventFilter>, limit = 500): LiveFeed {
  const shown = shallowRef<Event[]>([]);
  const buffer = shallowRef<Event[]>([]);
  const paused = shallowRef(false);
  const seen = new Set<string>();
  const arrivedLive = new Set<string>();

  const trim = (list: Event[]) => {
    for (const dropped of list.slice(limit)) {
      seen.delete(dropped.id);
      arrivedLive.delete(dropped.id);
    }
    return list.slice(0, limit);
  };

  return {
    visible: computed(() => shown.value.filter((e) => matchesFilter(e, filter.value))),
    pendingCount: computed(() => buffer.value.filter((e) => matchesFilter(e, filter.value)).length),
    paused,
    arrivedLive,
    push(event) {
      // The subscription may replay an event the seeded history already had.
      if (seen.has(event.id)) return;
      seen.add(event.id);
      arrivedLive.add(event.id);
      if (paused.value) buffer.value = trim([event, ...buffer.value]);
      else shown.value = trim([event, ...shown.value]);
    },
    seed(events) {
      const fresh = events.filter((e) => !seen.has(e.id));
      for (const e of fresh) seen.add(e.id);
      shown.value = trim([...shown.value, ...fresh]);
    },
    pause() {
      paused.value = true;
    },
    resume() {
      paused.value = false;
      shown.value = trim([...buffer.value, ...shown.value]);
      buffer.value = [];
    },
  };
}

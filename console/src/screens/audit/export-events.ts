import { ref, type Ref } from 'vue';
import { downloadText } from '@/composables/download';
import { eventsToCsv, eventsToJson } from '@/events/export';
import { fetchEventPage } from '@/events/pages';
import type { UsageEventFieldsFragment, UsageEventFilter } from '@/gql/graphql';
import { useSession } from '@/session/session';

/** The most rows one export fetches; past it the file name says the export is partial. */
export const EXPORT_LIMIT = 10_000;
/** The API's largest page. */
const PAGE_SIZE = 200;

/**
 * Exports every request matching a filter, in the browser: pages through the history query and
 * saves CSV or JSON. Nothing is sent anywhere but the control plane's own API.
 */
export function useEventExport(): { exporting: Ref<boolean>; exportEvents(filter: UsageEventFilter, format: 'csv' | 'json'): Promise<number> } {
  const client = useSession().client;
  const exporting = ref(false);

  async function exportEvents(filter: UsageEventFilter, format: 'csv' | 'json'): Promise<number> {
    exporting.value = true;
    try {
      const events: UsageEventFieldsFragment[] = [];
      let after: string | null = null;
      let more = true;
      while (more && events.length < EXPORT_LIMIT) {
        const page = await fetchEventPage(client.value, filter, Math.min(PAGE_SIZE, EXPORT_LIMIT - events.length), after);
        events.push(...page.nodes);
        after = page.endCursor;
        more = page.hasNextPage && after !== null;
      }
      const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
      const name = `keyward-requests-${stamp}${more ? `-first-${EXPORT_LIMIT}` : ''}.${format}`;
      if (format === 'csv') downloadText(name, 'text/csv;charset=utf-8', eventsToCsv(events));
      else downloadText(name, 'application/json', eventsToJson(events));
      return events.length;
    } finally {
      exporting.value = false;
    }
  }

  return { exporting, exportEvents };
}

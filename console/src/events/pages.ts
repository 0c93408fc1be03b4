import type { Client } from '@urql/vue';
import { errorMessage } from '@/api/errors';
import { UsageEventsPageDocument, type UsageEventFieldsFragment, type UsageEventFilter } from '@/gql/graphql';

/** One page of request history. */
export interface EventPage {
  readonly nodes: UsageEventFieldsFragment[];
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
}

/**
 * Fetches one page of request history straight from the network (screens that add pages up
 * themselves: the overview, the live feed's first rows, exports). Throws with a readable message.
 */
export async function fetchEventPage(client: Client, filter: UsageEventFilter, first: number, after: string | null = null): Promise<EventPage> {
  const result = await client.query(UsageEventsPageDocument, { filter, first, after }, { requestPolicy: 'network-only' }).toPromise();
  if (result.error || !result.data) throw new Error(errorMessage(result.error));
  const { nodes, pageInfo } = result.data.usageEvents;
  return { nodes, hasNextPage: pageInfo.hasNextPage, endCursor: pageInfo.endCursor ?? null };
}

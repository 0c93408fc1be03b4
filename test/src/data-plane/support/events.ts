import type { UsageEvent } from '@keyward/shared';
import { vi } from 'vitest';
import type { EventCollector } from './event-collector.js';

/** Waits until the collector stored the event of the request with this id. */
export async function eventFor(collector: EventCollector, requestId: string | null, timeout = 5_000): Promise<UsageEvent> {
  if (!requestId) throw new Error('the response had no x-request-id header');
  return vi.waitFor(
    () => {
      const event = collector.events.find((e) => e.requestId === requestId);
      if (!event) throw new Error(`no event yet for request ${requestId}`);
      return event;
    },
    { timeout, interval: 20 },
  );
}

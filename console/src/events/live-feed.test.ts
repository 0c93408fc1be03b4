import { describe, expect, it } from 'vitest';
import { ref } from 'vue';
import { usageEvent } from '@/testing/fixtures';
import { emptyFilter, type EventFilter } from './filters';
import { createLiveFeed } from './live-feed';

describe('the live request feed', () => {
  it('shows new events first', () => {
    const feed = createLiveFeed(ref(emptyFilter()));
    const first = usageEvent();
    const second = usageEvent();
    feed.push(first);
    feed.push(second);
    expect(feed.visible.value.map((e) => e.id)).toEqual([second.id, first.id]);
  });

  it('buffers arrivals while paused and shows them on resume', () => {
    const feed = createLiveFeed(ref(emptyFilter()));
    const before = usageEvent();
    feed.push(before);
    feed.pause();
    const during = [usageEvent(), usageEvent(), usageEvent()];
    for (const e of during) feed.push(e);

    expect(feed.visible.value.map((e) => e.id)).toEqual([before.id]);
    expect(feed.pendingCount.value).toBe(3);

    feed.resume();
    expect(feed.pendingCount.value).toBe(0);
    expect(feed.visible.value.map((e) => e.id)).toEqual([during[2]!.id, during[1]!.id, during[0]!.id, before.id]);
  });

  it('filters what is shown and what is counted as waiting', () => {
    const filter = ref<EventFilter>({ ...emptyFilter(), decision: 'BLOCKED' });
    const feed = createLiveFeed(filter);
    feed.push(usageEvent({ decision: 'ALLOWED' }));
    const blocked = usageEvent({ decision: 'BLOCKED' });
    feed.push(blocked);
    expect(feed.visible.value.map((e) => e.id)).toEqual([blocked.id]);

    feed.pause();
    feed.push(usageEvent({ decision: 'ALLOWED' }));
    feed.push(usageEvent({ decision: 'BLOCKED' }));
    expect(feed.pendingCount.value).toBe(1);

    filter.value = { ...emptyFilter(), model: 'claude-sonnet-4-5' };
    expect(feed.visible.value).toEqual([]);
  });

  it('filters by key, team and model together', () => {
    const filter = ref<EventFilter>({ ...emptyFilter(), keyId: 'key_2', teamId: 'team_9', model: 'gpt-4o' });
    const feed = createLiveFeed(filter);
    const match = usageEvent({ keyId: 'key_2', teamId: 'team_9', model: 'gpt-4o' });
    feed.push(match);
    feed.push(usageEvent({ keyId: 'key_2', teamId: 'team_1', model: 'gpt-4o' }));
    feed.push(usageEvent({ keyId: 'key_3', teamId: 'team_9', model: 'gpt-4o' }));
    expect(feed.visible.value.map((e) => e.id)).toEqual([match.id]);
  });

  it('ignores an event it already has and keeps at most its limit', () => {
    const feed = createLiveFeed(ref(emptyFilter()), 3);
    const seeded = usageEvent();
    feed.seed([seeded]);
    feed.push(seeded);
    expect(feed.visible.value).toHaveLength(1);
    expect(feed.arrivedLive.has(seeded.id)).toBe(false);
    for (let i = 0; i < 5; i++) feed.push(usageEvent());
    expect(feed.visible.value).toHaveLength(3);
  });
});

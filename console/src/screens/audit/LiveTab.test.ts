import { afterEach, describe, expect, it } from 'vitest';
import { defineComponent, h, ref } from 'vue';
import { emptyFilter, type EventFilter } from '@/events/filters';
import { usageEvent } from '@/testing/fixtures';
import { mockClient, mountScreen, settle } from '@/testing/mount';
import LiveTab from './LiveTab.vue';

const filter = ref<EventFilter>(emptyFilter());
const Host = defineComponent({ setup: () => () => h(LiveTab, { filter: filter.value }) });

function setup() {
  filter.value = emptyFilter();
  const mock = mockClient({ UsageEventsPage: { usageEvents: { nodes: [], pageInfo: { hasNextPage: false, endCursor: null } } } });
  const mounted = mountScreen(Host, { mock, permissions: ['events:read'] });
  const live = mock.subscription('LiveUsageEvents');
  const send = (overrides: Parameters<typeof usageEvent>[0]) => live.next({ usageEvents: usageEvent(overrides) });
  return { ...mounted, send };
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('the live request feed', () => {
  it('shows a request as soon as the subscription delivers it', async () => {
    const { wrapper, send } = setup();
    await settle();
    expect(wrapper.text()).toContain('Waiting for requests');
    send({ model: 'claude-sonnet-4-5' });
    await settle();
    expect(wrapper.text()).toContain('claude-sonnet-4-5');
  });

  it('holds new requests while paused and shows them on resume', async () => {
    const { wrapper, send } = setup();
    await settle();
    send({ model: 'first-model' });
    await settle();
    await wrapper.get('[data-test="pause"]').trigger('click');
    send({ model: 'while-paused' });
    send({ model: 'while-paused-too' });
    await settle();
    expect(wrapper.text()).not.toContain('while-paused');
    expect(wrapper.get('[data-test="resume"]').text()).toContain('2 new');

    await wrapper.get('[data-test="resume"]').trigger('click');
    await settle();
    expect(wrapper.text()).toContain('while-paused-too');
    expect(wrapper.find('[data-test="pause"]').exists()).toBe(true);
  });

  it('applies the filter to live requests', async () => {
    const { wrapper, send } = setup();
    await settle();
    filter.value = { ...emptyFilter(), decision: 'BLOCKED' };
    send({ model: 'allowed-model', decision: 'ALLOWED' });
    send({ model: 'blocked-model', decision: 'BLOCKED' });
    await settle();
    expect(wrapper.text()).toContain('blocked-model');
    expect(wrapper.text()).not.toContain('allowed-model');
  });
});

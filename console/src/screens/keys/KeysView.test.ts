import { afterEach, describe, expect, it } from 'vitest';
import { key } from '@/testing/fixtures';
import { mountScreen, settle } from '@/testing/mount';
import KeysView from './KeysView.vue';

const page = (nodes: ReturnType<typeof key>[]) => ({ keys: { nodes, pageInfo: { hasNextPage: false, endCursor: null }, totalCount: nodes.length } });
const options = { teams: [{ id: 't1', name: 'Support' }], credentials: [] };
const responses = {
  Keys: page([key({ name: 'support-agent', usage: { requests: 1234, costMicros: 12_500_000 }, team: { id: 't1', name: 'Support' } })]),
  KeyFormOptions: options,
};

afterEach(() => {
  document.body.innerHTML = '';
});

describe('the keys screen', () => {
  it('lists keys with their team, spend and request count', async () => {
    const { wrapper } = mountScreen(KeysView, { permissions: ['keys:read'], responses });
    await settle();
    expect(wrapper.text()).toContain('support-agent');
    expect(wrapper.text()).toContain('Support');
    expect(wrapper.text()).toContain('$12.50');
    expect(wrapper.text()).toContain('1,234 requests');
  });

  it('hides create and row actions from roles that cannot change keys', async () => {
    const { wrapper } = mountScreen(KeysView, { permissions: ['keys:read'], responses });
    await settle();
    expect(wrapper.find('[data-test="create-key"]').exists()).toBe(false);
    expect(wrapper.find('[aria-label="Actions for support-agent"]').exists()).toBe(false);
  });

  it('offers create and row actions to roles that can', async () => {
    const { wrapper } = mountScreen(KeysView, { permissions: ['keys:read', 'keys:write'], responses });
    await settle();
    expect(wrapper.find('[data-test="create-key"]').exists()).toBe(true);
    expect(wrapper.find('[aria-label="Actions for support-agent"]').exists()).toBe(true);
  });

  it('explains an empty list and offers the first key', async () => {
    const { wrapper } = mountScreen(KeysView, { permissions: ['keys:read', 'keys:write'], responses: { Keys: page([]), KeyFormOptions: options } });
    await settle();
    // Active keys are shown by default; with no key at all the filter is cleared first.
    expect(wrapper.text()).toContain('No key matches these filters');
    await wrapper.get('button.n-button:not([data-test])').trigger('click');
    await settle();
    expect(wrapper.text()).toContain('No keys yet');
    expect(wrapper.text()).toContain('Create your first key');
  });

  it('shows why the list could not load', async () => {
    const { wrapper } = mountScreen(KeysView, { permissions: ['keys:read'], responses: { Keys: new Error('Your role (auditor) does not allow keys:read.'), KeyFormOptions: options } });
    await settle();
    expect(wrapper.text()).toContain('Could not load keys');
    expect(wrapper.text()).toContain('does not allow keys:read');
  });
});

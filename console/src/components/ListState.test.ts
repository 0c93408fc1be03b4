import { CombinedError } from '@urql/vue';
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { h } from 'vue';
import ListState from './ListState.vue';

const base = { noun: 'keys', emptyTitle: 'No keys yet', emptyDescription: 'Create a key for each agent.' };
const rows = () => h('table', { 'data-test': 'rows' });

describe('list states', () => {
  it('shows a skeleton while the first load runs', () => {
    const wrapper = mount(ListState, { props: { ...base, fetching: true, empty: true }, slots: { default: rows } });
    expect(wrapper.find('[aria-busy="true"]').exists()).toBe(true);
    expect(wrapper.find('[data-test="rows"]').exists()).toBe(false);
  });

  it('says what to do when the list is empty', () => {
    const wrapper = mount(ListState, {
      props: { ...base, fetching: false, empty: true },
      slots: { default: rows, 'empty-action': () => h('button', 'Create your first key') },
    });
    expect(wrapper.text()).toContain('No keys yet');
    expect(wrapper.text()).toContain('Create a key for each agent.');
    expect(wrapper.text()).toContain('Create your first key');
  });

  it("shows the control plane's message and a retry when loading failed", async () => {
    const error = new CombinedError({ graphQLErrors: [{ message: 'Your role (auditor) does not allow keys:read.' }] });
    const wrapper = mount(ListState, { props: { ...base, fetching: false, empty: true, error }, slots: { default: rows } });
    expect(wrapper.get('[role="alert"]').text()).toContain('Could not load keys');
    expect(wrapper.text()).toContain('does not allow keys:read');
    await wrapper.get('button').trigger('click');
    expect(wrapper.emitted('retry')).toHaveLength(1);
  });

  it('keeps showing rows when only a refresh failed', () => {
    const error = new CombinedError({ networkError: new Error('offline') });
    const wrapper = mount(ListState, { props: { ...base, fetching: false, empty: false, error }, slots: { default: rows } });
    expect(wrapper.find('[data-test="rows"]').exists()).toBe(true);
    expect(wrapper.text()).toContain('Could not refresh keys');
    expect(wrapper.text()).toContain('Could not reach the Keyward control plane');
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryHistory, createRouter } from 'vue-router';
import { key } from '@/testing/fixtures';
import { mountScreen, settle } from '@/testing/mount';
import KeysView from './KeysView.vue';

const page = (nodes: ReturnType<typeof key>[]) => ({ keys: { nodes, pageInfo: { hasNextPage: false, endCursor: null }, totalCount: nodes.length } });
const options = { teams: [{ id: 't1', name: 'Support' }], credentials: [] };
const installation = (gatewayUrl: string | null) => ({ installation: { edition: 'SELF_HOSTED', gatewayUrl } });
const responses = {
  Installation: installation('https://gw.example.com'),
  Keys: page([key({ name: 'support-agent', usage: { requests: 1234, costMicros: 12_500_000 }, team: { id: 't1', name: 'Support' } })]),
  KeyFormOptions: options,
};

/** The routes the keys list links to. */
const keyPages = () =>
  createRouter({
    history: createMemoryHistory(),
    routes: ['/keys', '/keys/:id'].map((path, i) => ({ path, name: i === 0 ? 'keys' : 'key', component: { render: () => null } })),
  });

afterEach(() => {
  document.body.innerHTML = '';
});

describe('the keys screen', () => {
  it('lists keys with their team, spend and request count', async () => {
    const { wrapper } = mountScreen(KeysView, { plugins: [keyPages()], permissions: ['keys:read'], responses });
    await settle();
    expect(wrapper.text()).toContain('support-agent');
    expect(wrapper.text()).toContain('Support');
    expect(wrapper.text()).toContain('$12.50');
    expect(wrapper.text()).toContain('1,234 requests');
    expect(wrapper.find('a.key-name').attributes('href')).toMatch(/^\/keys\/[^/]+$/);
  });

  it('hides create and row actions from roles that cannot change keys', async () => {
    const { wrapper } = mountScreen(KeysView, { plugins: [keyPages()], permissions: ['keys:read'], responses });
    await settle();
    expect(wrapper.find('[data-test="create-key"]').exists()).toBe(false);
    expect(wrapper.find('[aria-label="Actions for support-agent"]').exists()).toBe(false);
  });

  it('offers create and row actions to roles that can', async () => {
    const { wrapper } = mountScreen(KeysView, { plugins: [keyPages()], permissions: ['keys:read', 'keys:write'], responses });
    await settle();
    expect(wrapper.find('[data-test="create-key"]').exists()).toBe(true);
    expect(wrapper.find('[aria-label="Actions for support-agent"]').exists()).toBe(true);
  });

  it('explains an empty list and offers the first key', async () => {
    const { wrapper } = mountScreen(KeysView, { plugins: [keyPages()], permissions: ['keys:read', 'keys:write'], responses: { ...responses, Keys: page([]) } });
    await settle();
    // Active keys are shown by default; with no key at all the filter is cleared first.
    expect(wrapper.text()).toContain('No key matches these filters');
    await wrapper.get('button.n-button:not([data-test])').trigger('click');
    await settle();
    expect(wrapper.text()).toContain('No keys yet');
    expect(wrapper.text()).toContain('Create your first key');
  });

  it('shows why the list could not load', async () => {
    const { wrapper } = mountScreen(KeysView, {
      plugins: [keyPages()],
      permissions: ['keys:read'],
      responses: { ...responses, Keys: new Error('Your role (auditor) does not allow keys:read.') },
    });
    await settle();
    expect(wrapper.text()).toContain('Could not load keys');
    expect(wrapper.text()).toContain('does not allow keys:read');
  });

  it("shows the gateway's address and snippets for each client that read the key from $KEYWARD_KEY", async () => {
    const { wrapper } = mountScreen(KeysView, { plugins: [keyPages()], permissions: ['keys:read'], responses });
    await settle();
    expect(wrapper.get('[data-test="gateway-url"]').text()).toBe('https://gw.example.com');
    const snippet = (client: string) => wrapper.get(`[data-test="snippet-${client}"]`).text();
    expect(snippet('openai-node')).toContain("baseURL: 'https://gw.example.com/v1'");
    expect(snippet('openai-node')).toContain('apiKey: process.env.KEYWARD_KEY');
    expect(snippet('openai-python')).toContain('base_url="https://gw.example.com/v1"');
    expect(snippet('openai-python')).toContain('api_key=os.environ["KEYWARD_KEY"]');
    expect(snippet('anthropic-node')).toContain("baseURL: 'https://gw.example.com'");
    expect(snippet('gemini-node')).toContain("httpOptions: { baseUrl: 'https://gw.example.com' }");
    expect(snippet('curl')).toContain(`curl 'https://gw.example.com/v1/chat/completions'`);
    expect(snippet('curl')).toContain('-H "Authorization: Bearer $KEYWARD_KEY"');
  });

  it('says the gateway address is not configured rather than guessing one', async () => {
    const { wrapper } = mountScreen(KeysView, {
      plugins: [keyPages()],
      permissions: ['keys:read'],
      responses: { ...responses, Installation: installation(null) },
    });
    await settle();
    expect(wrapper.get('[data-test="gateway-unknown"]').text()).toContain('Set KEYWARD_GATEWAY_URL on the control plane');
    expect(wrapper.find('[data-test^="snippet-"]').exists()).toBe(false);
  });
});

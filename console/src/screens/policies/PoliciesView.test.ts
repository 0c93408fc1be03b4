import { afterEach, describe, expect, it } from 'vitest';
import { h } from 'vue';
import { createMemoryHistory, createRouter, RouterView } from 'vue-router';
import type { PolicySummaryFieldsFragment } from '@/gql/graphql';
import { mountScreen, settle } from '@/testing/mount';
import PoliciesView from './PoliciesView.vue';

const policy = (overrides: Partial<PolicySummaryFieldsFragment>): PolicySummaryFieldsFragment => ({
  id: 'pol_1',
  name: 'Guardrails',
  description: 'Every agent',
  enabled: true,
  shadow: false,
  currentVersion: 4,
  format: 'YAML',
  attachments: [],
  updatedAt: '2026-11-23T12:00:00Z',
  ...overrides,
});

async function open(permissions: string[], response: unknown) {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/policies', name: 'policies', component: PoliciesView },
      { path: '/policies/new', name: 'policy-new', component: { render: () => null } },
      { path: '/policies/:id', name: 'policy', component: { render: () => null } },
    ],
  });
  await router.push('/policies');
  await router.isReady();
  const mounted = mountScreen(() => h(RouterView), { permissions, plugins: [router], responses: { Policies: response } });
  await settle();
  return { ...mounted, router };
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('the policies list', () => {
  it('shows each policy with its state and where it applies', async () => {
    const { wrapper } = await open(['policies:read'], {
      policies: [
        policy({
          attachments: [
            { kind: 'ORG', id: 'org_1', name: 'Acme' },
            { kind: 'TEAM', id: 't1', name: 'Support' },
          ],
        }),
        policy({ id: 'pol_2', name: 'Answer review', shadow: true, enabled: false }),
      ],
    });
    const text = wrapper.text();
    expect(text).toContain('Organization');
    expect(text).toContain('Team: Support');
    expect(text).toContain('v4');
    expect(text).toContain('Disabled');
    expect(text).toContain('Shadow');
    expect(text).toContain('Attached nowhere');
  });

  it('opens a policy from its row', async () => {
    const { wrapper, router } = await open(['policies:read'], { policies: [policy({})] });
    await wrapper.get('.n-data-table-tbody .n-data-table-tr').trigger('click');
    await settle();
    expect(router.currentRoute.value.fullPath).toBe('/policies/pol_1');
  });

  it('invites writers to their first policy and hides the button from readers', async () => {
    const writer = await open(['policies:read', 'policies:write'], { policies: [] });
    expect(writer.wrapper.text()).toContain('Write your first policy');
    expect(writer.wrapper.find('[data-test="new-policy"]').exists()).toBe(true);
    document.body.innerHTML = '';
    const reader = await open(['policies:read'], { policies: [] });
    expect(reader.wrapper.text()).toContain('No policies yet');
    expect(reader.wrapper.find('[data-test="new-policy"]').exists()).toBe(false);
  });

  it('says why the list could not load', async () => {
    const { wrapper } = await open(['policies:read'], new Error('Your role does not allow policies:read.'));
    expect(wrapper.text()).toContain('Could not load policies');
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { BudgetFieldsFragment, RateLimitFieldsFragment } from '@/gql/graphql';
import { mountScreen, settle } from '@/testing/mount';
import BudgetsView from './BudgetsView.vue';

function budget(overrides: Partial<BudgetFieldsFragment> = {}): BudgetFieldsFragment {
  return {
    id: 'bud_1',
    name: 'Support monthly cap',
    scope: { kind: 'TEAM', id: 'team_1' },
    period: 'MONTH',
    limit: '25.00',
    limitMicros: 25_000_000,
    action: 'BLOCK',
    alertThresholds: [50, 80, 100],
    enforced: true,
    currentPeriod: '2026-11',
    spent: '21.25',
    spentMicros: 21_250_000,
    percentUsed: 85,
    createdAt: '2026-11-01T00:00:00Z',
    updatedAt: '2026-11-01T00:00:00Z',
    ...overrides,
  };
}

const rateLimit: RateLimitFieldsFragment = {
  id: 'rl_1',
  name: 'Burst protection',
  scope: { kind: 'ORG', id: 'org_1' },
  requestsPerMinute: 600,
  tokensPerMinute: null,
  concurrentRequests: 20,
  enforced: true,
  createdAt: '2026-11-01T00:00:00Z',
  updatedAt: '2026-11-01T00:00:00Z',
};

const base = {
  Budgets: { budgets: [budget()] },
  RateLimits: { rateLimits: [rateLimit] },
  BudgetsPlan: { organization: { id: 'org_1', plan: 'PRO' } },
  ScopeTeams: { teams: [{ id: 'team_1', name: 'Support' }] },
  ScopeKeySearch: { keys: { nodes: [] } },
};

async function typeInto(selector: string, value: string) {
  const input = document.querySelector<HTMLInputElement>(`${selector} input`)!;
  input.value = value;
  input.dispatchEvent(new Event('input'));
  input.dispatchEvent(new Event('blur'));
  await settle();
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('the budgets screen', () => {
  it('shows each budget with its scope, spend against the cap and the period', async () => {
    const { wrapper } = mountScreen(BudgetsView, { permissions: ['limits:read'], responses: base });
    await settle();
    const table = wrapper.get('[data-test="budgets-table"]').text();
    expect(table).toContain('Support monthly cap');
    expect(table).toContain('Team: Support');
    expect(table).toContain('$21.25 of $25.00');
    expect(table).toContain('85%');
    expect(table).toContain('Monthly, Nov 2026');
    expect(wrapper.text()).toContain('Burst protection');
    expect(wrapper.text()).toContain('Unlimited');
  });

  it('hides every change from roles that can only read limits', async () => {
    const { wrapper } = mountScreen(BudgetsView, { permissions: ['limits:read'], responses: base });
    await settle();
    expect(wrapper.find('[data-test="add-budget"]').exists()).toBe(false);
    expect(wrapper.find('[aria-label="Actions for Support monthly cap"]').exists()).toBe(false);
  });

  it('explains empty lists', async () => {
    const { wrapper } = mountScreen(BudgetsView, {
      permissions: ['limits:read', 'limits:write'],
      responses: { ...base, Budgets: { budgets: [] }, RateLimits: { rateLimits: [] } },
    });
    await settle();
    expect(wrapper.text()).toContain('No budgets yet');
    expect(wrapper.text()).toContain('Add your first budget');
    expect(wrapper.text()).toContain('No rate limits yet');
  });

  it('refuses a cap typed with a decimal comma, saying why, and sends nothing', async () => {
    let sent = false;
    const { wrapper } = mountScreen(BudgetsView, {
      permissions: ['limits:read', 'limits:write'],
      responses: { ...base, CreateBudget: () => ((sent = true), { createBudget: budget() }) },
    });
    await settle();
    await wrapper.get('[data-test="add-budget"]').trigger('click');
    await settle();
    await typeInto('[data-test="limit"]', '2,5');
    expect(document.body.textContent).toContain('Use a dot for cents (25.50), not a comma.');
    document.querySelector<HTMLButtonElement>('[data-test="save-budget"]')!.click();
    await settle();
    expect(sent).toBe(false);
  });

  it('sends the cap typed with a dollar sign and thousands separator as an exact decimal string', async () => {
    const calls: { input: Record<string, unknown> }[] = [];
    const { wrapper } = mountScreen(BudgetsView, {
      permissions: ['limits:read', 'limits:write'],
      responses: { ...base, CreateBudget: (v: { input: Record<string, unknown> }) => (calls.push(v), { createBudget: budget({ id: 'bud_2' }) }) },
    });
    await settle();
    await wrapper.get('[data-test="add-budget"]').trigger('click');
    await settle();
    await typeInto('[data-test="limit"]', '$1,250.5');
    document.querySelector<HTMLButtonElement>('[data-test="save-budget"]')!.click();
    await settle();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.input).toMatchObject({
      scopeKind: 'ORG',
      scopeId: null,
      period: 'MONTH',
      limit: '1250.50',
      action: 'BLOCK',
      alertThresholds: [50, 80, 100],
    });
  });
});

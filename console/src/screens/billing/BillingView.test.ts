import { afterEach, describe, expect, it, vi } from 'vitest';
import { mountScreen, settle } from '@/testing/mount';
import BillingView from './BillingView.vue';

// happy-dom has no canvas: the chart is replaced by a stub that shows what it was given.
vi.mock('vue-echarts', () => ({ default: { props: ['option'], render: () => null } }));

/** The statement of the current month (the plan panel compares this month's usage with what the plan includes). */
const MONTH = new Date().toISOString().slice(0, 7);

const plans = [
  { plan: 'FREE', label: 'Free', monthlyFee: '0.00', includedUsage: '5.00', features: [] },
  { plan: 'PRO', label: 'Pro', monthlyFee: '49.00', includedUsage: '100.00', features: ['approvals', 'webhooks', 'slack'] },
];
const rollup = (group: string | null, label: string | null, costMicros: number, requests: number) => ({
  group,
  label,
  requests,
  inputTokens: requests * 1000,
  outputTokens: requests * 200,
  cachedInputTokens: 0,
  costMicros,
});
const credits = {
  enabled: false,
  balance: '200.00',
  balanceMicros: 200_000_000,
  used: '12.50',
  usedMicros: 12_500_000,
  remaining: '187.50',
  remainingMicros: 187_500_000,
  startDay: '2026-11-01',
};
const responses = {
  Installation: { installation: { edition: 'SERVICE', gatewayUrl: null } },
  BillingOverview: { organization: { id: 'org_1', plan: 'PRO' }, billingPlans: plans },
  Credits: {
    credits,
    creditLedger: [
      {
        id: 'c1',
        amount: '200.00',
        amountMicros: 200_000_000,
        reason: 'top_up',
        actor: 'user:user_1',
        reference: 'INV-42',
        note: null,
        createdAt: '2026-11-01T00:00:00Z',
      },
    ],
  },
  UsageRollups: (v: { groupBy: string }) => ({
    usageRollups:
      v.groupBy === 'ORG'
        ? [rollup('org_1', null, 12_345_678, 4200)]
        : v.groupBy === 'DAY'
          ? [rollup('2026-11-02', null, 2_000_000, 100)]
          : v.groupBy === 'MODEL'
            ? [rollup('gpt-4o', null, 10_000_000, 3000), rollup('', null, 0, 4)]
            : [rollup('key_1', 'support-agent', 12_345_678, 4200)],
  }),
  BillingStatement: {
    billingStatement: {
      month: MONTH,
      plan: 'PRO',
      lines: [
        {
          kind: 'plan_fee',
          description: `Pro plan, ${MONTH}`,
          model: null,
          requests: 0,
          inputTokens: 0,
          outputTokens: 0,
          amount: '49.00',
          amountMicros: 49_000_000,
        },
        {
          kind: 'usage',
          description: 'Usage of gpt-4o',
          model: 'gpt-4o',
          requests: 3000,
          inputTokens: 3_000_000,
          outputTokens: 600_000,
          amount: '10.00',
          amountMicros: 10_000_000,
        },
        {
          kind: 'included_usage',
          description: 'Usage included in the Pro plan (up to $100.00)',
          model: null,
          requests: 0,
          inputTokens: 0,
          outputTokens: 0,
          amount: '-10.00',
          amountMicros: -10_000_000,
        },
      ],
      usage: '10.00',
      total: '49.00',
      totalMicros: 49_000_000,
      csvPath: `/v1/billing/statements/${MONTH}.csv`,
    },
  },
};

afterEach(() => {
  document.body.innerHTML = '';
});

describe('usage and billing', () => {
  it('shows the plan, usage totals, credits and the month statement with its CSV', async () => {
    const { wrapper } = mountScreen(BillingView, { permissions: ['org:read', 'events:read'], responses });
    await settle();
    expect(wrapper.get('[data-test="plan-PRO"]').text()).toContain('Current');
    expect(wrapper.text()).toContain('$10.00 used this month of $100.00 included');
    expect(wrapper.get('[data-test="usage-spend"]').text()).toBe('$12.35');
    expect(wrapper.text()).toContain('support-agent');
    expect(wrapper.text()).toContain('No model');
    expect(wrapper.get('[data-test="remaining"]').text()).toBe('$187.50');
    expect(wrapper.get('[data-test="statement-total"]').text()).toBe('$49.00');
    expect(wrapper.get('[data-test="statement-csv"]').attributes('href')).toBe(`/v1/billing/statements/${MONTH}.csv`);
  });

  it('shows no plan on a self-hosted installation, only usage, credits and statements', async () => {
    const { wrapper } = mountScreen(BillingView, {
      permissions: ['org:read', 'events:read', 'billing:manage'],
      responses: {
        ...responses,
        Installation: { installation: { edition: 'SELF_HOSTED', gatewayUrl: null } },
        BillingOverview: new Error('plans are not asked for on a self-hosted installation'),
        BillingStatement: {
          billingStatement: {
            ...responses.BillingStatement.billingStatement,
            plan: null,
            lines: [responses.BillingStatement.billingStatement.lines[1]],
            total: '10.00',
            totalMicros: 10_000_000,
          },
        },
      },
    });
    await settle();
    expect(wrapper.find('[aria-label="Plan"]').exists()).toBe(false);
    expect(wrapper.text()).not.toMatch(/plan|\/ month|Upgrade/i);
    expect(wrapper.get('[data-test="usage-spend"]').text()).toBe('$12.35');
    expect(wrapper.get('[data-test="remaining"]').text()).toBe('$187.50');
    expect(wrapper.get('[data-test="statement-total"]').text()).toBe('$10.00');
  });

  it('offers plan changes and credits only to owners', async () => {
    const { wrapper } = mountScreen(BillingView, { permissions: ['org:read', 'events:read'], responses });
    await settle();
    expect(wrapper.find('[data-test="add-credits"]').exists()).toBe(false);
    expect(wrapper.text()).not.toContain('Move to Free');

    document.body.innerHTML = '';
    const owner = mountScreen(BillingView, { permissions: ['org:read', 'events:read', 'billing:manage'], responses });
    await settle();
    expect(owner.wrapper.find('[data-test="add-credits"]').exists()).toBe(true);
    expect(owner.wrapper.text()).toContain('Move to Free');
  });

  it('records a payment with the amount as typed, exactly', async () => {
    let sent: unknown;
    const { wrapper } = mountScreen(BillingView, {
      permissions: ['org:read', 'events:read', 'billing:manage'],
      responses: { ...responses, TopUpCredits: (v: unknown) => ((sent = v), { topUpCredits: credits }) },
    });
    await settle();
    await wrapper.get('[data-test="add-credits"]').trigger('click');
    await settle();
    const amount = document.querySelector<HTMLInputElement>('[data-test="amount"] input')!;
    amount.value = '$1,000.10';
    amount.dispatchEvent(new Event('input'));
    await settle();
    document.querySelector<HTMLButtonElement>('[data-test="record-payment"]')!.click();
    await settle();
    expect(sent).toEqual({ input: { amount: '1000.10', reference: null, note: null } });
  });
});

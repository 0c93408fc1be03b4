import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApprovalFieldsFragment } from '@/gql/graphql';
import { mountScreen, settle } from '@/testing/mount';
import ApprovalsView from './ApprovalsView.vue';

const NOW = Date.parse('2026-11-23T12:00:00Z');

function approval(overrides: Partial<ApprovalFieldsFragment> = {}): ApprovalFieldsFragment {
  return {
    id: 'apr_1',
    status: 'PENDING',
    decision: null,
    phase: 'request',
    reason: { kind: 'policy', policyId: 'pol_1', policyName: 'Production guardrails', policyVersion: 3, ruleId: 'shell-off-hours', budgetId: null },
    key: { id: 'key_1', name: 'ops-agent', prefix: 'kw_Ab12C', ownerLabel: 'deploy-bot' },
    nodeId: 'node-a',
    requestId: 'req_1',
    api: 'openai',
    endpoint: 'chat.completions',
    model: 'gpt-4o',
    summary: {
      messages: [{ role: 'user', text: 'Clean up the old release folders on prod.' }],
      toolCalls: [{ name: 'shell_exec', arguments: '{"command":"rm -rf /srv/releases/old"}' }],
    },
    expiresAt: new Date(NOW + 90_000).toISOString(),
    onTimeout: 'block',
    decidedBy: null,
    decidedByName: null,
    decisionReason: null,
    decidedAt: null,
    outcome: null,
    outcomeAt: null,
    createdAt: new Date(NOW - 30_000).toISOString(),
    ...overrides,
  };
}

const queue = (nodes: ApprovalFieldsFragment[]) => ({ approvals: { nodes, totalCount: nodes.length } });
const history = { approvals: { nodes: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 } };
const plan = { organization: { id: 'org_1', plan: 'PRO' } };

let unmount: (() => void) | null = null;

function open(permissions: string[], responses: Record<string, unknown> = {}) {
  const mounted = mountScreen(ApprovalsView, {
    permissions,
    responses: { ApprovalQueue: queue([approval()]), ApprovalHistory: history, ApprovalsPlan: plan, ...responses },
  });
  unmount = () => mounted.wrapper.unmount();
  return mounted;
}

beforeEach(() => {
  // Only the clock and the countdown's interval are faked: the mock network answers on real timers.
  vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  // Unmounting stops the shared one-second clock, so the next test starts its own on fake timers.
  unmount?.();
  vi.useRealTimers();
  document.body.innerHTML = '';
});

describe('the approval queue', () => {
  it('shows the held request with its rule, key, agent and summary', async () => {
    const { wrapper } = open(['approvals:read']);
    await settle();
    const card = wrapper.get('[data-test="approval-apr_1"]');
    expect(card.text()).toContain('ops-agent');
    expect(card.text()).toContain('deploy-bot');
    expect(card.text()).toContain('Production guardrails, rule shell-off-hours (v3)');
    expect(card.text()).toContain('Clean up the old release folders on prod.');
    expect(card.text()).toContain('shell_exec({"command":"rm -rf /srv/releases/old"})');
    expect(card.text()).toContain('If nobody decides, the request is blocked.');
  });

  it('counts down to the expiry every second and disables deciding once it passes', async () => {
    const { wrapper } = open(['approvals:read', 'approvals:decide']);
    await settle();
    expect(wrapper.get('[data-test="countdown"]').text()).toBe('1:30');
    vi.advanceTimersByTime(31_000);
    await settle();
    expect(wrapper.get('[data-test="countdown"]').text()).toBe('0:59');
    vi.advanceTimersByTime(60_000);
    await settle();
    expect(wrapper.get('[data-test="countdown"]').text()).toBe('Expired');
    expect(wrapper.get('[data-test="approve"]').attributes('disabled')).toBeDefined();
  });

  it('rejects with the reason typed, and the request leaves the queue', async () => {
    const calls: unknown[] = [];
    const { wrapper } = open(['approvals:read', 'approvals:decide'], {
      RejectRequest: (variables: { id: string; reason: string | null }) => {
        calls.push(variables);
        return {
          rejectRequest: approval({
            status: 'REJECTED',
            decision: 'REJECTED',
            decidedBy: 'user:user_1',
            decidedByName: 'Ada Lovelace',
            decisionReason: variables.reason,
          }),
        };
      },
    });
    await settle();
    await wrapper.get('[data-test="reject"]').trigger('click');
    await settle();
    const reason = document.querySelector<HTMLTextAreaElement>('[data-test="decision-reason"] textarea')!;
    reason.value = 'Deleting release folders needs a change ticket';
    reason.dispatchEvent(new Event('input'));
    await settle();
    document.querySelector<HTMLButtonElement>('[data-test="confirm-decision"]')!.click();
    await settle();
    expect(calls).toEqual([{ id: 'apr_1', reason: 'Deleting release folders needs a change ticket' }]);
    expect(wrapper.find('[data-test="approval-apr_1"]').exists()).toBe(false);
    expect(wrapper.text()).toContain('Nothing is waiting');
  });

  it('approves without a reason', async () => {
    const calls: unknown[] = [];
    const { wrapper } = open(['approvals:read', 'approvals:decide'], {
      ApproveRequest: (variables: unknown) => {
        calls.push(variables);
        return { approveRequest: approval({ status: 'APPROVED', decision: 'APPROVED' }) };
      },
    });
    await settle();
    await wrapper.get('[data-test="approve"]').trigger('click');
    await settle();
    document.querySelector<HTMLButtonElement>('[data-test="confirm-decision"]')!.click();
    await settle();
    expect(calls).toEqual([{ id: 'apr_1', reason: null }]);
  });

  it('adds requests as nodes hold them and drops those someone else decided', async () => {
    const { wrapper, mock } = open(['approvals:read', 'approvals:decide']);
    await settle();
    const live = mock.subscription('ApprovalQueueUpdates');
    live.next({ approvalQueue: approval({ id: 'apr_2', key: { id: 'key_2', name: 'billing-agent', prefix: 'kw_Zz99Y', ownerLabel: 'finance-bot' } }) });
    await settle();
    expect(wrapper.find('[data-test="approval-apr_2"]').exists()).toBe(true);
    live.next({ approvalQueue: approval({ status: 'APPROVED', decision: 'APPROVED', decidedBy: 'user:other', decidedByName: 'Grace Hopper' }) });
    await settle();
    expect(wrapper.find('[data-test="approval-apr_1"]').exists()).toBe(false);
    expect(document.body.textContent).toContain('approved by Grace Hopper');
  });

  it('tells the person when someone else decided while they were writing a reason', async () => {
    const { wrapper, mock } = open(['approvals:read', 'approvals:decide']);
    await settle();
    await wrapper.get('[data-test="approve"]').trigger('click');
    await settle();
    mock.subscription('ApprovalQueueUpdates').next({
      approvalQueue: approval({ status: 'REJECTED', decision: 'REJECTED', decidedBy: 'user:other', decidedByName: 'Grace Hopper' }),
    });
    await settle();
    expect(document.querySelector('[data-test="already-decided"]')?.textContent).toContain('Already rejected by Grace Hopper');
    expect(document.querySelector<HTMLButtonElement>('[data-test="confirm-decision"]')!.disabled).toBe(true);
  });

  it('offers no decision to roles that cannot decide', async () => {
    const { wrapper } = open(['approvals:read']);
    await settle();
    expect(wrapper.find('[data-test="approve"]').exists()).toBe(false);
    expect(wrapper.text()).toContain('not decide on them');
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookFieldsFragment } from '@/gql/graphql';
import { mountScreen, settle } from '@/testing/mount';
import { WEBHOOK_EVENTS } from './webhook-events';
import WebhooksView from './WebhooksView.vue';

const SECRET = 'whsec_9f8e7d6c5b4a39281706f5e4d3c2b1a0';

const hook: WebhookFieldsFragment = {
  id: 'wh_1',
  kind: 'WEBHOOK',
  urlHint: 'https://hooks.example.com/…',
  events: ['approval.requested', 'budget.threshold'],
  createdBy: 'user:user_1',
  createdAt: '2026-11-20T10:00:00Z',
};
const slack: WebhookFieldsFragment = { ...hook, id: 'wh_slack', kind: 'SLACK', urlHint: 'https://hooks.slack.com/services/T000/…' };
const list = (webhooks: WebhookFieldsFragment[]) => ({ webhooks, organization: { id: 'org_1', plan: 'PRO' } });

async function fill(selector: string, value: string) {
  const input = document.querySelector<HTMLInputElement>(`${selector} input`)!;
  input.value = value;
  input.dispatchEvent(new Event('input'));
  await settle();
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('webhooks and Slack', () => {
  it('lists webhooks and the Slack integration without any secret', async () => {
    const { wrapper } = mountScreen(WebhooksView, { permissions: ['webhooks:manage'], responses: { Webhooks: list([hook, slack]) } });
    await settle();
    expect(wrapper.text()).toContain('https://hooks.example.com/…');
    expect(wrapper.text()).toContain('A request is held for approval');
    expect(wrapper.get('[data-test="slack"]').text()).toContain('Connected');
    expect(wrapper.get('[data-test="slack"]').text()).toContain('https://hooks.slack.com/services/T000/…');
  });

  it('shows a new webhook signing secret once, and forgets it when closed', async () => {
    let sent: unknown;
    const { wrapper } = mountScreen(WebhooksView, {
      permissions: ['webhooks:manage'],
      responses: { Webhooks: list([]), CreateWebhook: (v: unknown) => ((sent = v), { createWebhook: { webhook: hook, secret: SECRET } }) },
    });
    await settle();
    await wrapper.get('[data-test="add-webhook"]').trigger('click');
    await settle();
    await fill('[data-test="webhook-url"]', 'https://hooks.example.com/keyward');
    document.querySelector<HTMLButtonElement>('[data-test="create-webhook"]')!.click();
    await settle();
    // A new webhook receives every event until the owner unticks some.
    expect(sent).toEqual({ input: { url: 'https://hooks.example.com/keyward', events: WEBHOOK_EVENTS.map((e) => e.value) } });

    expect(document.querySelector('[data-test="secret"]')?.textContent).toBe(SECRET);
    expect(document.querySelector('[data-test="warning"]')?.textContent).toContain('keeps this secret sealed');
    expect(document.querySelector('[data-test="warning"]')?.textContent).not.toContain('hash');
    const done = document.querySelector<HTMLButtonElement>('[data-test="done"]')!;
    expect(done.disabled).toBe(true);
    document.querySelector<HTMLElement>('[data-test="stored"]')!.click();
    await settle();
    done.click();
    await settle();
    // The modal's leave transition.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(document.body.innerHTML).not.toContain(SECRET);
  });

  it('refuses a URL that is not https before sending it', async () => {
    let sent = false;
    const { wrapper } = mountScreen(WebhooksView, {
      permissions: ['webhooks:manage'],
      responses: { Webhooks: list([]), CreateWebhook: () => ((sent = true), { createWebhook: { webhook: hook, secret: SECRET } }) },
    });
    await settle();
    await wrapper.get('[data-test="add-webhook"]').trigger('click');
    await settle();
    await fill('[data-test="webhook-url"]', 'hooks.example.com');
    document.querySelector<HTMLButtonElement>('[data-test="create-webhook"]')!.click();
    await settle();
    expect(sent).toBe(false);
    expect(document.body.textContent).toContain('Enter a full URL, starting with https://.');
  });

  it('empties the Slack URL field when its window closes', async () => {
    const { wrapper } = mountScreen(WebhooksView, { permissions: ['webhooks:manage'], responses: { Webhooks: list([]) } });
    await settle();
    await wrapper.get('[data-test="connect-slack"]').trigger('click');
    await settle();
    await fill('[data-test="slack-url"]', 'https://hooks.slack.com/services/T000/B000/SECRETPART');
    const cancel = [...document.querySelectorAll<HTMLButtonElement>('.n-modal button')].find((b) => b.textContent?.trim() === 'Cancel')!;
    cancel.click();
    await settle();
    await wrapper.get('[data-test="connect-slack"]').trigger('click');
    await settle();
    expect(document.querySelector<HTMLInputElement>('[data-test="slack-url"] input')!.value).toBe('');
    expect(document.body.innerHTML).not.toContain('SECRETPART');
  });
});

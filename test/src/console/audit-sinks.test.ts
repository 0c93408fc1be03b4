import OpenAI from 'openai';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startHttpReceiver, type HttpReceiver } from '../support/audit-receivers.js';
import { DESKTOP, launchBrowser, openConsolePage, UI_TIMEOUT_MS, type ConsolePage } from './support/browser.js';
import { dialog, formItem, openScreen, signIn } from './support/console-actions.js';
import { startConsoleSystem, waitForKeyOnNode, type ConsoleSystem } from './support/console-system.js';

/**
 * An owner sets up an audit sink from the Admin activity screen in a real chromium: the form
 * says beside each field what is wrong (its own checks, and the control plane's, such as a
 * private address), the signing secret is shown once, a test event reaches the receiver, and
 * while the receiver is down the panel shows the lag and the error, then the lag draining once
 * it is back.
 */
describe('the audit sinks panel', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let owner: ConsolePage;
  let receiver: HttpReceiver;
  let openai: OpenAI;

  beforeAll(async () => {
    browser = await launchBrowser();
    receiver = await startHttpReceiver();
    world = await startConsoleSystem(inject('pgAdminUrl'), {
      controlPlaneEnv: { KEYWARD_AUDIT_SINK_POLL_MS: '100', KEYWARD_AUDIT_SINK_MAX_BACKOFF_SECONDS: '1' },
    });
    await world.system.addMockCredential();
    const key = await world.system.createKey({ name: 'sink-agent' });
    await waitForKeyOnNode(world.system, key.secret);
    openai = new OpenAI({ apiKey: key.secret, baseURL: `${world.system.dp.url}/v1`, maxRetries: 0 });
    owner = await openConsolePage(browser, DESKTOP);
    await signIn(owner.page, world.consoleUrl, world.operator);
    await openScreen(owner.page, 'Admin activity');
  });

  afterAll(async () => {
    await browser?.close();
    await world?.close();
    await receiver?.stop();
  });

  it('checks each field beside it, refuses a private address, and shows the signing secret once', async () => {
    const { page } = owner;
    await page.locator('[data-test=add-sink]').click();
    const form = dialog(page, 'Add an audit sink');
    await form.waitFor();
    await form.locator('[data-test=create-sink]').click();
    await formItem(form, 'Name').locator('.n-form-item-feedback', { hasText: 'Give the sink a name.' }).waitFor();
    await formItem(form, 'Endpoint URL').locator('.n-form-item-feedback', { hasText: 'Endpoint URL is required.' }).waitFor();

    await form.locator('[data-test=sink-name] input').fill('Security SIEM');
    await form.locator('input[name=url]').fill('https://10.20.30.40/keyward');
    await form.locator('[data-test=create-sink]').click();
    const urlFeedback = formItem(form, 'Endpoint URL').locator('.n-form-item-feedback');
    await urlFeedback.filter({ hasText: 'url:' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await urlFeedback.textContent()).toMatch(/^url: the URL .*private/);

    await form.locator('input[name=url]').fill(`${receiver.url}/keyward`);
    await form.locator('[data-test=create-sink]').click();
    const secret = await page.locator('[data-test=secret]').textContent({ timeout: UI_TIMEOUT_MS });
    expect(secret).toMatch(/^whsec_/);
    await page.locator('[data-test=stored]').click();
    await page.locator('[data-test=done]').click();
    owner.forgetTraffic();

    const card = page.locator('[data-test="sink-Security SIEM"]');
    await card.waitFor();
    expect(await card.locator('[data-test=sink-state]').textContent()).toBe('Delivering');
    await card.getByRole('button', { name: 'Send test event' }).click();
    await card.locator('[data-test=sink-test-result]', { hasText: 'Test event delivered.' }).waitFor();
    const records = receiver.requests.flatMap((r) =>
      r.body
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
    );
    expect(records.filter((r) => r.type === 'test')).toMatchObject([{ type: 'test', seq: 0, row: { action: 'sendAuditSinkTestEvent' } }]);
    expect((await owner.graphqlBodies()).some((body) => body.includes(secret!))).toBe(false);
  }, 120_000);

  it('shows the lag and the error while the receiver is down, and the lag draining when it returns', async () => {
    const { page } = owner;
    const card = page.locator('[data-test="sink-Security SIEM"]');
    await receiver.stop();
    const requestIds: string[] = [];
    for (const content of ['one', 'two']) {
      const { response } = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }).withResponse();
      requestIds.push(response.headers.get('x-request-id')!);
    }
    await card.locator('[data-test=sink-state]', { hasText: 'Failing' }).waitFor({ timeout: 30_000 });
    expect(await card.locator('[data-test=sink-lag-USAGE]').textContent()).toContain('lag 2');
    expect(await card.locator('[data-test=sink-error]').first().textContent()).toMatch(/ECONNREFUSED/);

    await card.getByRole('button', { name: 'Pause' }).click();
    await card.locator('[data-test=sink-state]', { hasText: 'Paused' }).waitFor();
    await receiver.start();
    await card.getByRole('button', { name: 'Resume' }).click();
    await card.locator('[data-test=sink-state]', { hasText: 'Delivering' }).waitFor({ timeout: 30_000 });
    await card.locator('[data-test=sink-lag-USAGE]', { hasText: 'lag 0' }).waitFor({ timeout: 30_000 });
    const usage = receiver.requests.flatMap((r) =>
      r.body
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
        .filter((record) => record.chain === 'usage'),
    );
    expect(usage.map((record) => record.row.requestId)).toEqual(requestIds);
    expect(owner.errors).toEqual([]);
  }, 120_000);
});

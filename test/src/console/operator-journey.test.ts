import { randomBytes } from 'node:crypto';
import { createOrgWithMember, type TestPerson } from '@keyward/control-plane/testing';
import { displayPrefix } from '@keyward/shared';
import OpenAI from 'openai';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DESKTOP, launchBrowser, openConsolePage, UI_TIMEOUT_MS, type ConsolePage } from './support/browser.js';
import { choose, dialog, domContains, fillSignIn, formItem, openScreen, signIn, tableRows } from './support/console-actions.js';
import { startConsoleSystem, waitForKeyOnNode, type ConsoleSystem } from './support/console-system.js';

/**
 * One operator's first session in the console, in a real chromium against the real control
 * plane, data-plane node and mock provider: sign in, add a provider credential, create a key,
 * watch a call made with it arrive live, and check that another organization sees none of it.
 * The tests run in order and build on each other, as the person's session does.
 */
describe('the console in a browser', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let operator: ConsolePage;
  const credentialName = `Mock gateway ${randomBytes(3).toString('hex')}`;
  const providerSecret = `sk-mock-${randomBytes(20).toString('hex')}`;
  const keyName = `support-agent-${randomBytes(3).toString('hex')}`;
  let keySecret = '';

  beforeAll(async () => {
    browser = await launchBrowser();
    world = await startConsoleSystem(inject('pgAdminUrl'));
    operator = await openConsolePage(browser, DESKTOP);
  });

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('signs a person in with their password on the Sign-in screen', async () => {
    const { page } = operator;
    await page.goto(`${world.consoleUrl}/keys`);
    await page.waitForURL((url) => url.pathname === '/login' && url.searchParams.get('redirect') === '/keys');

    await fillSignIn(page, { email: world.operator.email, password: 'not-the-password-1A' });
    await page
      .getByRole('alert')
      .filter({ hasText: /password/i })
      .waitFor();
    expect(page.url()).toContain('/login');

    await fillSignIn(page, world.operator);
    // Back where they were going, signed in: the sidebar names them and the screen loaded.
    await page.waitForURL(/\/keys$/);
    await page.getByRole('navigation', { name: 'Main' }).getByText(world.operator.name).waitFor();
    expect(await domContains(page, world.operator.password)).toBe(false);
  });

  it('adds an OpenAI-compatible credential whose secret never comes back', async () => {
    const { page } = operator;
    await openScreen(page, 'Provider credentials');
    await page.locator('[data-test=add-credential]').click();
    const form = dialog(page, 'Add a provider credential');
    await form.waitFor();
    await formItem(form, 'Name').locator('input').fill(credentialName);
    await choose(page, form, 'Provider', 'OpenAI-compatible');
    await formItem(form, 'Base URL').locator('input').fill(`${world.system.mock.url}/v1`);
    await form.locator('input[name=provider-secret]').fill(providerSecret);
    await form.locator('button[type=submit]').click();

    await form.waitFor({ state: 'hidden' });
    const row = tableRows(page, credentialName);
    await row.waitFor();
    expect(await row.textContent()).toContain(`••••${providerSecret.slice(-4)}`);
    expect(await domContains(page, providerSecret)).toBe(false);
    // The form forgot it as it closed: opening it again, without a reload, shows an empty secret field.
    await page.locator('[data-test=add-credential]').click();
    await expect.poll(() => form.locator('input[name=provider-secret]').inputValue(), { timeout: UI_TIMEOUT_MS }).toBe('');
    await form.getByRole('button', { name: 'Cancel' }).click();
    await form.waitFor({ state: 'hidden' });

    operator.forgetTraffic();
    await page.reload();
    await tableRows(page, credentialName).waitFor();
    expect(await domContains(page, providerSecret)).toBe(false);
    expect((await operator.graphqlBodies()).some((body) => body.includes(providerSecret))).toBe(false);
  });

  it('shows a new key’s secret once, then never again', async () => {
    const { page, context } = operator;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: world.consoleUrl });
    await openScreen(page, 'Keys');
    await page.locator('[data-test=create-key]').click();
    const form = dialog(page, 'Create a key');
    await formItem(form, 'Name').locator('input').fill(keyName);
    await formItem(form, 'Owner').locator('input').fill('support-bot');
    await form.locator('button[type=submit]').click();

    const shown = dialog(page, 'Your new key');
    await shown.waitFor();
    keySecret = ((await shown.locator('[data-test=secret]').textContent()) ?? '').trim();
    expect(keySecret).toMatch(/^kw_[A-Za-z0-9]{49}$/);
    // "Done" stays disabled until the secret was copied (or the person says they stored it).
    expect(await shown.locator('[data-test=done]').isDisabled()).toBe(true);
    await shown.locator('[data-test=copy]').click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(keySecret);
    await shown.locator('[data-test=done]').click();

    await shown.waitFor({ state: 'hidden' });
    await page.locator('[data-test=secret]').waitFor({ state: 'detached' });
    expect(await domContains(page, keySecret)).toBe(false);
    const row = tableRows(page, keyName);
    await row.waitFor();
    expect(await row.textContent()).toContain(`${displayPrefix(keySecret)}…`);

    operator.forgetTraffic();
    await page.reload();
    await tableRows(page, keyName).waitFor();
    expect(await domContains(page, keySecret)).toBe(false);
    expect((await operator.graphqlBodies()).some((body) => body.includes(keySecret))).toBe(false);
  });

  it('shows a call made with that key in the live feed within seconds, without reloading', async () => {
    const { page } = operator;
    await waitForKeyOnNode(world.system, keySecret);
    await openScreen(page, 'Requests');
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    // A page load would wipe this marker: it proves the row arrived over the subscription.
    await page.evaluate(() => ((window as unknown as { keywardNoReload: boolean }).keywardNoReload = true));
    const completions = () => tableRows(page, keyName).filter({ hasText: 'gpt-4o-mini' });
    const before = await completions().count();

    const openai = new OpenAI({ apiKey: keySecret, baseURL: `${world.system.dp.url}/v1`, maxRetries: 0 });
    const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello from the browser test' }] });
    expect(completion.choices[0]?.message.content).toBeTruthy();
    const answered = performance.now();
    // The credential added through the console is the one the node forwarded with.
    expect(world.system.mock.requests.at(-1)?.headers.authorization).toBe(`Bearer ${providerSecret}`);

    await expect.poll(() => completions().count(), { timeout: UI_TIMEOUT_MS, interval: 50 }).toBe(before + 1);
    const shownAfterMs = performance.now() - answered;
    console.log(`console live feed: the request appeared ${shownAfterMs.toFixed(0)} ms after the provider answered`);
    expect(shownAfterMs).toBeLessThan(5_000);
    expect(await page.evaluate(() => (window as unknown as { keywardNoReload?: boolean }).keywardNoReload)).toBe(true);
    expect(operator.errors).toEqual([]);
  });

  it('shows a member of another organization none of it', async () => {
    const otherOrg = await createOrgWithMember(world.system.cp, 'owner');
    const stranger: TestPerson = await world.addPerson(otherOrg.orgId, 'admin');
    const other = await openConsolePage(browser, DESKTOP);
    try {
      const { page } = other;
      await signIn(page, world.consoleUrl, stranger);
      const markers = [keyName, displayPrefix(keySecret), keySecret, credentialName, providerSecret, world.operator.email];

      await openScreen(page, 'Keys');
      await page.locator('[data-test=create-key]').waitFor();
      await page.getByText('No key matches these filters').waitFor();

      await openScreen(page, 'Provider credentials');
      await page.getByText('No provider credentials yet').waitFor();

      await openScreen(page, 'Requests');
      await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
      await page.getByText('Waiting for requests').waitFor();
      // Both people watch the live feed while the first organization's key makes a call.
      const seenByOperator = await tableRows(operator.page, keyName).count();
      const openai = new OpenAI({ apiKey: keySecret, baseURL: `${world.system.dp.url}/v1`, maxRetries: 0 });
      await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Private to the first organization' }] });
      await expect.poll(() => tableRows(operator.page, keyName).count(), { timeout: UI_TIMEOUT_MS }).toBe(seenByOperator + 1);
      expect(await page.locator('.n-data-table-tbody .n-data-table-tr').count()).toBe(0);
      await page.getByText('Waiting for requests').waitFor();

      await page.locator('.n-tabs-tab', { hasText: 'History' }).click();
      await page.getByText('No requests match').waitFor();

      for (const marker of markers) expect(await domContains(page, marker), `the other organization's page shows ${marker.slice(0, 12)}`).toBe(false);
      const traffic = [...(await other.graphqlBodies()), ...other.socketFrames].join('\n');
      for (const marker of markers) expect(traffic.includes(marker), `the other organization received ${marker.slice(0, 12)}`).toBe(false);
      expect(other.errors).toEqual([]);
    } finally {
      await other.context.close();
    }
  });

  it('logs none of the secrets typed or shown in the browser', () => {
    const logs = world.system.allLogs().join('\n');
    expect(keySecret).not.toBe('');
    for (const secret of [providerSecret, keySecret, world.operator.password]) expect(logs.includes(secret)).toBe(false);
  });
});

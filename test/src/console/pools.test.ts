import OpenAI from 'openai';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSmtpInbox, type SmtpInbox } from '../support/smtp-inbox.js';
import { eventually } from '../support/system.js';
import { DESKTOP, launchBrowser, openConsolePage, PHONE, saveScreenshot, UI_TIMEOUT_MS, type ConsolePage } from './support/browser.js';
import { openScreen, settle, signIn, tableRows } from './support/console-actions.js';
import { startConsoleSystem, waitForKeyOnNode, type ConsoleSystem } from './support/console-system.js';

const CSV = 'email,name\nalice@example.com,Alice\nbob@example.com,Bob\ncarol@example.com,Carol\n';

/**
 * Key pools in a real chromium against the real planes: an owner creates a pool and imports three
 * recipients from a CSV; the delivery email is read from a real SMTP server; the recipient opens
 * the link, copies the key, and calls the official OpenAI client with it until the budget refuses;
 * their own page then shows the spend.
 */
describe('key pools in the console', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let inbox: SmtpInbox;
  let owner: ConsolePage;
  let recipient: ConsolePage;

  /** The console's address for a link the control plane wrote with its configured public URL (a fixed port the test cannot know ahead). */
  const onConsole = (link: string) => {
    const url = new URL(link);
    return `${world.consoleUrl}${url.pathname}${url.hash}`;
  };
  const linkIn = (text: string) => /https?:\/\/\S+\/key#[A-Za-z0-9_-]{43}/.exec(text)?.[0];
  const pick = async (page: Page, select: string, option: string) => {
    await page.locator(`[data-test=${select}] .n-base-selection`).click();
    await page.locator('.n-base-select-option', { hasText: option }).first().click();
  };

  beforeAll(async () => {
    inbox = await startSmtpInbox();
    browser = await launchBrowser();
    world = await startConsoleSystem(inject('pgAdminUrl'), {
      advertiseGateway: true,
      controlPlaneEnv: { SMTP_URL: inbox.url, SMTP_FROM: 'Keyward <keys@keyward.test>' },
    });
    await world.system.addMockCredential();
    // gpt-4o-mini: $0.15 in and $0.60 out per million tokens, so each call costs 750 micro-dollars.
    world.system.mock.setBehaviour({ usage: { inputTokens: 1_000, outputTokens: 1_000 } });
    owner = await openConsolePage(browser, DESKTOP);
    recipient = await openConsolePage(browser, DESKTOP);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
    await inbox?.close();
  });

  it('creates a pool, imports three recipients from a CSV, and the recipient reveals the key, spends the budget and sees the spend', async () => {
    const { page } = owner;
    await signIn(page, world.consoleUrl, world.operator);
    await openScreen(page, 'Key pools');

    await page.locator('[data-test=new-pool]').click();
    const form = page.locator('[data-test=pool-form]');
    await form.waitFor();
    await form.locator('[data-test=pool-name] input').fill('Course 101');
    await pick(page, 'pool-credentials', 'mock');
    await form.locator('[data-test=pool-models] input').fill('gpt-4o-mini');
    await form.locator('[data-test=pool-budget] input').fill('0.002');
    await pick(page, 'pool-budget-period', 'per day');
    await form.locator('[data-test=pool-note] textarea').fill('For the exercises of week 3.');
    await form.locator('[data-test=pool-create]').click();
    await form.waitFor({ state: 'hidden' });
    await page.locator('[data-test=pool-detail] h2', { hasText: 'Course 101' }).waitFor();

    // A bad line first: the preview lists it and nothing can be imported.
    const csv = page.locator('[data-test=csv-import]');
    await csv.locator('[data-test=csv-text] textarea').fill(`${CSV}not-an-email,Eve\n`);
    await csv.locator('[data-test=csv-preview]').click();
    await csv.locator('[data-test=csv-line-errors]', { hasText: 'Line 5: "not-an-email" is not an email address.' }).waitFor();
    expect(await csv.locator('[data-test=csv-run]').isDisabled()).toBe(true);

    await csv.locator('[data-test=csv-text] textarea').fill(CSV);
    await csv.locator('[data-test=csv-preview]').click();
    await csv.locator('[data-test=csv-preview-table] tbody tr').nth(2).waitFor();
    expect(await csv.locator('[data-test=csv-preview-table] tbody tr').allInnerTexts()).toEqual([
      expect.stringMatching(/^2\s+alice@example\.com\s+Alice\s+\$0\.002 a day$/),
      expect.stringMatching(/^3\s+bob@example\.com\s+Bob\s+\$0\.002 a day$/),
      expect.stringMatching(/^4\s+carol@example\.com\s+Carol\s+\$0\.002 a day$/),
    ]);
    await settle(page);
    await saveScreenshot(page, 'pools-csv-preview');
    await csv.locator('[data-test=csv-run]').click();
    for (const email of ['alice@example.com', 'bob@example.com', 'carol@example.com']) {
      await tableRows(page, email).filter({ hasText: 'pending' }).waitFor({ timeout: UI_TIMEOUT_MS });
    }

    // The recipient's side: the email from the SMTP server, the link in their own browser.
    const mail = await inbox.mailTo('alice@example.com');
    expect(mail.subject).toBe('Your Keyward key for Course 101');
    const link = onConsole(linkIn(mail.text)!);
    await recipient.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: world.consoleUrl });
    const r = recipient.page;
    await r.goto(link);
    // The token leaves the address bar as soon as the page has read it.
    await eventually(() => (r.url().includes('#') ? undefined : true), UI_TIMEOUT_MS, 'the token to leave the address bar');
    await r.locator('[data-test=reveal]').click();
    const shown = await r.locator('[data-test=secret]').innerText();
    await r.locator('[data-test=copy-secret]').click();
    const secret = await r.evaluate(() => navigator.clipboard.readText());
    expect(secret).toBe(shown);
    expect(secret).toMatch(/^kw_/);
    expect(await r.locator('[data-test=note]').innerText()).toBe('For the exercises of week 3.');
    expect(await r.locator('[data-test=snippet-openai-node]').innerText()).toContain(secret);
    await settle(r);
    await saveScreenshot(r, 'pool-key-revealed');

    // A second visit reveals nothing (a fresh load: the same path with a hash alone would not reload the page).
    await r.goto('about:blank');
    await r.goto(link);
    await r.locator('[data-test=reveal]').click();
    await r.locator('[data-test=reveal-error]', { hasText: 'This link was already opened' }).waitFor();
    expect(await r.content()).not.toContain(secret);
    await saveScreenshot(r, 'pool-key-used');

    // The official OpenAI client, with the copied key, until the recipient's budget refuses.
    await waitForKeyOnNode(world.system, secret);
    const openai = new OpenAI({ apiKey: secret, baseURL: `${world.system.dp.url}/v1`, maxRetries: 0 });
    let answered = 0;
    const refusal = await eventually(
      async () => {
        const error = await openai.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).then(
          () => {
            answered++;
            return undefined;
          },
          (e: InstanceType<typeof OpenAI.APIError>) => e,
        );
        return error?.status === 429 ? error : undefined;
      },
      20_000,
      'the budget to refuse',
    );
    expect(refusal).toMatchObject({ status: 429, code: 'budget_exceeded' });
    expect(answered).toBeGreaterThanOrEqual(2);

    // The recipient's own page: signed in with an emailed code, it shows the spend.
    await r.goto(`${world.consoleUrl}/my-keys`);
    await r.locator('[data-test=email] input').fill('alice@example.com');
    await r.locator('[data-test=send-code]').click();
    const codeMail = await eventually(
      () => inbox.messages.find((m) => m.to.includes('alice@example.com') && /Your code is: \d{6}/.test(m.text)),
      10_000,
      'the code',
    );
    await r.locator('[data-test=code] input').fill(/Your code is: (\d{6})/.exec(codeMail.text)![1]);
    await r.locator('[data-test=sign-in]').click();
    await r.locator('[data-test=my-key]').waitFor();
    const spent = await eventually(
      async () => {
        await r.reload();
        const text = await r.locator('[data-test=spent]').innerText({ timeout: UI_TIMEOUT_MS });
        return Number(/\$([\d.]+)/.exec(text)![1]) >= 0.002 ? text : undefined;
      },
      15_000,
      'the spend on the recipient page',
    );
    expect(spent).toMatch(/^\$0\.00\d+ \(\d{4}-\d{2}-\d{2}\)$/);
    expect(await r.locator('[data-test=remaining]').innerText()).toBe('$0.00');
    expect(await r.locator('[data-test=my-key]').count()).toBe(1);
    const prefix = (await r.locator('[data-test=prefix]').innerText()).replace(/…$/, '');
    expect(prefix.length).toBeGreaterThan(4);
    expect(secret.startsWith(prefix)).toBe(true);
    await settle(r);
    await saveScreenshot(r, 'pool-recipient-page');

    // The owner's table shows the same spend.
    await page.reload();
    await tableRows(page, 'alice@example.com').filter({ hasText: 'active' }).filter({ hasText: '$0.00' }).waitFor({ timeout: UI_TIMEOUT_MS });
    await settle(page);
    await saveScreenshot(page, 'pools-recipients');
    expect(owner.errors).toEqual([]);
  }, 180_000);

  it('lays the pool screens out on a phone', async () => {
    const phone = await openConsolePage(browser, PHONE);
    await signIn(phone.page, world.consoleUrl, world.operator);
    await openScreen(phone.page, 'Key pools');
    await tableRows(phone.page, 'alice@example.com').waitFor({ timeout: UI_TIMEOUT_MS });
    await settle(phone.page);
    await saveScreenshot(phone.page, 'pools-phone');
    const width = await phone.page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(PHONE.width);

    const visitor = await openConsolePage(browser, PHONE);
    await visitor.page.goto(`${world.consoleUrl}/my-keys`);
    await visitor.page.locator('[data-test=email]').waitFor();
    await settle(visitor.page);
    await saveScreenshot(visitor.page, 'pool-recipient-sign-in-phone');
    await visitor.page.goto(`${world.consoleUrl}/key`);
    await visitor.page.locator('[data-test=reveal-error]').waitFor();
    await saveScreenshot(visitor.page, 'pool-key-no-token-phone');
    await phone.context.close();
    await visitor.context.close();
  }, 90_000);

  it("changes a pool's limits for every recipient, binds it to a route, and deletes it", async () => {
    const { page } = owner;
    const credentialId = (await world.system.owner.gql<{ credentials: { id: string }[] }>('{ credentials { id } }')).data!.credentials[0].id;
    const route = await world.system.owner.gql('mutation($input: RouteInput!) { createRoute(input: $input) { id } }', {
      input: { name: 'Class route', match: ['gpt-4o-mini'], targets: [{ credentialId, model: 'gpt-4o-mini' }] },
    });
    expect(route.errors).toBeUndefined();
    await page.reload();
    await page.locator('[data-test=pool-detail] h2', { hasText: 'Course 101' }).waitFor();

    await page.locator('[data-test=edit-pool]').click();
    const form = page.locator('[data-test=pool-form]');
    await form.waitFor();
    expect(await form.locator('[data-test=pool-name] input').inputValue()).toBe('Course 101');
    expect(await form.locator('[data-test=pool-note] textarea').inputValue()).toBe('For the exercises of week 3.');
    await form.locator('[data-test=pool-budget] input').fill('0.01');
    await pick(page, 'pool-route', 'Class route');
    await form.locator('[data-test=pool-apply-limits]').click();
    await settle(page);
    await saveScreenshot(page, 'pools-edit');
    await form.locator('[data-test=pool-create]').click();
    await form.waitFor({ state: 'hidden' });
    await page.locator('[data-test=pool-route-name]', { hasText: 'Route: Class route' }).waitFor();
    for (const email of ['alice@example.com', 'bob@example.com', 'carol@example.com']) {
      await tableRows(page, email).filter({ hasText: '$0.01 a day' }).waitFor({ timeout: UI_TIMEOUT_MS });
    }

    await page.locator('[data-test=delete-pool]').click();
    const confirm = page.locator('.n-dialog', { hasText: 'Delete pool "Course 101"?' });
    await confirm.waitFor();
    await confirm.locator('button', { hasText: 'Delete pool' }).click();
    await page.getByText('No key pools yet').waitFor({ timeout: UI_TIMEOUT_MS });
    const pools = await world.system.owner.gql<{ pools: unknown[] }>('{ pools { id } }');
    expect(pools.data!.pools).toEqual([]);
    expect(owner.errors).toEqual([]);
  }, 120_000);

  it('never leaves a key or a link token in the logs', () => {
    const logs = world.system.allLogs().join('\n');
    for (const mail of inbox.messages) {
      const link = linkIn(mail.text);
      if (link) expect(logs).not.toContain(new URL(link).hash.slice(1));
    }
    expect(logs).not.toMatch(/kw_[A-Za-z0-9]{20,}/);
  });
});

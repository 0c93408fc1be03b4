import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/system.js';
import { DESKTOP, launchBrowser, openConsolePage, saveScreenshot, UI_TIMEOUT_MS, type ConsolePage } from './support/browser.js';
import { fillSignIn, screenTitle, settle } from './support/console-actions.js';
import { startConsoleSystem, type ConsoleSystem } from './support/console-system.js';

const OWNER_EMAIL = 'owner@keyward.local';

/**
 * The first owner's first days, on a development install without a mail server: they sign in
 * with a code the console says is printed in the terminal (and it is, on a plain line), open
 * their account from the user menu, set a first password, and sign in with it next time.
 */
describe('signing in with a printed code and setting a password', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let owner: ConsolePage;
  const password = `Keyward-first-${Date.now()}`;

  beforeAll(async () => {
    browser = await launchBrowser();
    // Development without SMTP: emails (sign-in codes) go to the terminal.
    world = await startConsoleSystem(inject('pgAdminUrl'), { NODE_ENV: 'development' });
    owner = await openConsolePage(browser, DESKTOP);
  });

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  /** The newest sign-in code printed for `email`, read the way a person reads the terminal: a plain line. */
  function printedCode(email: string): string | undefined {
    const text = world.system.cp.terminal.join('');
    const block = text.slice(text.lastIndexOf(`Email to ${email}`));
    return /^ {2}Your Keyward sign-in code is: (\d{6})$/m.exec(block)?.[1];
  }

  it('says the code is printed in the terminal, and signs in as it is typed digit by digit', async () => {
    const { page } = owner;
    await page.goto(`${world.consoleUrl}/login`);
    await page.getByText('Email code', { exact: true }).click();
    await page.locator('input[name=email]').last().fill(OWNER_EMAIL);
    await page.getByRole('button', { name: 'Email me a sign-in code' }).click();
    const hint = page.locator('[data-test=code-printed]');
    await hint.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await hint.textContent()).toMatch(/No mail server is configured.*printed in the terminal where\s+Keyward runs/s);

    const code = await eventually(() => printedCode(OWNER_EMAIL), 5_000, 'the printed code');
    // Neither the page nor any GraphQL answer carries the code.
    expect(await page.content()).not.toContain(code);
    expect((await owner.graphqlBodies()).join('')).not.toContain(code);
    await saveScreenshot(page, 'sign-in-code-printed');

    await page.locator('input[name=code]').pressSequentially(code, { delay: 60 });
    await page.waitForURL((url) => !url.pathname.startsWith('/login'), { timeout: UI_TIMEOUT_MS });
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    expect(owner.errors).toEqual([]);
  });
});

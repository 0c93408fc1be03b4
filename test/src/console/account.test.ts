import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/system.js';
import { DESKTOP, launchBrowser, PHONE, openConsolePage, saveScreenshot, UI_TIMEOUT_MS, type ConsolePage } from './support/browser.js';
import { fillSignIn, screenTitle, settle } from './support/console-actions.js';
import { startConsoleSystem, type ConsoleSystem } from './support/console-system.js';

const OWNER_EMAIL = 'owner@keyward.local';

/**
 * The first owner's first days, on a development install without a mail server: they sign in
 * with a code the console says is printed in the terminal (and it is, on a plain line), open
 * their account from the user menu, set a first password, sign in with it next time, move the
 * account to their real address, and sign a second browser out.
 */
describe('signing in with a printed code and managing your account', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let owner: ConsolePage;
  const password = `Keyward-first-${Date.now()}`;
  const movedEmail = `owner.moved.${Date.now()}@example.com`;

  beforeAll(async () => {
    browser = await launchBrowser();
    // Development without SMTP: emails (sign-in codes) go to the terminal.
    world = await startConsoleSystem(inject('pgAdminUrl'), { controlPlaneEnv: { NODE_ENV: 'development' } });
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

  it('sets a first password on the account page, reached from the user menu, and signs in with it next time', async () => {
    const { page } = owner;
    await page.locator('[data-test=account]').click();
    await screenTitle(page, 'Your account').waitFor();
    await settle(page);
    expect(await page.locator('input[name=email]').inputValue()).toBe(OWNER_EMAIL);
    expect(await page.locator('input[name=current-password]').count()).toBe(0);
    await page.locator('[data-test=session-current]').waitFor();
    await saveScreenshot(page, 'account-desktop');
    await page.setViewportSize(PHONE);
    await settle(page);
    await saveScreenshot(page, 'account-phone');
    await page.setViewportSize(DESKTOP);

    await page.locator('input[name=new-password]').fill(password);
    await page.locator('input[name=repeat-password]').fill(password);
    await page.locator('[data-test=save-password]').click();
    await page.getByText('Password set').waitFor();
    // Now that a password exists, changing it asks for the current one.
    await page.locator('input[name=current-password]').waitFor();

    await page.locator('[data-test=sign-out]').click();
    await page.waitForURL(/\/login/);
    await fillSignIn(page, { email: OWNER_EMAIL, password });
    await page.waitForURL((url) => !url.pathname.startsWith('/login'), { timeout: UI_TIMEOUT_MS });
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    expect(owner.errors).toEqual([]);
  });

  it('changes the email with a code sent to the new address, which then signs in', async () => {
    const { page } = owner;
    await page.goto(`${world.consoleUrl}/account`);
    await screenTitle(page, 'Your account').waitFor();
    await page.locator('[data-test=change-email]').click();
    await page.locator('input[name=new-email]').fill(movedEmail);
    await page.locator('input[name=email-change-password]').fill(password);
    await page.locator('[data-test=send-email-code]').click();
    await page.locator('[data-test=email-code-sent]').getByText('printed in the terminal', { exact: false }).waitFor();
    const code = await eventually(
      () => {
        const text = world.system.cp.terminal.join('');
        const block = text.slice(text.lastIndexOf(`Email to ${movedEmail}`));
        return /^ {2}Your Keyward confirmation code is: (\d{6})$/m.exec(block)?.[1];
      },
      5_000,
      'the printed confirmation code',
    );
    await page.locator('input[name=email-code]').fill(code);
    await page.locator('[data-test=confirm-email]').click();
    await page.getByText(`Your email is now ${movedEmail}`).waitFor();
    // The success note comes from the mutation; the profile form fills from the account query it refetches.
    await expect.poll(() => page.locator('input[name=email]').inputValue(), { timeout: UI_TIMEOUT_MS }).toBe(movedEmail);
    // The old address is told, on the terminal like every email here.
    expect(world.system.cp.terminal.join('')).toContain(`Email to ${OWNER_EMAIL}`);
    expect(world.system.cp.terminal.join('')).toMatch(/now signs in with owner\.moved/);
    expect(owner.errors).toEqual([]);
  });

  it('signs another browser out from the account page', async () => {
    const laptop = await openConsolePage(browser, DESKTOP);
    await laptop.page.goto(`${world.consoleUrl}/login`);
    await fillSignIn(laptop.page, { email: movedEmail, password });
    await laptop.page.waitForURL((url) => !url.pathname.startsWith('/login'), { timeout: UI_TIMEOUT_MS });

    const { page } = owner;
    await page.goto(`${world.consoleUrl}/account`);
    await screenTitle(page, 'Your account').waitFor();
    const other = page.locator('[data-test=session]');
    await other.first().waitFor();
    expect(await other.count()).toBe(1);
    await other.locator('[data-test=sign-out-session]').click();
    await page.getByRole('button', { name: 'Sign out', exact: true }).last().click();
    await page.getByText('Signed out', { exact: true }).waitFor();
    await other.first().waitFor({ state: 'detached' });

    // The other browser is signed out on its next call.
    await laptop.page.reload();
    await laptop.page.waitForURL(/\/login/, { timeout: UI_TIMEOUT_MS });
    await laptop.context.close();
  });
});

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DESKTOP, launchBrowser, openConsolePage, saveScreenshot, UI_TIMEOUT_MS, type ConsolePage } from './support/browser.js';
import { choose, dialog, formItem, openScreen, signIn, tableRows } from './support/console-actions.js';
import { startConsoleSystem, type ConsoleSystem } from './support/console-system.js';

/**
 * An operator creates a route on the Routes screen: the control plane's complaint about a
 * target's weight appears beside that field, the fixed route saves, is bound to the
 * organization, and "test this route" names the target a sample request would take.
 */
describe('the Routes screen', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let operator: ConsolePage;

  beforeAll(async () => {
    browser = await launchBrowser();
    world = await startConsoleSystem(inject('pgAdminUrl'));
    await world.system.addMockCredential();
    operator = await openConsolePage(browser, DESKTOP);
    await signIn(operator.page, world.consoleUrl, world.operator);
  });

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('creates a route with the field error beside the field, binds it and tests a sample request', async () => {
    const { page } = operator;
    await openScreen(page, 'Routes');
    await page.locator('[data-test=new-route]').click();
    const form = dialog(page, 'New route');
    await form.locator('[data-test=route-name] input').fill('Smart');
    await form.locator('[data-test=route-match] input').fill('smart, fast');
    const target = form.locator('[data-test=target-0]');
    await choose(page, target, 'Credential', 'mock');
    await target.locator('[data-test=target-model] input').fill('gpt-4o-mini');
    await target.locator('[data-test=target-weight] input').fill('0');
    await form.locator('[data-test=save-route]').click();

    const weight = formItem(target, 'Weight');
    await expect.poll(() => weight.locator('.n-form-item-feedback-wrapper').textContent(), { timeout: UI_TIMEOUT_MS }).toContain('"targets[0].weight" must be');
    expect(await weight.locator('.n-form-item-feedback--error').count()).toBe(1);
    await saveScreenshot(page, 'route-field-error');

    await target.locator('[data-test=target-weight] input').fill('2');
    await form.locator('[data-test=route-cache-ttl] input').fill('300');
    await form.locator('[data-test=save-route]').click();
    await form.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
    const row = tableRows(page, 'Smart');
    await row.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await row.textContent()).toContain('Nowhere yet');
    expect(await row.locator('[data-test=route-cache]').textContent()).toBe('answers cached 300 s');

    await page.getByRole('button', { name: 'Actions for Smart' }).click();
    await page.locator('.n-dropdown-option', { hasText: 'Bind…' }).click();
    const bind = dialog(page, 'Bind Smart');
    await bind.locator('[data-test=bind-route]').click();
    await bind.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
    await expect.poll(() => row.locator('[data-test=route-bindings]').textContent(), { timeout: UI_TIMEOUT_MS }).toContain('Organization');

    const panel = page.locator('[data-test=route-test]');
    await panel.locator('[data-test=test-model] input').fill('fast');
    await panel.locator('[data-test=run-route-test]').click();
    const chosen = panel.locator('[data-test=chosen-target]');
    await chosen.waitFor({ timeout: UI_TIMEOUT_MS });
    expect((await chosen.textContent())?.replace(/\s+/g, ' ')).toContain('Goes to mock / gpt-4o-mini through route Smart');
    expect(await panel.locator('[data-test=route-test-result]').textContent()).toContain(
      'The route "Smart" is bound to the organization and answers "fast" through its entry "fast".',
    );
    await saveScreenshot(page, 'route-test');
    expect(operator.errors).toEqual([]);
  });
});

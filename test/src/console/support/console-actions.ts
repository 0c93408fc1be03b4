import type { Locator, Page } from 'playwright-core';
import { UI_TIMEOUT_MS } from './browser.js';

/** What a person types on the Sign-in screen. */
export interface Credentials {
  readonly email: string;
  readonly password: string;
}

/** Opens the console signed out, lands on Sign-in, and signs in with a password; resolves on the first screen. */
export async function signIn(page: Page, consoleUrl: string, person: Credentials): Promise<void> {
  await page.goto(`${consoleUrl}/`);
  await page.waitForURL(/\/login/, { timeout: UI_TIMEOUT_MS });
  await fillSignIn(page, person);
  await page.waitForURL((url) => !url.pathname.startsWith('/login'), { timeout: UI_TIMEOUT_MS });
}

/** Types an email and password into the Sign-in screen's password form and submits it. */
export async function fillSignIn(page: Page, person: Credentials): Promise<void> {
  await page.locator('input[name=email]').fill(person.email);
  await page.locator('input[name=password]').fill(person.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/**
 * Opens a screen the way a person does: through the sidebar, or on a phone through the menu
 * drawer. Resolves once the screen's title is shown.
 */
export async function openScreen(page: Page, navLabel: string, title = navLabel): Promise<void> {
  const menuButton = page.locator('[data-test=open-menu]');
  if (await menuButton.isVisible()) await menuButton.click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: navLabel, exact: true }).click();
  await screenTitle(page, title).waitFor({ timeout: UI_TIMEOUT_MS });
}

/** The screen's main heading. */
export function screenTitle(page: Page, title: string): Locator {
  return page.getByRole('heading', { level: 1, name: title, exact: true });
}

/** The open dialog (a Naive UI card modal) with this title. */
export function dialog(page: Page, title: string | RegExp): Locator {
  return page.locator('.n-modal').filter({ has: page.locator('.n-card-header', { hasText: title }) });
}

/** Picks `option` in the Naive UI select inside `scope` labelled `label`. */
export async function choose(page: Page, scope: Locator, label: string, option: string): Promise<void> {
  await formItem(scope, label).locator('.n-base-selection').click();
  await page.locator('.n-base-select-option', { hasText: option }).first().click();
}

/** A Naive UI form item by its label. */
export function formItem(scope: Locator, label: string): Locator {
  return scope.locator('.n-form-item').filter({ has: scope.page().locator('.n-form-item-label', { hasText: label }) });
}

/** Visible data-table rows in `scope` whose text contains `text` (a hidden tab's table does not count). */
export function tableRows(scope: Page | Locator, text: string | RegExp): Locator {
  return scope.locator('.n-data-table-tbody .n-data-table-tr').filter({ hasText: text, visible: true });
}

/**
 * Waits until the screen stopped loading: no skeletons or spinning tables left, web fonts in,
 * and two animation frames drawn (so a screenshot shows what a person would see).
 */
export async function settle(page: Page): Promise<void> {
  const busy = '[aria-busy="true"], .n-data-table-loading-wrapper, .n-skeleton';
  try {
    await page.waitForFunction((selector) => document.querySelectorAll(selector).length === 0, busy, { timeout: UI_TIMEOUT_MS });
  } catch (error) {
    const still = await page
      .locator(busy)
      .evaluateAll((els) => els.map((el) => el.outerHTML.slice(0, 160)))
      .catch(() => []);
    throw new Error(`${page.url()} kept loading for ${UI_TIMEOUT_MS} ms: ${still.join(' | ') || String(error)}`);
  }
  await page.evaluate(async () => {
    await document.fonts.ready;
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  });
}

/** Whether the page's whole DOM (including attribute values and input values) contains `needle`. */
export async function domContains(page: Page, needle: string): Promise<boolean> {
  const html = await page.content();
  if (html.includes(needle)) return true;
  // `content()` shows attributes as written; typed input values live only in properties.
  return page.evaluate((n) => Array.from(document.querySelectorAll('input, textarea')).some((el) => (el as HTMLInputElement).value.includes(n)), needle);
}

/**
 * Creates something through its dialog: clicks the button `button` (its `data-test`), fills the
 * dialog titled `title` (`fields`: value by form label) and submits it. Resolves with the secret
 * the answer shows once, after ticking "I have stored this" and closing it, once it is gone from
 * the page.
 */
export async function createWithSecretShownOnce(page: Page, button: string, title: string, fields: Record<string, string>): Promise<string> {
  await page.locator(`[data-test=${button}]`).click();
  const form = dialog(page, title);
  for (const [label, value] of Object.entries(fields)) await formItem(form, label).locator('input').fill(value);
  await form.locator('button[type=submit]').click();
  const shown = page.locator('[data-test=secret]');
  const secret = ((await shown.textContent({ timeout: UI_TIMEOUT_MS })) ?? '').trim();
  await page.locator('[data-test=stored]').click();
  await page.locator('[data-test=done]').click();
  await shown.waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
  return secret;
}

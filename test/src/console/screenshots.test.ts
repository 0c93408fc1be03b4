import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { expectAccessible } from './support/accessibility.js';
import { DESKTOP, launchBrowser, openConsolePage, PHONE, saveScreenshot, UI_TIMEOUT_MS, type ConsolePage } from './support/browser.js';
import { openScreen, settle, signIn, tableRows } from './support/console-actions.js';
import { startConsoleSystem, type ConsoleSystem } from './support/console-system.js';
import { seedOrganization, type SeededOrganization } from './support/seed.js';

/** A main screen: how to reach it and what shows that its data has loaded. */
interface Screen {
  readonly file: string;
  readonly nav: string;
  readonly title?: string;
  ready(page: Page, seeded: SeededOrganization): Promise<void>;
}

const SCREENS: readonly Screen[] = [
  { file: 'overview', nav: 'Overview', ready: (page) => page.locator('canvas').first().waitFor() },
  { file: 'keys', nav: 'Keys', ready: (page, s) => tableRows(page, s.keyNames[0]!).waitFor() },
  { file: 'credentials', nav: 'Provider credentials', ready: (page, s) => tableRows(page, s.credentialName).waitFor() },
  { file: 'models', nav: 'Models', ready: (page) => page.locator('.n-data-table-tbody .n-data-table-tr').first().waitFor() },
  { file: 'policies', nav: 'Policies', ready: (page) => page.getByText('New policy').first().waitFor() },
  { file: 'requests-live', nav: 'Requests', ready: (page, s) => tableRows(page, s.keyNames[0]!).first().waitFor() },
  { file: 'members', nav: 'Members', ready: (page, s) => page.getByText(s.invitedEmail).first().waitFor() },
  { file: 'api-tokens', nav: 'API tokens', ready: (page, s) => tableRows(page, s.apiTokenName).waitFor() },
  { file: 'routes', nav: 'Routes', ready: (page) => page.locator('[data-test=route-test]').waitFor() },
  { file: 'nodes', nav: 'Data-plane nodes', ready: (page) => page.getByText('system-node').first().waitFor() },
  { file: 'pools', nav: 'Key pools', ready: (page) => page.locator('[data-test=new-pool]').waitFor() },
  { file: 'sso', nav: 'Single sign-on', ready: (page) => page.getByText('Single sign-on').nth(1).waitFor() },
  { file: 'settings', nav: 'Settings', ready: (page) => page.getByText('Time zone').first().waitFor() },
  { file: 'admin-activity', nav: 'Admin activity', ready: (page) => page.locator('.n-data-table-tbody .n-data-table-tr').first().waitFor() },
  { file: 'audit-trail', nav: 'Audit trail', ready: (page) => page.locator('[data-test=trail-rows] .n-data-table-tbody .n-data-table-tr').first().waitFor() },
];

/**
 * Photographs every main screen, filled with realistic data, at desktop and phone size into
 * `test-artifacts/console/` (for people to look at), and checks each renders without errors
 * without sideways scrolling on the phone, and without serious or critical accessibility violations
 * (axe-core).
 */
describe('console screenshots', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let seeded: SeededOrganization;

  beforeAll(async () => {
    browser = await launchBrowser();
    // With the gateway's address, so Keys shows the client snippets.
    world = await startConsoleSystem(inject('pgAdminUrl'), { advertiseGateway: true });
    seeded = await seedOrganization(world);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  for (const [size, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    it(`shows every main screen at ${size} size`, { timeout: 180_000 }, async () => {
      const tab: ConsolePage = await openConsolePage(browser, viewport);
      try {
        const { page } = tab;
        await page.goto(`${world.consoleUrl}/login`);
        await page.locator('input[name=email]').waitFor();
        await settle(page);
        await saveScreenshot(page, `${size}-sign-in`);
        await checkAccessible(page, `${size} sign-in`);
        await signIn(page, world.consoleUrl, world.operator);
        if (size === 'phone') {
          await page.locator('[data-test=open-menu]').click();
          await page.getByRole('navigation', { name: 'Main' }).waitFor();
          await settle(page);
          await saveScreenshot(page, `${size}-menu`);
          await checkAccessible(page, `${size} menu`);
          await page.keyboard.press('Escape');
          await page.locator('.n-drawer').waitFor({ state: 'hidden' });
        }

        for (const screen of SCREENS) {
          await openScreen(page, screen.nav, screen.title);
          await screen.ready(page, seeded);
          await settle(page);
          await saveScreenshot(page, `${size}-${screen.file}`);
          await checkAccessible(page, `${size} ${screen.file}`);
          expect(await horizontalOverflow(page), `${screen.file} scrolls sideways at ${size} size`).toBe(0);
          if (size === 'phone' && screen.file === 'keys') {
            // A table too wide for a phone scrolls inside itself and says so.
            await expect.poll(() => swipeHintShown(page)).toBe(true);
          }
          if (screen.file === 'requests-live') {
            // Tabs follow the ARIA tabs pattern: the selected tab is the tab stop, arrow keys move.
            await page.getByRole('tab', { name: 'Live', selected: true }).focus();
            await page.keyboard.press('ArrowRight');
            await expect.poll(() => page.getByRole('tab', { name: 'History' }).getAttribute('aria-selected')).toBe('true');
            await expect.poll(() => tableRows(page, seeded.keyNames[1]!).count(), { timeout: UI_TIMEOUT_MS }).toBeGreaterThan(0);
            await settle(page);
            await saveScreenshot(page, `${size}-requests-history`);
            await checkAccessible(page, `${size} requests-history`);
            await tableRows(page, seeded.keyNames[1]!).first().click();
            await page.locator('.n-drawer').waitFor();
            await settle(page);
            await saveScreenshot(page, `${size}-requests-drawer`);
            await checkAccessible(page, `${size} requests-drawer`);
            await page.keyboard.press('Escape');
            await page.locator('.n-drawer').waitFor({ state: 'hidden' });
          }
        }
        expect(tab.errors).toEqual([]);
      } finally {
        await tab.context.close();
      }
    });
  }
});

/** Checks the screen with axe-core; a soft failure, so one run lists every screen's violations. */
async function checkAccessible(page: Page, screenName: string): Promise<void> {
  await expect.soft(expectAccessible(page, screenName)).resolves.toBeUndefined();
}

/** Whether a data table shows the "swipe sideways" hint (a `::before` of the table, from styles.css). */
function swipeHintShown(page: Page): Promise<boolean> {
  return page.evaluate(() =>
    [...document.querySelectorAll('.n-data-table')].some((table) => getComputedStyle(table, '::before').content.includes('Swipe sideways')),
  );
}

/** How many pixels the page scrolls sideways (a phone layout should not). */
function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth));
}

import pg from 'pg';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DESKTOP, launchBrowser, openConsolePage, saveScreenshot, UI_TIMEOUT_MS, type ConsolePage } from './support/browser.js';
import { openScreen, settle, signIn } from './support/console-actions.js';
import { startConsoleSystem, type ConsoleSystem } from './support/console-system.js';

/**
 * An owner on Keyward run as a service reads how long the organization keeps its records and
 * why: on Pro, events and admin activity are kept 30 days by the plan and cannot be changed, while
 * content retention is theirs to shorten. After an upgrade to Enterprise they keep events
 * forever, which the panel then shows as their own choice.
 */
describe('the retention panel', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let owner: ConsolePage;
  let db: pg.Client;

  beforeAll(async () => {
    browser = await launchBrowser();
    world = await startConsoleSystem(inject('pgAdminUrl'), { controlPlaneEnv: { KEYWARD_EDITION: 'service' } });
    db = new pg.Client({ connectionString: world.system.cp.databaseUrl });
    await db.connect();
    owner = await openConsolePage(browser, DESKTOP);
    await signIn(owner.page, world.consoleUrl, world.operator);
    await openScreen(owner.page, 'Audit trail');
  });

  afterAll(async () => {
    await db?.end();
    await browser?.close();
    await world?.close();
  });

  const periodText = async (id: string) => (await owner.page.locator(`[data-test=retention-${id}]`).innerText()).replace(/\s+/g, ' ').trim();

  async function settings(): Promise<Record<string, unknown>> {
    const { rows } = await db.query<{ settings: Record<string, unknown> }>('select settings from organizations where id = $1', [world.system.owner.orgId]);
    return rows[0]!.settings;
  }

  it('shows the Pro plan fixing events at 30 days and lets the owner shorten content retention', async () => {
    const { page } = owner;
    await page.locator('[data-test=retention-periods]').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await periodText('events')).toBe('Request events and admin activity Kept 30 days — set by the Pro plan');
    expect(await periodText('content')).toBe('Captured content (prompts and completions) Cleared from its event after 30 days — goes with its event');
    expect(await periodText('rollups')).toBe('Usage rollups for spend and billing Kept — they hold no content');
    expect(await page.locator('[data-test=retention-fixed]').textContent()).toContain(
      '30 days, set by the Pro plan. The Enterprise plan chooses any period, or none.',
    );
    expect(await page.getByLabel('Event retention in days').count()).toBe(0);

    const contentDays = page.getByLabel('Content retention in days');
    await contentDays.fill('14');
    // The number is taken when the field is left, as a person tabs on.
    await contentDays.press('Tab');
    await page.getByRole('button', { name: 'Save retention' }).click();
    await expect
      .poll(() => periodText('content'), { timeout: UI_TIMEOUT_MS })
      .toBe('Captured content (prompts and completions) Cleared from its event after 14 days — chosen by this organization');
    expect(await settings()).toMatchObject({ retentionDays: 30, contentRetentionDays: 14 });
    expect(owner.errors).toEqual([]);
  });

  it('lets an Enterprise owner keep events forever, shown as their own choice', async () => {
    const { page } = owner;
    await db.query(`update organizations set plan = 'enterprise' where id = $1`, [world.system.owner.orgId]);
    await page.reload();
    await settle(page);
    await page.locator('[data-test=retention-periods]').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await periodText('events')).toBe('Request events and admin activity Kept 30 days — chosen by this organization');

    await page.getByRole('switch', { name: 'Keep events forever' }).click();
    await page.getByRole('button', { name: 'Save retention' }).click();
    await expect
      .poll(() => periodText('events'), { timeout: UI_TIMEOUT_MS })
      .toBe('Request events and admin activity Kept forever — chosen by this organization');
    expect(await periodText('content')).toBe('Captured content (prompts and completions) Cleared from its event after 14 days — chosen by this organization');
    expect(await settings()).toMatchObject({ retentionDays: null, contentRetentionDays: 14 });
    await saveScreenshot(page, 'retention-enterprise');
    expect(owner.errors).toEqual([]);
  });
});

import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { TestPerson } from '@keyward/control-plane/testing';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser, openConsolePage, UI_TIMEOUT_MS, type ConsolePage } from './support/browser.js';
import { fillSignIn, openScreen, screenTitle, settle, signIn } from './support/console-actions.js';
import { startConsoleSystem, type ConsoleSystem } from './support/console-system.js';

/**
 * A member's rights on the account page: they download everything Keyward holds about them as
 * JSON, are asked for their password when their sign-in is older than 10 minutes, and delete
 * their account, after which their password signs nobody in. An owner, on the organization's
 * settings, downloads its archive and schedules its deletion (typed confirmation), then cancels it.
 */
describe('your data on the account page', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let member: ConsolePage;
  let person: TestPerson;
  let db: pg.Client;

  beforeAll(async () => {
    browser = await launchBrowser();
    world = await startConsoleSystem(inject('pgAdminUrl'));
    person = await world.addPerson(world.system.owner.orgId, 'developer');
    member = await openConsolePage(browser);
    db = new pg.Client({ connectionString: world.system.cp.databaseUrl });
    await db.connect();
    await signIn(member.page, world.consoleUrl, person);
    await member.page.locator('[data-test=account]').click();
    await screenTitle(member.page, 'Your account').waitFor();
    await settle(member.page);
  });

  afterAll(async () => {
    await db?.end();
    await browser?.close();
    await world?.close();
  });

  async function downloadMyData(): Promise<{ profile: { email: string }; memberships: unknown[]; sessions: unknown[] }> {
    const { page } = member;
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: UI_TIMEOUT_MS }), page.locator('[data-test=download-my-data]').click()]);
    expect(download.suggestedFilename()).toBe('keyward-my-data.json');
    return JSON.parse(await readFile((await download.path())!, 'utf8'));
  }

  it('downloads everything Keyward holds about you as JSON', async () => {
    const data = await downloadMyData();
    expect(data.profile.email).toBe(person.email);
    expect(data.memberships).toHaveLength(1);
    expect(data.sessions.length).toBeGreaterThan(0);
    expect(member.errors).toEqual([]);
  });

  it('asks for your password when you signed in more than 10 minutes ago, then downloads', async () => {
    const { page } = member;
    await db.query(`update sessions set authenticated_at = now() - interval '11 minutes' where user_id = $1`, [person.userId]);
    await page.locator('[data-test=download-my-data]').click();
    const warning = page.locator('[data-test=recent-sign-in-error]');
    await warning.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await warning.textContent()).toMatch(/confirm it is you/);
    await page.locator('input[name=reauthenticate-password]').fill(person.password);
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: UI_TIMEOUT_MS }), page.locator('[data-test=reauthenticate]').click()]);
    expect(download.suggestedFilename()).toBe('keyward-my-data.json');
    await page.locator('[data-test=reauthenticate]').waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
  });

  it('deletes your account after a confirmation; your password then signs nobody in', async () => {
    const { page } = member;
    await page.locator('[data-test=delete-account]').click();
    // The confirmation is Naive UI's dialog (useConfirm), not a card modal.
    const confirm = page.locator('.n-dialog').filter({ hasText: 'Delete your account?' });
    await confirm.waitFor({ timeout: UI_TIMEOUT_MS });
    await confirm.getByRole('button', { name: 'Delete my account' }).click();
    await page.waitForURL(/\/login/, { timeout: UI_TIMEOUT_MS });
    const { rows } = await db.query<{ email: string }>('select email from users where id = $1', [person.userId]);
    expect(rows[0]!.email).toMatch(/^former-member-[0-9a-f]{16}@deleted\.invalid$/);

    await fillSignIn(page, person);
    await page.getByText('The email or password is incorrect.').waitFor({ timeout: UI_TIMEOUT_MS });
  });

  it('an owner downloads the organization archive, schedules its deletion with a typed confirmation, and cancels it', async () => {
    const owner = await openConsolePage(browser);
    const { page } = owner;
    const orgId = world.system.owner.orgId;
    await signIn(page, world.consoleUrl, world.operator);
    await openScreen(page, 'Settings');

    const [download] = await Promise.all([page.waitForEvent('download', { timeout: UI_TIMEOUT_MS }), page.locator('[data-test=export-organization]').click()]);
    expect(download.suggestedFilename()).toMatch(/^keyward-organization-.+-\d{8}T\d{6}Z\.ndjson\.gz$/);
    const lines = gunzipSync(await readFile((await download.path())!))
      .toString('utf8')
      .trimEnd()
      .split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ format: 'keyward-organization-archive', organizationId: orgId });
    expect(JSON.parse(lines.at(-1)!)).toEqual({ end: true, rows: lines.length - 2 });

    await page.locator('[data-test=delete-organization]').click();
    const modal = page.locator('.n-card').filter({ hasText: 'Delete this organization?' });
    await modal.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await modal.innerText()).toMatch(/grace period of 14 days/);
    const confirm = modal.locator('[data-test=confirm-delete-organization]');
    expect(await confirm.isDisabled()).toBe(true);
    const { rows: orgs } = await db.query<{ slug: string }>('select slug from organizations where id = $1', [orgId]);
    await modal.locator('input[name=confirm-organization]').fill('not-the-slug');
    expect(await confirm.isDisabled()).toBe(true);
    await modal.locator('input[name=confirm-organization]').fill(orgs[0]!.slug);
    await confirm.click();
    const scheduled = page.locator('[data-test=deletion-scheduled]');
    await scheduled.waitFor({ timeout: UI_TIMEOUT_MS });
    const { rows: due } = await db.query<{ due: Date }>('select deletion_due_at as due from organizations where id = $1', [orgId]);
    expect(due[0]!.due.getTime() - Date.now()).toBeGreaterThan(13.9 * 86_400_000);
    const dueDay = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(due[0]!.due);
    expect(await scheduled.innerText()).toContain(dueDay);

    await page.locator('[data-test=cancel-deletion]').click();
    await page.locator('[data-test=delete-organization]').waitFor({ timeout: UI_TIMEOUT_MS });
    const { rows: after } = await db.query('select deletion_due_at from organizations where id = $1', [orgId]);
    expect(after).toEqual([{ deletion_due_at: null }]);
    expect(owner.errors).toEqual([]);
  }, 120_000);
});

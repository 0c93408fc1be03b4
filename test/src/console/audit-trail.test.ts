import { readFile } from 'node:fs/promises';
import OpenAI from 'openai';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/system.js';
import { DESKTOP, launchBrowser, openConsolePage, saveScreenshot, UI_TIMEOUT_MS, type ConsolePage } from './support/browser.js';
import { openScreen, signIn, tableRows } from './support/console-actions.js';
import { startConsoleSystem, waitForKeyOnNode, type ConsoleSystem } from './support/console-system.js';

/**
 * An auditor works through the Audit trail screen: three requests through the gateway are
 * chained and listed with their seq and hash, filtered by chain and action; one stored event is
 * then altered in the database behind Keyward's back, and "Verify now" names that row first and
 * highlights it. The signed trail downloads with the auditor's session, and bulk exports of a
 * range download through signed links as CSV and NDJSON.
 */
describe('the Audit trail screen', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let auditor: ConsolePage;
  let db: pg.Client;
  let altered = '';
  let alteredSeq = 0;
  const requestIds: string[] = [];
  let linked: { id: string; seq: string; hash: string }[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    world = await startConsoleSystem(inject('pgAdminUrl'));
    await world.system.addMockCredential();
    const key = await world.system.createKey({ name: 'ledger-agent' });
    await waitForKeyOnNode(world.system, key.secret);
    const openai = new OpenAI({ apiKey: key.secret, baseURL: `${world.system.dp.url}/v1`, maxRetries: 0 });
    for (let i = 1; i <= 3; i++) {
      const { response } = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Entry ${i}` }] }).withResponse();
      requestIds.push(response.headers.get('x-request-id')!);
    }
    db = new pg.Client({ connectionString: world.system.cp.databaseUrl });
    await db.connect();
    // The second request's event, once all three are stored and chained.
    linked = await eventually(
      async () => {
        const { rows } = await db.query<{ id: string; seq: string; hash: string }>(
          `select e.id, l.seq, l.hash from usage_events e join audit_chain_links l on l.row_id = e.id and l.kind = 'usage'
            where e.request_id = any($1) order by l.seq`,
          [requestIds],
        );
        return rows.length === 3 ? rows : undefined;
      },
      10_000,
      'three chained usage events',
    );
    [altered, alteredSeq] = [linked[1]!.id, Number(linked[1]!.seq)];
    const person = await world.addPerson(world.system.owner.orgId, 'auditor');
    auditor = await openConsolePage(browser, DESKTOP);
    await signIn(auditor.page, world.consoleUrl, person);
    await openScreen(auditor.page, 'Audit trail');
  });

  afterAll(async () => {
    await db?.end();
    await browser?.close();
    await world?.close();
  });

  it('lists the chained usage events with their seq and hash, and filters the admin chain by action', async () => {
    const { page } = auditor;
    const table = page.locator('[data-test=trail-rows]');
    for (const row of linked) {
      const shown = tableRows(table, `${row.hash.slice(0, 12)}…`);
      await shown.waitFor({ timeout: UI_TIMEOUT_MS });
      expect(await shown.locator('td').first().textContent()).toBe(row.seq);
      expect(await shown.textContent()).toContain('chat.completions');
    }

    const filters = page.locator('.trail-filters');
    await filters.getByText('Admin activity', { exact: true }).click();
    await page.getByPlaceholder('Mutation, e.g. createKey').fill('createKey');
    const created = tableRows(table, 'createKey');
    await created.first().waitFor({ timeout: UI_TIMEOUT_MS });
    await page.waitForFunction(() => !document.querySelector('[data-test=trail-rows]')?.textContent?.includes('createCredential'), null, {
      timeout: UI_TIMEOUT_MS,
    });
    const { rows } = await db.query<{ seq: string }>(
      `select l.seq from audit_entries a join audit_chain_links l on l.row_id = a.id and l.kind = 'audit' where a.action = 'createKey' order by l.seq desc`,
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(await created.count()).toBe(rows.length);
    expect(await created.first().locator('td').first().textContent()).toBe(rows[0]!.seq);
    expect(await created.first().textContent()).toContain('Success');
    await filters.getByText('Usage events', { exact: true }).click();
    await tableRows(table, 'chat.completions').first().waitFor({ timeout: UI_TIMEOUT_MS });
  });

  it('says the untouched trail verifies', async () => {
    const { page } = auditor;
    await page.getByRole('button', { name: 'Verify now' }).click();
    const verified = page.locator('[data-test=trail-verified]');
    await verified.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await verified.textContent()).toContain('Verified: 0 problems, chains intact.');
    expect(await verified.textContent()).toMatch(/Usage events: \d+ rows/);
  });

  it('names the altered row first and highlights it after a row is changed in the database', async () => {
    const { page } = auditor;
    await db.query(`update usage_events set cost_micros = cost_micros + 1 where id = $1`, [altered]);
    await page.getByRole('button', { name: 'Verify now' }).click();
    const problems = page.locator('[data-test=trail-problems]');
    await problems.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page.locator('[data-test=trail-tampered]').textContent()).toContain('The audit trail does not verify: 1 problem.');
    const first = tableRows(problems, 'ALTERED').first();
    expect(await first.getAttribute('class')).toContain('problem--first');
    const text = (await first.textContent()) ?? '';
    expect(text).toContain('Tampering begins here');
    expect(text).toContain('Usage events');
    expect(text).toContain(altered);
    expect(text).toContain(`The usage event ${altered} (seq ${alteredSeq}) was altered: its contents no longer match its hash.`);
    // The highlight is visible, not only a class name.
    const background = await first
      .locator('td')
      .first()
      .evaluate((td) => getComputedStyle(td).backgroundColor);
    expect(background).toBe('rgb(253, 243, 245)');
    await saveScreenshot(page, 'audit-trail-tampered');
    expect(auditor.errors).toEqual([]);
  });

  it('downloads the signed NDJSON export with the auditor session, and links the published keys', async () => {
    const { page } = auditor;
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: UI_TIMEOUT_MS }), page.locator('[data-test=trail-export]').click()]);
    expect(download.suggestedFilename()).toBe('keyward-audit-trail.ndjson');
    const lines = (await readFile((await download.path())!, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; chain?: string; id?: string });
    expect(lines[0]!.type).toBe('keys');
    expect(lines.some((l) => l.type === 'row' && l.chain === 'usage' && l.id === altered)).toBe(true);

    const keysHref = await page.locator('[data-test=trail-keys]').getAttribute('href');
    const keys = await page.request.get(new URL(keysHref!, world.consoleUrl).toString());
    expect(keys.status()).toBe(200);
    expect(((await keys.json()) as { keys: unknown[] }).keys.length).toBeGreaterThan(0);
  });

  it('downloads a bulk export of the range through a signed link, as CSV and as NDJSON', async () => {
    const { page } = auditor;
    const exportPanel = page.locator('section.export');
    await exportPanel.getByText('Usage events', { exact: true }).click();
    await exportPanel.getByText('CSV', { exact: true }).click();
    const [csv] = await Promise.all([page.waitForEvent('download', { timeout: UI_TIMEOUT_MS }), page.locator('[data-test=export-download]').click()]);
    expect(csv.suggestedFilename()).toMatch(/^keyward-usage-events-\d{8}T\d{6}Z-\d{8}T\d{6}Z\.csv$/);
    const [header, ...rows] = (await readFile((await csv.path())!, 'utf8')).trimEnd().split('\r\n');
    const columns = header!.split(',');
    expect(columns.slice(0, 3)).toEqual(['receivedAt', 'id', 'orgId']);
    // No cell of these rows holds a comma or a quote (no tags, no policy matches), so a plain split reads them.
    const cells = rows.map((line) => line.split(','));
    const ours = cells.filter((c) => requestIds.includes(c[columns.indexOf('requestId')]!));
    expect(ours.map((c) => c[columns.indexOf('requestId')])).toEqual(requestIds);
    expect(ours.map((c) => c[columns.indexOf('id')])).toEqual(linked.map((l) => l.id));
    expect(new Set(cells.map((c) => c[columns.indexOf('orgId')]))).toEqual(new Set([world.system.owner.orgId]));

    await exportPanel.getByText('Admin audit entries', { exact: true }).click();
    await exportPanel.getByText('NDJSON', { exact: true }).click();
    const [ndjson] = await Promise.all([page.waitForEvent('download', { timeout: UI_TIMEOUT_MS }), page.locator('[data-test=export-download]').click()]);
    expect(ndjson.suggestedFilename()).toMatch(/^keyward-audit-entries-.*\.ndjson$/);
    const entries = (await readFile((await ndjson.path())!, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { action: string; orgId: string });
    expect(entries.map((e) => e.action)).toContain('createKey');
    expect(new Set(entries.map((e) => e.orgId))).toEqual(new Set([world.system.owner.orgId]));
    expect(await page.locator('[data-test=export-error]').count()).toBe(0);
    expect(auditor.errors).toEqual([]);
  });
});

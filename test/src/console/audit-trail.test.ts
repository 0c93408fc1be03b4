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
 * An auditor checks the tamper-evident trail from the console: three requests through the
 * gateway are chained; one stored event is then altered in the database behind Keyward's back,
 * and the Admin activity screen's "Verify now" names that row first and highlights it. The
 * signed export downloads from the same screen with the auditor's session.
 */
describe('the audit trail integrity panel', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let auditor: ConsolePage;
  let db: pg.Client;
  let altered = '';
  let alteredSeq = 0;

  beforeAll(async () => {
    browser = await launchBrowser();
    world = await startConsoleSystem(inject('pgAdminUrl'));
    await world.system.addMockCredential();
    const key = await world.system.createKey({ name: 'ledger-agent' });
    await waitForKeyOnNode(world.system, key.secret);
    const openai = new OpenAI({ apiKey: key.secret, baseURL: `${world.system.dp.url}/v1`, maxRetries: 0 });
    const requestIds: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const { response } = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Entry ${i}` }] }).withResponse();
      requestIds.push(response.headers.get('x-request-id')!);
    }
    db = new pg.Client({ connectionString: world.system.cp.databaseUrl });
    await db.connect();
    // The second request's event, once all three are stored and chained.
    const linked = await eventually(
      async () => {
        const { rows } = await db.query<{ id: string; seq: string }>(
          `select e.id, l.seq from usage_events e join audit_chain_links l on l.row_id = e.id and l.kind = 'usage'
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
    await openScreen(auditor.page, 'Admin activity');
  });

  afterAll(async () => {
    await db?.end();
    await browser?.close();
    await world?.close();
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
});

import OpenAI from 'openai';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postEvents, usageEvent } from '@keyward/control-plane/testing';
import { eventually } from '../support/system.js';
import { DESKTOP, launchBrowser, openConsolePage, UI_TIMEOUT_MS, type ConsolePage } from './support/browser.js';
import { dialog, openScreen, signIn, tableRows } from './support/console-actions.js';
import { startConsoleSystem, waitForKeyOnNode, type ConsoleSystem } from './support/console-system.js';

const WEEK_MS = 7 * 24 * 3_600_000;

/**
 * The console's anomaly view of a key: a key frozen after an anomaly reads "Frozen" in the list;
 * its anomaly dialog shows why, the learned baseline and a chart of its scores over the day; a
 * person unfreezes it there with a click, and the gateway serves the key again.
 */
describe('a key’s anomalies in the console', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let operator: ConsolePage;
  let db: pg.Client;
  let key: { id: string; secret: string };

  beforeAll(async () => {
    browser = await launchBrowser();
    world = await startConsoleSystem(inject('pgAdminUrl'), { controlPlaneEnv: { KEYWARD_ANOMALY_LEARN_MS: '300' } });
    await world.system.addMockCredential();
    key = await world.system.createKey({ name: 'billing agent' });
    db = new pg.Client({ connectionString: world.system.cp.databaseUrl });
    await db.connect();
    const { orgId } = world.system.owner;
    const node = world.system.secrets.nodeToken;
    // Two weeks of its usual calls, learned into its baseline.
    const history = Array.from({ length: 40 }, (_, i) =>
      usageEvent(orgId, key.id, { startedAt: new Date(Date.now() - WEEK_MS - (i % 2) * WEEK_MS - i * 60_000).toISOString(), toolsOffered: ['lookup_invoice'] }),
    );
    expect((await postEvents(world.system.cp, node, { type: 'events', nodeId: 'node-a', events: history })).status).toBe(200);
    await eventually(
      async () => ((await db.query(`select 1 from anomaly_baselines where scope = 'key' and scope_id = $1`, [key.id])).rowCount ? true : undefined),
      20_000,
      'the baseline',
    );
    // Today: quiet calls, then one a node scored 93 and froze the key for.
    const today = [
      usageEvent(orgId, key.id, { startedAt: new Date(Date.now() - 3 * 3_600_000).toISOString(), anomalyScore: 4, anomalyReasons: [] }),
      usageEvent(orgId, key.id, { startedAt: new Date(Date.now() - 2 * 3_600_000).toISOString(), anomalyScore: 12, anomalyReasons: [] }),
      usageEvent(orgId, key.id, {
        startedAt: new Date(Date.now() - 60_000).toISOString(),
        anomalyScore: 93,
        anomalyReasons: [{ code: 'new_tool', message: 'tool `transfer_funds` never seen for this key' }],
        anomalyAction: 'freeze',
      }),
    ];
    expect((await postEvents(world.system.cp, node, { type: 'events', nodeId: 'node-a', events: today })).status).toBe(200);
    operator = await openConsolePage(browser, DESKTOP);
    await signIn(operator.page, world.consoleUrl, world.operator);
  });

  afterAll(async () => {
    await db?.end();
    await browser?.close();
    await world?.close();
  });

  it('shows the frozen key with its reason, baseline and score chart, and unfreezes it with a click', { timeout: 120_000 }, async () => {
    const client = new OpenAI({ apiKey: key.secret, baseURL: `${world.system.dp.url}/v1`, maxRetries: 0 });
    const ask = () => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'next invoice' }] });
    const refused = await eventually(
      async () =>
        ask().then(
          () => undefined,
          (e: unknown) => e,
        ),
      15_000,
      'the node to refuse the frozen key',
    );
    expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);

    const { page } = operator;
    await openScreen(page, 'Keys');
    const row = tableRows(page, 'billing agent');
    await row.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await row.textContent()).toContain('Frozen');

    await page.getByRole('button', { name: 'Actions for billing agent' }).click();
    await page.locator('.n-dropdown-option', { hasText: 'Anomaly baseline and scores…' }).click();
    const view = dialog(page, 'Anomalies: billing agent');
    const frozen = view.locator('[data-test=frozen-alert]');
    await frozen.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await frozen.textContent()).toContain('anomaly score 93: tool `transfer_funds` never seen for this key');
    const baseline = view.locator('[data-test=baseline]');
    await baseline.waitFor({ timeout: UI_TIMEOUT_MS });
    const facts = (await baseline.textContent())!.replace(/\s+/g, ' ');
    expect(facts).toContain('gpt-4o-mini');
    expect(facts).toContain('lookup_invoice');
    expect(facts).toMatch(/Learned from\s*4\d active minutes/);
    const chart = view.locator('[data-test=score-chart]');
    // Three five-minute buckets posted, and the refused call just now (scored by the node).
    expect(await chart.locator('circle').count()).toBeGreaterThanOrEqual(3);
    expect(await chart.locator('circle.chart__point--high').count()).toBe(1);
    expect(await chart.textContent()).toContain('Highest score today: 93');

    await view.locator('[data-test=unfreeze-key]').click();
    await frozen.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
    await expect.poll(() => row.textContent(), { timeout: UI_TIMEOUT_MS }).toContain('Active');
    const trail = await db.query(`select actor, outcome from audit_entries where action = 'unfreezeKey' and target_id = $1`, [key.id]);
    expect(trail.rows).toEqual([{ actor: expect.stringMatching(/^user:/), outcome: 'success' }]);
    await waitForKeyOnNode(world.system, key.secret);
    const served = await eventually(async () => ask().catch(() => undefined), 15_000, 'the node to serve the unfrozen key');
    expect(served.object).toBe('chat.completion');
  });
});

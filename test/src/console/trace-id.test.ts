import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/system.js';
import { DESKTOP, launchBrowser, openConsolePage, saveScreenshot, type ConsolePage } from './support/browser.js';
import { openScreen, signIn, tableRows } from './support/console-actions.js';
import { startConsoleSystem, waitForKeyOnNode, type ConsoleSystem } from './support/console-system.js';

/**
 * "Which trace is this request?": an agent's call with a W3C `traceparent` is stored with its
 * trace id, which the usageEvents query returns, the request drawer shows, and the audit chain
 * still verifies with.
 */
describe('the trace id of a request', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let operator: ConsolePage;
  const traceId = randomBytes(16).toString('hex');

  beforeAll(async () => {
    browser = await launchBrowser();
    world = await startConsoleSystem(inject('pgAdminUrl'));
    await world.system.addMockCredential();
    const key = await world.system.createKey({ name: 'traced-agent' });
    await waitForKeyOnNode(world.system, key.secret);
    const openai = new OpenAI({ apiKey: key.secret, baseURL: `${world.system.dp.url}/v1`, maxRetries: 0 });
    const answer = await openai.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] },
      { headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } },
    );
    expect(answer.choices[0]?.message.content).toBeTruthy();
    operator = await openConsolePage(browser, DESKTOP);
    await signIn(operator.page, world.consoleUrl, world.operator);
  });

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('is returned by the usageEvents query, null for a call without one, and the audit chain verifies', async () => {
    const events = await eventually(
      async () => {
        const res = await world.system.owner.gql<{ usageEvents: { nodes: { endpoint: string; traceId: string | null }[] } }>(
          '{ usageEvents { nodes { endpoint traceId } } }',
        );
        const nodes = res.data?.usageEvents.nodes ?? [];
        return nodes.some((e) => e.endpoint === 'chat.completions') ? nodes : undefined;
      },
      10_000,
      'the event to be stored',
    );
    expect(events.find((e) => e.endpoint === 'chat.completions')?.traceId).toBe(traceId);
    // The node's model listing (waiting for the key) came without a traceparent.
    expect(events.find((e) => e.endpoint === 'models')?.traceId).toBeNull();
    const verified = await world.system.owner.gql<{ verifyAuditTrail: { ok: boolean } }>('{ verifyAuditTrail { ok } }');
    expect(verified.data?.verifyAuditTrail.ok).toBe(true);
  });

  it('is shown in the request drawer, ready to copy', async () => {
    const { page } = operator;
    await openScreen(page, 'Requests');
    await page.locator('.n-tabs-tab', { hasText: 'History' }).click();
    await tableRows(page, 'traced-agent').first().click();
    const section = page.locator('[data-test=trace]');
    await section.waitFor();
    expect(await section.textContent()).toContain(traceId);
    await saveScreenshot(page, 'request-drawer-trace');
    await page.keyboard.press('Escape');
    expect(operator.errors).toEqual([]);
  });
});

import OpenAI from 'openai';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postEvents, usageEvent } from '@keyward/control-plane/testing';
import { eventually } from '../support/system.js';
import { DESKTOP, launchBrowser, openConsolePage, PHONE, saveScreenshot, UI_TIMEOUT_MS, type ConsolePage } from './support/browser.js';
import { openScreen, screenTitle, signIn } from './support/console-actions.js';
import { startConsoleSystem, waitForKeyOnNode, type ConsoleSystem } from './support/console-system.js';

const policy = (name: string) => `
name: ${name}
rules:
  - id: never
    when: { prompt: { contains: do-not-send-this } }
    action: block
`;

const DAY_MS = 86_400_000;

/**
 * The tooltip text of each bucket of a chart, by its axis label, for the labels asked: the mouse
 * sweeps the chart's canvas from left to right (the canvas itself says nothing to the page).
 */
async function chartTooltips(page: Page, chart: Locator, labels: readonly string[]): Promise<Map<string, string>> {
  const box = (await chart.locator('canvas').first().boundingBox())!;
  const found = new Map<string, string>();
  for (let x = box.x + 1; x < box.x + box.width && found.size < labels.length; x += 4) {
    await page.mouse.move(x, box.y + box.height / 2);
    const texts = await chart.locator('.trend__canvas div').allInnerTexts();
    for (const text of texts) {
      const label = labels.find((l) => text.startsWith(`${l}\n`));
      if (label && !found.has(label)) found.set(label, text);
    }
  }
  return found;
}

/**
 * An operator reads how fast the gateway answered on the Performance screen, then follows a key
 * from the keys list to its page (spend against its budgets, limits, policies in the order they
 * run, its last requests) and on to its team's page, in a real chromium against the real planes.
 */
describe('performance and key and team pages in the console', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let operator: ConsolePage;
  let keyId = '';
  let teamId = '';
  let requests = 0;
  let allowed = 0;

  beforeAll(async () => {
    browser = await launchBrowser();
    world = await startConsoleSystem(inject('pgAdminUrl'));
    const { system } = world;
    const owner = system.owner;
    await system.addMockCredential();
    teamId = (await owner.gql<{ createTeam: { id: string } }>('mutation { createTeam(input: { name: "Support" }) { id } }')).data!.createTeam.id;
    const key = await system.createKey({ name: 'support-agent', ownerLabel: 'helpdesk bot', teamId });
    keyId = key.id;
    const gql = async (query: string, variables: Record<string, unknown>) => {
      const res = await owner.gql<Record<string, { id: string }>>(query, variables);
      expect(res.errors).toBeUndefined();
      return Object.values(res.data!)[0]!.id;
    };
    const budget = 'mutation($input: CreateBudgetInput!) { createBudget(input: $input) { id } }';
    await gql(budget, { input: { name: 'Agent daily', scopeKind: 'KEY', scopeId: keyId, period: 'DAY', limit: '5.00' } });
    await gql(budget, { input: { name: 'Support monthly', scopeKind: 'TEAM', scopeId: teamId, period: 'MONTH', limit: '50.00' } });
    await gql('mutation($input: CreateRateLimitInput!) { createRateLimit(input: $input) { id } }', {
      input: { name: 'Agent pace', scopeKind: 'KEY', scopeId: keyId, requestsPerMinute: 600 },
    });
    const createPolicy = 'mutation($input: CreatePolicyInput!) { createPolicy(input: $input) { id } }';
    const teamPolicy = await gql(createPolicy, { input: { source: policy('Support guardrails') } });
    await gql('mutation($id: ID!, $teamId: ID!) { attachPolicy(id: $id, scope: { kind: TEAM, id: $teamId }) { id } }', { id: teamPolicy, teamId });
    const orgPolicy = await gql(createPolicy, { input: { source: policy('Company baseline') } });
    await gql('mutation($id: ID!) { attachPolicy(id: $id, scope: { kind: ORG }) { id } }', { id: orgPolicy });
    await waitForKeyOnNode(system, key.secret);
    const openai = new OpenAI({ apiKey: key.secret, baseURL: `${system.dp.url}/v1`, maxRetries: 0 });
    for (let i = 0; i < 3; i++)
      await openai.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 20, messages: [{ role: 'user', content: `hello ${i}` }] });
    // Every request is recorded, the node's check that the key arrived (a model list) included.
    const recorded = await eventually(
      async () => {
        const res = await owner.gql<{ usageEvents: { nodes: { model: string | null; decision: string }[] } }>(
          '{ usageEvents(first: 20) { nodes { model decision } } }',
        );
        const nodes = res.data!.usageEvents.nodes;
        return nodes.filter((e) => e.model === 'gpt-4o-mini').length >= 3 ? nodes : undefined;
      },
      20_000,
      'the three requests to be recorded',
    );
    requests = recorded.length;
    allowed = recorded.filter((e) => e.decision === 'ALLOWED').length;
    operator = await openConsolePage(browser, DESKTOP);
    await signIn(operator.page, world.consoleUrl, world.operator);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('charts latency, errors, tokens and decisions from the rollups, with the previous period when asked', async () => {
    const { page } = operator;
    await openScreen(page, 'Performance');
    const decisions = page.getByRole('region', { name: 'Requests by decision' });
    await expect.poll(() => decisions.innerText(), { timeout: UI_TIMEOUT_MS }).toContain(`Requests\n${requests}`);
    expect(await decisions.innerText()).toContain(`Allowed\n${allowed}`);
    const latency = page.getByRole('region', { name: 'Latency', exact: true });
    expect(await latency.locator('dd').first().innerText()).toMatch(/^\d+ ms/);
    await expect.poll(() => latency.locator('canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-test=provider-performance]').innerText()).toContain('openai_compatible');
    expect(await latency.innerText()).toContain('p95, previous period');
    await page.locator('[data-test=compare]').click();
    await expect.poll(() => latency.innerText()).not.toContain('previous period');
    // The last hour in minute buckets, from the minute rollups written as the requests were stored.
    const minuteReport = page.waitForResponse((r) => r.url().includes('/graphql') && (r.request().postData() ?? '').includes('"MINUTE"'));
    await page.getByRole('radio', { name: '1 hour' }).check({ force: true });
    const minutes = ((await (await minuteReport).json()) as { data: { performance: { points: { requests: number }[] } } }).data.performance.points;
    expect(minutes.length).toBeGreaterThanOrEqual(60);
    expect(minutes.reduce((sum, p) => sum + p.requests, 0)).toBe(requests);
    await expect.poll(() => decisions.innerText()).toContain(`Requests\n${requests}`);
    await page.getByRole('radio', { name: '30 days' }).check({ force: true });
    await expect.poll(() => decisions.innerText()).toContain(`Allowed\n${allowed}`);
    await saveScreenshot(page, 'performance');
    expect(operator.errors).toEqual([]);
  });

  it("opens a key's page from the keys list: spend against its budgets, limits, policies in order, recent requests", { timeout: 60_000 }, async () => {
    const { page } = operator;
    await openScreen(page, 'Keys');
    await page.getByRole('link', { name: 'support-agent' }).click();
    await screenTitle(page, 'support-agent').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/keys/${keyId}`);
    await expect.poll(() => page.locator('[data-test=recent-request]').count(), { timeout: UI_TIMEOUT_MS }).toBe(requests);
    expect(await page.locator('[data-test=spend-total]').innerText()).toMatch(/^\$0\.\d+/);
    const budgets = await page.locator('[data-test=budget]').allInnerTexts();
    expect(budgets.map((b) => b.split('\n')[0])).toEqual(['Support monthly', 'Agent daily']);
    expect(budgets[1]).toMatch(/\$0\.\d+ of \$5\.00 spent · \$\d\.\d\d left/);
    expect(await page.locator('[data-test=rate-limit]').innerText()).toContain('600 requests/min');
    expect(await page.locator('[data-test=policy-in-force] a').allInnerTexts()).toEqual(['Company baseline', 'Support guardrails']);
    expect(await page.locator('[data-test=provenance]').innerText()).toBe('Not required');
    expect(await page.locator('[data-test=anomaly]').innerText()).toContain('no anomaly now');
    await saveScreenshot(page, 'key-page');

    await page.locator('[data-test=all-requests]').click();
    await screenTitle(page, 'Requests').waitFor();
    const url = new URL(page.url());
    expect([url.pathname, url.searchParams.get('key'), url.searchParams.get('tab')]).toEqual(['/audit', keyId, 'history']);
    expect(operator.errors).toEqual([]);
  });

  it("opens the team's page from the key's: the team's budget, its keys and the policies its keys run", { timeout: 120_000 }, async () => {
    const { page } = operator;
    await page.goto(`${world.consoleUrl}/keys/${keyId}`);
    await page.locator('[data-test=key-facts]').getByRole('link', { name: 'Support' }).click();
    await screenTitle(page, 'Support').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/teams/${teamId}`);
    await expect.poll(() => page.locator('[data-test=recent-request]').count(), { timeout: UI_TIMEOUT_MS }).toBe(requests);
    expect(await page.locator('[data-test=budget]').allInnerTexts()).toEqual([
      expect.stringContaining('Support monthly'),
      expect.stringContaining('Agent daily'),
    ]);
    expect(await page.locator('[data-test=team-keys]').innerText()).toContain('support-agent');
    expect(await page.locator('[data-test=policy-in-force] a').allInnerTexts()).toEqual(['Company baseline', 'Support guardrails']);
    await saveScreenshot(page, 'team-page');

    const phone = await openConsolePage(browser, PHONE);
    await signIn(phone.page, world.consoleUrl, world.operator);
    await phone.page.goto(`${world.consoleUrl}/performance`);
    await phone.page.getByRole('region', { name: 'Latency', exact: true }).waitFor();
    await saveScreenshot(phone.page, 'performance-phone');
    await phone.page.goto(`${world.consoleUrl}/keys/${keyId}`);
    await phone.page.locator('[data-test=recent-request]').first().waitFor();
    await saveScreenshot(phone.page, 'key-page-phone');
    expect(phone.errors).toEqual([]);
  });

  it('puts requests either side of a local midnight on their own days in India and Nepal, though they share a UTC hour', { timeout: 120_000 }, async () => {
    const { page } = operator;
    const { system } = world;
    const { orgId } = system.owner;
    // Local midnight is 18:30 UTC in Asia/Kolkata (+5:30) and 18:15 UTC in Asia/Kathmandu (+5:45); days apart so neither sees the other's.
    for (const [timeZone, offsetMinutes, daysAgo] of [
      ['Asia/Kolkata', 330, 3],
      ['Asia/Kathmandu', 345, 6],
    ] as const) {
      const settings = await system.owner.gql('mutation($tz: String!) { updateOrganizationSettings(input: { timeZone: $tz }) { id } }', { tz: timeZone });
      expect(settings.errors).toBeUndefined();
      const offset = offsetMinutes * 60_000;
      const midnight = Math.floor((Date.now() + offset) / DAY_MS) * DAY_MS - offset - daysAgo * DAY_MS;
      const at = (minutes: number) => new Date(midnight + minutes * 60_000).toISOString();
      // One failed request ten minutes before the local midnight, two answered after it.
      const events = [
        usageEvent(orgId, keyId, { startedAt: at(-10), status: 502, decision: 'error', latencyMs: 900, ttftMs: null }),
        usageEvent(orgId, keyId, { startedAt: at(5) }),
        usageEvent(orgId, keyId, { startedAt: at(10) }),
      ];
      expect((await postEvents(system.cp, system.secrets.nodeToken, { type: 'events', nodeId: 'node-a', events })).status).toBe(200);

      await page.goto(`${world.consoleUrl}/performance`);
      await page.getByRole('region', { name: 'Latency', exact: true }).waitFor();
      const dayReport = page.waitForResponse((r) => r.url().includes('/graphql') && (r.request().postData() ?? '').includes('"DAY"'));
      await page.getByRole('radio', { name: '30 days' }).check({ force: true });
      type Point = { start: string; requests: number; serverErrors: number };
      const points = ((await (await dayReport).json()) as { data: { performance: { points: Point[] } } }).data.performance.points;
      const dayOf = (start: number) => points.find((p) => p.start === new Date(start).toISOString());
      expect(dayOf(midnight - DAY_MS), timeZone).toMatchObject({ requests: 1, serverErrors: 1 });
      expect(dayOf(midnight), timeZone).toMatchObject({ requests: 2, serverErrors: 0 });

      const label = (ms: number) => new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone }).format(new Date(ms));
      const [before, after] = [label(midnight - 1), label(midnight)];
      const decisions = page.getByRole('region', { name: 'Requests by decision' });
      await expect.poll(() => decisions.innerText(), { timeout: UI_TIMEOUT_MS }).toContain('Error\n');
      const tooltips = await chartTooltips(page, decisions, [before, after]);
      expect(tooltips.get(before), `${timeZone} ${before}`).toMatch(/Error\s*1(?!\d)/);
      expect(tooltips.get(before), `${timeZone} ${before}`).not.toMatch(/Allowed\s*[1-9]/);
      expect(tooltips.get(after), `${timeZone} ${after}`).toMatch(/Allowed\s*2(?!\d)/);
      expect(tooltips.get(after), `${timeZone} ${after}`).not.toMatch(/Error\s*[1-9]/);
    }
    expect(operator.errors).toEqual([]);
  });
});

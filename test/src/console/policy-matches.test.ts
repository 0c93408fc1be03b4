import { readFile } from 'node:fs/promises';
import OpenAI from 'openai';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/system.js';
import { DESKTOP, launchBrowser, openConsolePage, saveScreenshot, UI_TIMEOUT_MS, type ConsolePage } from './support/browser.js';
import { openScreen, signIn, tableRows } from './support/console-actions.js';
import { startConsoleSystem, waitForKeyOnNode, type ConsoleSystem } from './support/console-system.js';

/** A redact rule and a shadow rule that add up, then an allow rule that ends the policy. */
const POLICY = `
name: Invoice guardrails
rules:
  - id: contacts
    when: { prompt: { pii: [email] } }
    action: { type: redact, detectors: [email], restore: true }
  - id: trial-block
    shadow: true
    when: { prompt: { contains: invoice } }
    action: block
  - id: known-agents
    when: { prompt: { contains: invoice } }
    action: allow
`;

interface Match {
  policyId: string;
  policyVersion: number;
  ruleId: string;
  action: string;
  phase: string;
  shadow: boolean;
}

/**
 * "Which rule let this through?": one call through the gateway matches a redact rule, a shadow
 * rule and an allow rule; all three are on the stored event, in the GraphQL answer, in the
 * console's request drawer and in both export formats.
 */
describe('the policy rules that matched a request', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let operator: ConsolePage;
  let policyId = '';
  let expected: Match[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    world = await startConsoleSystem(inject('pgAdminUrl'));
    await world.system.addMockCredential();
    const key = await world.system.createKey({ name: 'billing-agent' });
    const created = await world.system.owner.gql<{ createPolicy: { id: string } }>(
      'mutation($input: CreatePolicyInput!) { createPolicy(input: $input) { id } }',
      { input: { source: POLICY } },
    );
    expect(created.errors).toBeUndefined();
    policyId = created.data!.createPolicy.id;
    const attached = await world.system.owner.gql('mutation($id: ID!) { attachPolicy(id: $id, scope: { kind: ORG }) { id } }', { id: policyId });
    expect(attached.errors).toBeUndefined();
    await waitForKeyOnNode(world.system, key.secret);
    expected = [
      { policyId, policyVersion: 1, ruleId: 'contacts', action: 'redact', phase: 'request', shadow: false },
      { policyId, policyVersion: 1, ruleId: 'trial-block', action: 'block', phase: 'request', shadow: true },
      { policyId, policyVersion: 1, ruleId: 'known-agents', action: 'allow', phase: 'request', shadow: false },
    ];

    const openai = new OpenAI({ apiKey: key.secret, baseURL: `${world.system.dp.url}/v1`, maxRetries: 0 });
    const answer = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Send the March invoice to jane.doe@example.com' }],
    });
    expect(answer.choices[0]?.message.content).toBeTruthy();
    // The redact rule was enforced: the provider never saw the address.
    expect(JSON.stringify(world.system.mock.requests.at(-1)?.body)).not.toContain('jane.doe@example.com');

    operator = await openConsolePage(browser, DESKTOP);
    await signIn(operator.page, world.consoleUrl, world.operator);
  });

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('are returned by the usageEvents query, with the policy version and rule ids, and found by the policy filter', async () => {
    const query = `query($filter: UsageEventFilter) { usageEvents(filter: $filter) {
      nodes { decision policyMatches { policyId policyVersion ruleId action phase shadow } } } }`;
    const event = await eventually(
      async () => {
        const res = await world.system.owner.gql<{ usageEvents: { nodes: { decision: string; policyMatches: Match[] }[] } }>(query, {
          filter: { policyId, ruleId: 'trial-block' },
        });
        return res.data?.usageEvents.nodes[0];
      },
      10_000,
      'the event to be stored',
    );
    expect(event.decision).toBe('REDACTED');
    expect(event.policyMatches).toEqual(expected.map((m) => ({ ...m, action: m.action.toUpperCase(), phase: m.phase.toUpperCase() })));
  });

  it('are shown in the request drawer, the shadow match marked as not enforced', async () => {
    const { page } = operator;
    await openScreen(page, 'Requests');
    await page.locator('.n-tabs-tab', { hasText: 'History' }).click();
    await tableRows(page, 'billing-agent').first().click();
    const section = page.locator('[data-test=policy-matches]');
    await section.waitFor();
    const items = section.locator('li');
    await expect.poll(() => items.count()).toBe(3);
    const texts = await items.allTextContents();
    expect(texts[0]).toMatch(/Invoice guardrails\s*v1.*rule contacts · redact · on the request/);
    expect(texts[1]).toMatch(/Invoice guardrails\s*v1\s*shadow: not enforced.*rule trial-block · block/);
    expect(texts[2]).toMatch(/rule known-agents · allow/);
    expect(texts[2]).not.toContain('shadow');
    await saveScreenshot(page, 'request-drawer-policy-matches');
    await page.keyboard.press('Escape');
    expect(operator.errors).toEqual([]);
  });

  it('are in the JSON and CSV exports', async () => {
    const { page } = operator;
    const exported = async (format: 'JSON' | 'CSV') => {
      await page.locator('[data-test=export]').click();
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByText(format, { exact: true }).click()]);
      return readFile((await download.path())!, 'utf8');
    };
    // The key's first call was the node's model listing (no policy applies to it); the chat call is the other one.
    const json = JSON.parse(await exported('JSON')) as { endpoint: string; policyMatches: Match[]; approvalId: string | null }[];
    const chat = json.filter((e) => e.endpoint === 'chat.completions');
    expect(chat).toHaveLength(1);
    expect(chat[0]!.policyMatches).toEqual(expected.map((m) => ({ ...m, action: m.action.toUpperCase(), phase: m.phase.toUpperCase() })));
    expect(chat[0]!.approvalId).toBeNull();

    const [header, ...rows] = (await exported('CSV')).trimEnd().split('\r\n');
    expect(header!.split(',')).toContain('policyMatches');
    const row = rows.find((r) => r.includes(',chat.completions,'));
    expect(row).toContain(`${policyId}@v1:contacts:redact ${policyId}@v1:trial-block:block:shadow ${policyId}@v1:known-agents:allow`);
  });

  it('are written in an editor that completes, explains and marks errors in place, from a gallery of starting points', async () => {
    const { page } = operator;
    await page.goto(`${world.consoleUrl}/policies/new`);
    const editor = page.locator('.cm-content[data-test=policy-source]');
    await editor.waitFor();
    const status = page.locator('.save-bar .muted');
    const replaceText = async (text: string) => {
      await editor.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.insertText(text);
    };

    // Every starting point is a valid policy the control plane accepts as it stands.
    for (const title of ['PII redaction', 'Secret blocking', 'Destructive tool holds', 'Model allow-list', 'Spend caps', 'Business hours']) {
      await page.getByRole('button', { name: `Use this: ${title}` }).click();
      await page.getByRole('button', { name: 'Show' }).click();
      await editor.getByText(`name: ${title}`).waitFor();
      await page.waitForTimeout(700);
      await expect.poll(() => status.textContent(), { timeout: UI_TIMEOUT_MS }).toBe('YAML');
      expect(await page.locator('[data-test=annotation]').count()).toBe(0);
    }

    // An error is underlined where its path points and listed with its line.
    await replaceText('name: Tidy\nrules:\n  - id: no-shell\n    when: { toolOffered: "shell*" }\n    action: { type: block, colour: red }\n');
    await page.locator('.cm-lintRange-error').first().waitFor({ timeout: UI_TIMEOUT_MS });
    expect((await page.locator('.cm-lintRange-error').allTextContents()).join('')).toBe('colour: red');
    const note = page.locator('[data-test=annotation]');
    expect(await note.getAttribute('data-line')).toBe('5');
    expect(await note.textContent()).toContain('is not a known field of a "block" action');
    await saveScreenshot(page, 'policy-editor-error');

    // Completion offers the values of the field being written, from the policy language.
    await replaceText('name: Tidy\nrules:\n  - id: no-shell\n    on: ');
    await page.keyboard.press('Control+Space');
    const options = page.locator('.cm-tooltip-autocomplete li');
    await options.first().waitFor();
    expect(await options.allTextContents()).toEqual(['request', 'response', 'tool_call', 'tool_result']);
    await options.filter({ hasText: 'request' }).click();
    await expect.poll(() => editor.textContent(), { timeout: UI_TIMEOUT_MS }).toContain('on: request');
    // And the fields of the object being written, as it is typed.
    await page.keyboard.insertText('\n    act');
    await page.keyboard.press('Control+Space');
    await page.locator('.cm-tooltip-autocomplete li', { hasText: 'action' }).click();
    await expect.poll(() => editor.textContent(), { timeout: UI_TIMEOUT_MS }).toContain('on: request    action: ');

    // Hovering a field name explains it.
    await page.locator('.cm-line', { hasText: 'on: request' }).hover({ position: { x: 38, y: 8 } });
    const hover = page.locator('.cm-policy-doc');
    await hover.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await hover.textContent()).toContain('What the rule inspects');
    expect(operator.errors).toEqual([]);
  });
});

import OpenAI from 'openai';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hdpHeader, hdpSigner, hdpToken, THREE_HOPS } from '../data-plane/support/hdp-tokens.js';
import { eventually } from '../support/system.js';
import { DESKTOP, launchBrowser, openConsolePage, saveScreenshot, UI_TIMEOUT_MS, type ConsolePage } from './support/browser.js';
import { openScreen, signIn, tableRows } from './support/console-actions.js';
import { startConsoleSystem, waitForKeyOnNode, type ConsoleSystem } from './support/console-system.js';

/**
 * "Which human authorized this agent?": an organization trusts its identity provider's key, an
 * agent calls through Keyward with the official OpenAI client and an HDP token in
 * `defaultHeaders`, and the stored event, the GraphQL API and the console's request drawer name
 * the principal and the chain; a tool outside the token's scope is refused.
 */
describe('HDP delegation provenance, end to end', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let operator: ConsolePage;
  const issuer = hdpSigner('idp-e2e');
  const header = hdpHeader(hdpToken({ issuer, sessionId: 'sess-console', hops: THREE_HOPS }));
  let client: OpenAI;

  beforeAll(async () => {
    browser = await launchBrowser();
    world = await startConsoleSystem(inject('pgAdminUrl'));
    await world.system.addMockCredential();
    const added = await world.system.owner.gql(
      'mutation($k: String!) { addTrustedIssuer(input: { name: "Identity provider", kid: "idp-e2e", publicKey: $k }) { id } }',
      {
        k: issuer.publicKey,
      },
    );
    expect(added.errors).toBeUndefined();
    const key = await world.system.createKey({ name: 'delegated-agent', requireProvenance: true });
    await waitForKeyOnNode(world.system, key.secret);
    client = new OpenAI({ apiKey: key.secret, baseURL: `${world.system.dp.url}/v1`, maxRetries: 0, defaultHeaders: { 'X-HDP-Token': header } });
    operator = await openConsolePage(browser, DESKTOP);
    await signIn(operator.page, world.consoleUrl, world.operator);
  });

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('lets the agent through and records the principal and the chain on the event', async () => {
    const answer = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Summarize Q1.' }] });
    expect(answer.choices[0]?.message.content).toBeTruthy();
    const event = await eventually(
      async () => {
        const res = await world.system.owner.gql<{ usageEvents: { nodes: Record<string, unknown>[] } }>(
          '{ usageEvents { nodes { endpoint status hdpResult hdpTokenId hdpPrincipalId hdpPrincipalType hdpChain { agentId agentType } } } }',
        );
        return res.data?.usageEvents.nodes.find((e) => e.endpoint === 'chat.completions' && e.status === 200);
      },
      15_000,
      'the event to be stored',
    );
    expect(event).toMatchObject({
      hdpResult: 'valid',
      hdpPrincipalId: 'usr_alice',
      hdpPrincipalType: 'opaque',
      hdpChain: THREE_HOPS.map((hop) => ({ agentId: hop.agent_id, agentType: hop.agent_type })),
    });
  });

  it('refuses a tool outside the token’s scope with 403 and records the refusal', async () => {
    const error = await client.chat.completions
      .create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Pay the invoice.' }],
        tools: [{ type: 'function', function: { name: 'transfer_funds', parameters: { type: 'object', properties: {} } } }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('hdp_tool_unauthorized');
    await eventually(
      async () => {
        const res = await world.system.owner.gql<{ usageEvents: { nodes: { hdpResult: string | null }[] } }>('{ usageEvents { nodes { hdpResult } } }');
        return res.data?.usageEvents.nodes.find((e) => e.hdpResult === 'tool_unauthorized');
      },
      15_000,
      'the refused event to be stored',
    );
  });

  it('shows the principal and the chain as a diagram in the request drawer', async () => {
    const { page } = operator;
    await openScreen(page, 'Requests');
    await page.locator('.n-tabs-tab', { hasText: 'History' }).click();
    await tableRows(page, 'delegated-agent').filter({ hasText: 'gpt-4o-mini' }).filter({ hasText: 'Allowed' }).first().click();
    const section = page.locator('[data-test=provenance]');
    await section.waitFor();
    expect(await section.locator('[data-test=provenance-principal]').textContent()).toContain('usr_alice');
    expect(await section.locator('[data-test=provenance-hop]').allTextContents()).toEqual([
      expect.stringContaining('orchestrator-v2'),
      expect.stringContaining('sql-agent-v1'),
      expect.stringContaining('report-writer'),
    ]);
    expect(await section.textContent()).toContain('Verified');
    await saveScreenshot(page, 'request-drawer-delegation');
    await page.keyboard.press('Escape');
    expect(operator.errors).toEqual([]);
  });

  it('lets an owner trust and remove an issuer key on the Settings screen', async () => {
    const { page } = operator;
    const agentKey = hdpSigner('agent-report');
    await openScreen(page, 'Settings');
    const panel = page.locator('[data-test=trusted-issuers]');
    await tableRows(panel, 'idp-e2e').waitFor({ timeout: UI_TIMEOUT_MS });
    await panel.getByPlaceholder('Identity provider').fill('Report agent');
    await panel.getByPlaceholder('idp-signing-key-v1').fill('agent-report');
    await panel.getByPlaceholder('MK6LIJbeH3IqS7PY…').fill(agentKey.publicKey);
    await panel.getByPlaceholder('optional').fill('report-writer');
    await panel.locator('[data-test=add-trusted-issuer]').click();
    await tableRows(panel, 'agent-report').waitFor({ timeout: UI_TIMEOUT_MS });
    const listed = await world.system.owner.gql<{ trustedIssuers: { kid: string; agentId: string | null; publicKey: string }[] }>(
      '{ trustedIssuers { kid agentId publicKey } }',
    );
    expect(listed.data?.trustedIssuers).toEqual([
      { kid: 'agent-report', agentId: 'report-writer', publicKey: agentKey.publicKey },
      { kid: 'idp-e2e', agentId: null, publicKey: issuer.publicKey },
    ]);
    await saveScreenshot(page, 'settings-trusted-issuers');

    await tableRows(panel, 'agent-report').getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('button', { name: 'Remove key' }).click();
    await tableRows(panel, 'agent-report').waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
    expect(operator.errors).toEqual([]);
  });
});

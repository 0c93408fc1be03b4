import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import OpenAI from 'openai';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startToolServer, type ToolServer } from '../mcp/support/tool-server.js';
import { DESKTOP, launchBrowser, openConsolePage, UI_TIMEOUT_MS, type ConsolePage } from './support/browser.js';
import { dialog, formItem, openScreen, settle, signIn, tableRows } from './support/console-actions.js';
import { startConsoleSystem, waitForKeyOnNode, type ConsoleSystem } from './support/console-system.js';

const UPSTREAM_TOKEN = 'mcp-console-token-4b8e2d6f1a';

/**
 * The console's MCP screens in a real chromium against the real planes and a real MCP server of
 * the official SDK: an owner registers the server, tests the connection and sees its tools with
 * their schemas, ticks one tool for a key; an agent with the official MCP client then sees and
 * calls only that tool, and the owner finds the call in Requests by the server filter.
 */
describe('MCP servers in the console', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let tools: ToolServer;
  let owner: ConsolePage;
  let client: Client | undefined;

  beforeAll(async () => {
    tools = await startToolServer();
    browser = await launchBrowser();
    world = await startConsoleSystem(inject('pgAdminUrl'));
    await world.system.addMockCredential();
    owner = await openConsolePage(browser, DESKTOP);
  }, 120_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await browser?.close();
    await world?.close();
    await tools?.close();
  });

  it('registers a server, lists its tools, grants one to a key, and finds the tool call in Requests by server', async () => {
    const { page } = owner;
    const agent = await world.system.createKey({ name: 'support-agent' });
    await signIn(page, world.consoleUrl, world.operator);

    // Register the server with a bearer token.
    await openScreen(page, 'MCP servers');
    await page.locator('[data-test=add-mcp-server]').click();
    const form = dialog(page, 'Add an MCP server');
    await form.locator('input[name=mcp-name]').fill('records');
    await form.locator('input[name=mcp-url]').fill(tools.url);
    await form.locator('input[name=mcp-secret]').fill(UPSTREAM_TOKEN);
    await form.getByRole('button', { name: 'Add server' }).click();
    await form.waitFor({ state: 'hidden' });
    const row = tableRows(page, 'records');
    await row.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await row.textContent()).toContain(`••••${UPSTREAM_TOKEN.slice(-4)}`);
    expect(await page.content()).not.toContain(UPSTREAM_TOKEN);

    // Test the connection: the control plane connects with the stored token and lists the tools.
    await row.getByRole('button', { name: 'Test connection' }).click();
    const listing = dialog(page, 'Tools of records');
    await listing.locator('[data-test=mcp-tool-count], [role=alert]').waitFor({ timeout: 2 * UI_TIMEOUT_MS });
    expect(await listing.textContent()).toContain('4 tools offered');
    const listRecords = listing.locator('[data-test=mcp-tool]', { hasText: 'list_records' });
    expect(await listRecords.textContent()).toContain('Lists the records of a table.');
    expect(await listRecords.locator('pre').textContent()).toContain('"required": [\n    "table"\n  ]');
    expect(tools.log.requests.every((r) => r.authorization === `Bearer ${UPSTREAM_TOKEN}`)).toBe(true);
    await page.keyboard.press('Escape');
    await listing.waitFor({ state: 'hidden' });

    // Tick list_records for the key.
    await openScreen(page, 'Keys');
    await tableRows(page, 'support-agent').getByRole('button', { name: 'Actions for support-agent' }).click();
    await page.locator('.n-dropdown-option', { hasText: 'Edit expiry, models' }).click();
    const keyForm = dialog(page, 'Edit support-agent');
    const checklist = formItem(keyForm, 'MCP tools').locator('[data-test=mcp-access-records]');
    await checklist.getByRole('button', { name: 'List tools' }).click();
    await checklist.locator('.n-checkbox', { hasText: 'list_records' }).click();
    await keyForm.getByRole('button', { name: 'Save changes' }).click();
    await keyForm.waitFor({ state: 'hidden' });

    // The agent, with the official MCP client through Keyward, sees and calls only that tool.
    await waitForKeyOnNode(world.system, agent.secret);
    const listed = await eventuallyListed(agent.secret);
    expect(listed).toEqual(['list_records']);
    const result = await client!.callTool({ name: 'list_records', arguments: { table: 'customers' } });
    expect(result.content).toEqual([{ type: 'text', text: '3 records in customers' }]);
    // And one model call, which the server filter must leave out.
    const openai = new OpenAI({ apiKey: agent.secret, baseURL: `${world.system.dp.url}/v1` });
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

    // Requests, history, filtered by the server: the tool call and not the model call; the filter is in the URL.
    await openScreen(page, 'Requests');
    await page.locator('.n-tabs-tab', { hasText: 'History' }).click();
    await tableRows(page, 'gpt-4o-mini').waitFor({ timeout: UI_TIMEOUT_MS });
    await page.getByLabel('MCP server', { exact: true }).fill('records');
    await page.waitForURL(/mcp-server=records/, { timeout: UI_TIMEOUT_MS });
    await tableRows(page, 'records · list_records').waitFor({ timeout: UI_TIMEOUT_MS });
    await settle(page);
    expect(await tableRows(page, 'gpt-4o-mini').count()).toBe(0);

    // The link reproduces the view.
    await page.reload();
    await tableRows(page, 'records · list_records').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page.getByLabel('MCP server', { exact: true }).inputValue()).toBe('records');
  }, 180_000);

  /** The tools the agent sees once the key's new MCP access has reached the node. */
  async function eventuallyListed(secret: string): Promise<string[]> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      await client?.close().catch(() => undefined);
      client = new Client({ name: 'test-agent', version: '1.0.0' });
      try {
        await client.connect(
          new StreamableHTTPClientTransport(new URL(`${world.system.dp.url}/mcp/records`), { requestInit: { headers: { Authorization: `Bearer ${secret}` } } }),
        );
        return (await client.listTools()).tools.map((t) => t.name);
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }
});

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DESKTOP, launchBrowser, openConsolePage, REPO_ROOT, type ConsolePage } from './support/browser.js';
import { dialog, formItem, openScreen, settle, signIn } from './support/console-actions.js';
import { startConsoleSystem, waitForKeyOnNode, type ConsoleSystem } from './support/console-system.js';

const run = promisify(execFile);
const CLIENTS = ['openai-node', 'openai-python', 'anthropic-node', 'gemini-node', 'curl'] as const;
type Client = (typeof CLIENTS)[number];
/** What the mock provider answers by default, in every wire format. */
const ANSWER = 'Hello from the mock provider.';

/**
 * The console of a self-hosted installation (the default edition) with its gateway address
 * configured, in chromium. It shows agents where the gateway is and how to call it, and what it
 * shows works: the snippets are read off the rendered Keys and Overview screens and run, as
 * written, with the official OpenAI, Anthropic and Gemini clients and curl against the data plane
 * and the mock provider. And it shows no plan anywhere, with every feature on.
 */
describe('the console of a self-hosted installation', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let operator: ConsolePage;
  let gatewayUrl: string;
  let scratch: string;

  beforeAll(async () => {
    browser = await launchBrowser();
    world = await startConsoleSystem(inject('pgAdminUrl'), { advertiseGateway: true });
    gatewayUrl = world.system.dp.url;
    const { owner, mock } = world.system;
    await world.system.addMockCredential();
    for (const [provider, models] of [
      ['ANTHROPIC', ['claude-*']],
      ['GEMINI', ['gemini-*']],
    ] as const) {
      const res = await owner.gql('mutation($i: CreateCredentialInput!) { createCredential(input: $i) { id } }', {
        i: { provider, name: `mock ${provider}`, apiKey: `sk-mock-${provider}`, baseUrl: mock.url, models },
      });
      expect(res.errors).toBeUndefined();
    }
    // Whatever plan the row says, a self-hosted installation has none.
    await world.system.cp.services.orm.em.fork().getConnection().execute(`update organizations set plan = 'free'`);
    // Node resolves the snippets' imports from the folder they are in: this package's dependencies.
    scratch = await mkdtemp(join(REPO_ROOT, 'test', '.snippets-'));
    operator = await openConsolePage(browser, DESKTOP);
    await signIn(operator.page, world.consoleUrl, world.operator);
  });

  afterAll(async () => {
    await browser?.close();
    await world?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  /** The text of every snippet inside `scope`, by client. */
  async function snippetsIn(scope: Locator): Promise<Record<Client, string>> {
    const entries = await Promise.all(CLIENTS.map(async (c) => [c, (await scope.locator(`[data-test="snippet-${c}"]`).textContent()) ?? ''] as const));
    return Object.fromEntries(entries) as Record<Client, string>;
  }

  /** Runs a snippet as a person would paste it: Node files next to the clients, curl in a shell. Returns what it printed. */
  async function runSnippet(client: Client, code: string, env: Record<string, string> = {}): Promise<string> {
    const options = { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 30_000 };
    if (client === 'curl') return (await run('sh', ['-c', code], options)).stdout;
    if (client === 'openai-python') {
      // No Python client is installed here: check the snippet parses, and that it names the same base URL.
      const file = join(scratch, `${client}-${Math.random().toString(36).slice(2)}.py`);
      await writeFile(file, code);
      await run('python3', ['-m', 'py_compile', file], options);
      return ANSWER;
    }
    const file = join(scratch, `${client}-${Math.random().toString(36).slice(2)}.mjs`);
    await writeFile(file, code);
    return (await run(process.execPath, [file], options)).stdout;
  }

  it('shows an organization without requests how to make its first call', async () => {
    const { page } = operator;
    await openScreen(page, 'Overview');
    const firstCall = page.locator('[data-test="first-call"]');
    await firstCall.waitFor();
    expect(await firstCall.locator('[data-test="gateway-url"]').textContent()).toBe(gatewayUrl);
    expect((await snippetsIn(firstCall))['openai-node']).toContain(`baseURL: '${gatewayUrl}/v1'`);
  });

  it("shows the gateway on Keys with snippets that work once the new key's secret is filled in", async () => {
    const { page } = operator;
    await openScreen(page, 'Keys');
    const panel = page.getByRole('region', { name: 'Connect an agent' });
    expect(await panel.locator('[data-test="gateway-url"]').textContent()).toBe(gatewayUrl);
    const withPlaceholder = await snippetsIn(panel);
    for (const client of CLIENTS) expect(withPlaceholder[client]).toContain('KEYWARD_KEY');

    await page.locator('[data-test=create-key]').click();
    const form = dialog(page, 'Create a key');
    await formItem(form, 'Name').locator('input').fill('snippet-runner');
    await formItem(form, 'Owner').locator('input').fill('docs');
    await form.locator('button[type=submit]').click();
    const shown = dialog(page, 'Your new key');
    await shown.waitFor();
    const secret = ((await shown.locator('[data-test=secret]').textContent()) ?? '').trim();
    expect(secret).toMatch(/^kw_/);
    const withSecret = await snippetsIn(shown);
    for (const client of CLIENTS) {
      expect(withSecret[client]).toContain(secret);
      expect(withSecret[client]).not.toContain('KEYWARD_KEY');
    }
    await waitForKeyOnNode(world.system, secret);

    for (const client of CLIENTS) {
      expect(await runSnippet(client, withSecret[client]), `${client} with the secret written in`).toContain(ANSWER);
      expect(await runSnippet(client, withPlaceholder[client], { KEYWARD_KEY: secret }), `${client} with $KEYWARD_KEY`).toContain(ANSWER);
    }
    const baseUrlOf = (code: string) => /base_?URL[=:] ?['"]([^'"]+)['"]/i.exec(code)?.[1];
    expect(baseUrlOf(withSecret['openai-python'])).toBe(baseUrlOf(withSecret['openai-node']));

    await shown.locator('[data-test=stored]').click();
    await shown.locator('[data-test=done]').click();
    await shown.waitFor({ state: 'hidden' });
  });

  it('shows the charts instead once requests went through', async () => {
    const { page } = operator;
    await openScreen(page, 'Overview');
    await page.getByRole('heading', { name: 'Top keys by spend' }).waitFor();
    expect(await page.locator('[data-test="first-call"]').count()).toBe(0);
  });

  it('shows usage, credits and statements but no plan, price of a plan or plan-gated notice', async () => {
    const { page } = operator;
    await openScreen(page, 'Usage & billing');
    await page.getByRole('heading', { name: 'Statements' }).waitFor();
    await page.getByRole('heading', { name: 'Prepaid credits' }).waitFor();
    await settle(page);
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).not.toMatch(/plan|\/ ?month|upgrade|enterprise/i);

    await openScreen(page, 'Webhooks & Slack');
    await page.locator('[data-test=slack]').waitFor();
    await settle(page);
    expect((await page.locator('main').textContent()) ?? '').not.toMatch(/plan/i);
  });
});

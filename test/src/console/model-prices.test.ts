import OpenAI from 'openai';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/system.js';
import { DESKTOP, launchBrowser, openConsolePage, saveScreenshot, UI_TIMEOUT_MS, type ConsolePage } from './support/browser.js';
import { dialog, openScreen, signIn, tableRows } from './support/console-actions.js';
import { startConsoleSystem, waitForKeyOnNode, type ConsoleSystem } from './support/console-system.js';

const FINE_TUNED = 'ft:gpt-4.1-nano-2025-04-14:acme:support:7kQ2';

/**
 * An operator finds, on the Budgets screen, the model their agent was refused for because it
 * has no price, prices it there, and chooses what happens to the next unpriced model, in a real
 * chromium against the real planes.
 */
describe('model prices in the console', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let operator: ConsolePage;
  let openai: OpenAI;

  const version = () => world.system.dp.node.readiness().version ?? 0;
  const call = () =>
    openai.chat.completions.create({ model: FINE_TUNED, max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }).then(
      () => null,
      (e: InstanceType<typeof OpenAI.APIError>) => e,
    );

  beforeAll(async () => {
    browser = await launchBrowser();
    world = await startConsoleSystem(inject('pgAdminUrl'));
    const { system } = world;
    await system.addMockCredential();
    const key = await system.createKey();
    await system.owner.gql('mutation { topUpCredits(input: { amount: "20.00", reference: "inv-console" }) { balance } }');
    const before = version();
    await system.owner.gql('mutation { setCreditsEnabled(enabled: true) { enabled } }');
    await eventually(() => (version() > before ? true : undefined), 10_000, 'credits to reach the node');
    await waitForKeyOnNode(system, key.secret);
    openai = new OpenAI({ apiKey: key.secret, baseURL: `${system.dp.url}/v1`, maxRetries: 0 });
    operator = await openConsolePage(browser, DESKTOP);
  });

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('lists a model refused for having no price, and prices it from that list', async () => {
    expect(await call()).toMatchObject({ status: 403, code: 'model_unpriced' });
    const { page } = operator;
    await signIn(page, world.consoleUrl, world.operator);
    await openScreen(page, 'Budgets & limits');

    const unpriced = page.locator('[data-test=unpriced-models]');
    const row = tableRows(unpriced, FINE_TUNED);
    await row.waitFor({ timeout: UI_TIMEOUT_MS });
    await saveScreenshot(page, 'budgets-unpriced-models');
    await row.getByRole('button', { name: 'Add price' }).click();

    const form = dialog(page, 'Add a model price');
    await form.waitFor();
    expect(await form.locator('[data-test=price-model] input').inputValue()).toBe(FINE_TUNED);
    await form.locator('[data-test=price-input] input').fill('0.30');
    await form.locator('[data-test=price-output] input').fill('1.20');
    const before = version();
    await form.locator('[data-test=save-price]').click();
    await form.waitFor({ state: 'hidden' });

    // Listed with the organization's prices, gone from the unpriced list, and used by the node.
    await tableRows(page, /\$0\.30.*\$1\.20/)
      .filter({ hasText: FINE_TUNED })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await row.waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
    await eventually(() => (version() > before ? true : undefined), 10_000, 'the price to reach the node');
    expect(await call()).toBeNull();
  });

  it('saves the fallback for models without a price', async () => {
    const { page } = operator;
    const setting = page.locator('[data-test=unpriced-setting]');
    await setting.getByText('Charge a set price').click();
    await setting.locator('[data-test=fallback-input] input').fill('5');
    await setting.locator('[data-test=fallback-output] input').fill('15.50');
    await setting.locator('[data-test=save-unpriced]').click();
    await page.getByText('Unpriced models setting saved').waitFor({ timeout: UI_TIMEOUT_MS });

    const res = await world.system.owner.gql<{ organization: { settings: { unpricedModels: unknown } } }>(
      '{ organization { settings { unpricedModels { mode inputPrice outputPrice } } } }',
    );
    expect(res.data!.organization.settings.unpricedModels).toEqual({ mode: 'CHARGE', inputPrice: '5.00', outputPrice: '15.50' });
  });

  it('lists the models the credentials serve with prices, context windows and credentials, flags the unpriced and prices them', async () => {
    const { system } = world;
    const created = await system.owner.gql(`mutation($input: CreateCredentialInput!) { createCredential(input: $input) { id } }`, {
      input: {
        provider: 'OPENAI_COMPATIBLE',
        name: 'house',
        apiKey: 'sk-house-0123456789',
        baseUrl: 'http://127.0.0.1:9/v1',
        models: ['house-llm-7b', 'gpt-4o'],
      },
    });
    expect(created.errors).toBeUndefined();
    const { page } = operator;
    await openScreen(page, 'Models');
    const find = page.getByLabel('Find a model');

    await find.fill('house-llm');
    const house = tableRows(page, 'house-llm-7b');
    await house.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await house.locator('[data-test=unpriced]').textContent()).toBe('No price');
    expect(await house.textContent()).toContain('house');

    // A built-in price with the catalog's context window, served by both credentials.
    await find.fill('gpt-4o');
    const builtIn = tableRows(page, /^gpt-4o\s*OpenAI/);
    await builtIn.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await builtIn.textContent()).toMatch(/\$2\.50 \/ \$10\.00 \/ \$1\.25Built-in price[\d,]+ tokens(house|mock){2}/);

    // The organization's own price of the fine-tune set earlier.
    await find.fill(FINE_TUNED);
    expect(await tableRows(page, FINE_TUNED).textContent()).toContain('$0.30 / $1.20 / $0.30Your price');
    await saveScreenshot(page, 'models');

    // Pricing the unpriced model from here, with the Budgets screen's form.
    await find.fill('house-llm');
    await house.getByRole('button', { name: 'Set price of house-llm-7b' }).click();
    const form = dialog(page, 'Add a model price');
    await form.waitFor();
    expect(await form.locator('[data-test=price-model] input').inputValue()).toBe('house-llm-7b');
    await form.locator('[data-test=price-input] input').fill('0.10');
    await form.locator('[data-test=price-output] input').fill('0.40');
    await form.locator('[data-test=save-price]').click();
    await form.waitFor({ state: 'hidden' });
    await tableRows(page, /house-llm-7b.*\$0\.10 \/ \$0\.40 \/ \$0\.10Your price/).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(operator.errors).toEqual([]);
  });
});

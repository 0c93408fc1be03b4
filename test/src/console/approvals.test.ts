import OpenAI from 'openai';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/system.js';
import { DESKTOP, launchBrowser, openConsolePage, UI_TIMEOUT_MS, type ConsolePage } from './support/browser.js';
import { dialog, openScreen, signIn } from './support/console-actions.js';
import { startConsoleSystem, waitForKeyOnNode, type ConsoleSystem } from './support/console-system.js';

/** Holds every request that offers the model a shell tool. */
const POLICY = JSON.stringify({
  name: 'Shell needs a human',
  rules: [{ id: 'shell', when: { toolOffered: 'shell*' }, action: { type: 'hold', timeoutSeconds: 300, onTimeout: 'block' } }],
});

/**
 * An approver at the console: an agent's request is held by a policy, it appears in the live
 * Approvals queue without a reload, the approver approves it with a reason, and the agent's
 * call — waiting all along — completes.
 */
describe('approving a held request in the console', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let approver: ConsolePage;
  let key: { id: string; secret: string };

  beforeAll(async () => {
    browser = await launchBrowser();
    world = await startConsoleSystem(inject('pgAdminUrl'));
    await world.system.addMockCredential();
    key = await world.system.createKey({ name: 'ops-agent' });
    const policy = await world.system.owner.gql<{ createPolicy: { id: string } }>(
      `mutation($input: CreatePolicyInput!) { createPolicy(input: $input) { id } }`,
      { input: { source: POLICY } },
    );
    expect(policy.errors).toBeUndefined();
    const attached = await world.system.owner.gql(`mutation($id: ID!) { attachPolicy(id: $id, scope: { kind: ORG }) { id } }`, {
      id: policy.data!.createPolicy.id,
    });
    expect(attached.errors).toBeUndefined();
    await waitForKeyOnNode(world.system, key.secret);
    approver = await openConsolePage(browser, DESKTOP);
    await signIn(approver.page, world.consoleUrl, world.operator);
  });

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('lets the agent’s call complete once a person approves it from the Approvals screen', { timeout: 120_000 }, async () => {
    const { page } = approver;
    await openScreen(page, 'Approvals');
    await page.getByText('Nothing is waiting').waitFor({ timeout: UI_TIMEOUT_MS });

    const openai = new OpenAI({ apiKey: key.secret, baseURL: `${world.system.dp.url}/v1`, maxRetries: 0, timeout: 120_000 });
    const ask = () =>
      openai.chat.completions.create({
        model: 'gpt-4o-mini',
        tools: [{ type: 'function', function: { name: 'shell_exec', parameters: { type: 'object', properties: {} } } }],
        messages: [{ role: 'user', content: 'Free some disk space on the build box' }],
      });
    // The policy reaches the node a few milliseconds after the mutation; ask until a call is held.
    const card = page.locator('[data-test^="approval-"]');
    const { pending: call } = await eventually(
      async () => {
        const pending = ask().then(
          (answer) => ({ answer }),
          (error: unknown) => ({ error }),
        );
        const held = await card
          .first()
          .waitFor({ timeout: 3_000 })
          .then(
            () => true,
            () => false,
          );
        // Wrapped: an async function returning the promise itself would wait for it.
        if (held) return { pending };
        await pending;
        return undefined;
      },
      30_000,
      'a held request in the queue',
    );

    await expect(card.first().textContent()).resolves.toContain('ops-agent');
    await card.first().locator('[data-test=approve]').click();
    const confirm = dialog(page, 'Approve this request?');
    await confirm.waitFor({ timeout: UI_TIMEOUT_MS });
    await confirm.locator('[data-test=decision-reason]').locator('textarea, input').first().fill('Routine clean-up, go ahead');
    await confirm.locator('[data-test=confirm-decision]').click();

    const result = await call;
    if (!('answer' in result)) throw new Error(`the held call failed after approval: ${String(result.error)}`);
    expect(result.answer.choices[0]?.message.content).toBeTruthy();
    await page.getByText('Nothing is waiting').waitFor({ timeout: UI_TIMEOUT_MS });

    const decided = await world.system.owner.gql<{ approvals: { nodes: { status: string; decisionReason: string | null }[] } }>(
      `query { approvals(first: 5) { nodes { status decisionReason } } }`,
    );
    expect(decided.data!.approvals.nodes[0]).toMatchObject({ decisionReason: 'Routine clean-up, go ahead' });
    expect(approver.errors).toEqual([]);
  });
});

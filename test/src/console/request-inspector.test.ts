import OpenAI from 'openai';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BEHAVIOUR_HEADER } from '../mock-provider/behaviour.js';
import { eventually } from '../support/system.js';
import { DESKTOP, launchBrowser, openConsolePage, saveScreenshot, type ConsolePage } from './support/browser.js';
import { openScreen, signIn, tableRows } from './support/console-actions.js';
import { startConsoleSystem, waitForKeyOnNode, type ConsoleSystem } from './support/console-system.js';

/** Holds every request that offers the model a shell tool, until someone decides. */
const HOLD_POLICY = JSON.stringify({
  name: 'Shell needs a human',
  rules: [{ id: 'shell', when: { toolOffered: 'shell*' }, action: { type: 'hold', timeoutSeconds: 300, onTimeout: 'block' } }],
});

/** One pixel, as an agent would attach a screenshot. */
const PIXEL = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** The conversation an agent sends: system prompt, a user turn with an image, an earlier tool call and its result. */
const MESSAGES: OpenAI.Chat.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'You are the billing assistant.' },
  {
    role: 'user',
    content: [
      { type: 'text', text: 'What is the weather where this photo was taken?' },
      { type: 'image_url', image_url: { url: PIXEL } },
    ],
  },
  { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
  { role: 'tool', tool_call_id: 'call_1', content: 'Sunny, 21°C' },
  { role: 'user', content: 'Now find invoice INV-7.' },
];

/** What the mock model answers: some text and a tool call, streamed in chunks after a pause. */
const ANSWER = {
  text: 'Looking it up.',
  toolCalls: [{ name: 'lookup_invoice', arguments: { id: 'INV-7' } }],
  firstByteDelayMs: 150,
  chunks: 3,
  intervalMs: 40,
};

/** Custom metadata an agent attaches to its call, as headers. */
const META_HEADERS = { 'X-Keyward-Meta-Customer': 'acme', 'x-keyward-meta-run-id': 'nightly-42' };

interface StoredEvent {
  requestId: string;
  decision: string;
  latencyMs: number;
  gatewayMs: number | null;
  upstreamTtfbMs: number | null;
  streamMs: number | null;
  content: { messages: { role: string; text: string; images: number; toolCalls: { name: string; arguments: string }[] }[] | null } | null;
}

const EVENT_FIELDS = 'requestId decision latencyMs gatewayMs upstreamTtfbMs streamMs content { messages { role text images toolCalls { name arguments } } }';

/**
 * "What did this request say, who decided it, and where did its time go?": a call with a
 * whole conversation (an image, an earlier tool call and its result) is captured message by
 * message with the answer's own tool call; a call made before capture was on shows why it has
 * no content; a held call shows its approver and reason; each shows its latency breakdown.
 */
describe('the request inspector', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let operator: ConsolePage;
  let captured: StoredEvent;
  let approval: { decidedByName: string | null; decisionReason: string | null };
  let inspectedKeyId = '';
  let earlyKeyId = '';

  const chatEvents = async (keyId: string) => {
    const res = await world.system.owner.gql<{ usageEvents: { nodes: StoredEvent[] } }>(
      `query($filter: UsageEventFilter) { usageEvents(filter: $filter) { nodes { ${EVENT_FIELDS} endpoint } } }`,
      { filter: { keyId } },
    );
    expect(res.errors).toBeUndefined();
    return (res.data?.usageEvents.nodes ?? []).filter((e) => (e as StoredEvent & { endpoint: string }).endpoint === 'chat.completions');
  };

  beforeAll(async () => {
    browser = await launchBrowser();
    world = await startConsoleSystem(inject('pgAdminUrl'));
    const { system } = world;
    await system.addMockCredential();
    const early = await system.createKey({ name: 'early-agent' });
    const inspected = await system.createKey({ name: 'inspected-agent' });
    const held = await system.createKey({ name: 'ops-agent' });
    inspectedKeyId = inspected.id;
    earlyKeyId = early.id;
    await waitForKeyOnNode(system, early.secret);
    const client = (secret: string) => new OpenAI({ apiKey: secret, baseURL: `${system.dp.url}/v1`, maxRetries: 0, timeout: 120_000 });

    // Before capture is turned on: only metadata, and the agent's own (one value too long to keep).
    await client(early.secret).chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hi' }] },
      { headers: { ...META_HEADERS, 'X-Keyward-Meta-Notes': 'x'.repeat(257) } },
    );

    const capture = await system.owner.gql('mutation { updateOrganizationSettings(input: { contentCapture: true }) { id } }');
    expect(capture.errors).toBeUndefined();
    // The setting reaches the node a moment after the mutation: call until an event carries the conversation.
    await waitForKeyOnNode(system, inspected.secret);
    captured = await eventually(
      async () => {
        const stream = await client(inspected.secret).chat.completions.create(
          { model: 'gpt-4o-mini', stream: true, messages: MESSAGES },
          { headers: { [BEHAVIOUR_HEADER]: JSON.stringify(ANSWER) } },
        );
        for await (const chunk of stream) void chunk;
        const events = await eventually(
          async () => {
            const found = await chatEvents(inspected.id);
            return found.length > 0 ? found : undefined;
          },
          10_000,
          'the inspected call to be stored',
        );
        return events.find((e) => e.content?.messages?.length);
      },
      30_000,
      'an event with its conversation captured',
    );

    const policy = await system.owner.gql<{ createPolicy: { id: string } }>('mutation($input: CreatePolicyInput!) { createPolicy(input: $input) { id } }', {
      input: { source: HOLD_POLICY },
    });
    expect(policy.errors).toBeUndefined();
    const attached = await system.owner.gql('mutation($id: ID!) { attachPolicy(id: $id, scope: { kind: ORG }) { id } }', { id: policy.data!.createPolicy.id });
    expect(attached.errors).toBeUndefined();
    await waitForKeyOnNode(system, held.secret);
    const ask = () =>
      client(held.secret).chat.completions.create({
        model: 'gpt-4o-mini',
        tools: [{ type: 'function', function: { name: 'shell_exec', parameters: { type: 'object', properties: {} } } }],
        messages: [{ role: 'user', content: 'Free some disk space' }],
      });
    // The policy reaches the node shortly after it is attached: ask until a call is held, then approve it.
    await eventually(
      async () => {
        const call = ask().then(
          () => 'answered',
          () => 'failed',
        );
        const pending = await eventually(
          async () => {
            const res = await system.owner.gql<{ approvals: { nodes: { id: string }[] } }>(
              '{ approvals(filter: { status: [PENDING] }, first: 1) { nodes { id } } }',
            );
            const id = res.data?.approvals.nodes[0]?.id;
            if (id) return id;
            return (await Promise.race([call, new Promise((resolve) => setTimeout(() => resolve(undefined), 200))])) === undefined ? undefined : 'none';
          },
          10_000,
          'the call to be held or answered',
        );
        if (pending === 'none') return undefined;
        const approved = await system.owner.gql('mutation($id: ID!) { approveRequest(id: $id, reason: "Routine clean-up, go ahead") { id } }', { id: pending });
        expect(approved.errors).toBeUndefined();
        expect(await call).toBe('answered');
        return pending;
      },
      30_000,
      'a held call, approved',
    );
    const decided = await system.owner.gql<{ approvals: { nodes: { decidedByName: string | null; decisionReason: string | null }[] } }>(
      '{ approvals(first: 1) { nodes { decidedByName decisionReason } } }',
    );
    approval = decided.data!.approvals.nodes[0]!;
    await eventually(async () => ((await chatEvents(held.id)).some((e) => e.decision === 'APPROVED') ? true : undefined), 10_000, 'the held call to be stored');

    operator = await openConsolePage(browser, DESKTOP);
    await signIn(operator.page, world.consoleUrl, world.operator);
    // Three kinds of calls, each waiting for the node and the record: longer than most set-ups on two busy cores.
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('stores the conversation message by message, with tool calls, image placeholders and the answer', () => {
    const messages = captured.content!.messages!;
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'user', 'assistant']);
    expect(messages[1]).toMatchObject({ text: 'What is the weather where this photo was taken?', images: 1 });
    // The image itself is never kept.
    expect(JSON.stringify(captured)).not.toContain('iVBORw0KGgo');
    expect(messages[2]!.toolCalls).toEqual([{ name: 'get_weather', arguments: '{"city":"Paris"}' }]);
    expect(messages[3]!.text).toBe('Sunny, 21°C');
    expect(messages[5]!.text).toBe('Looking it up.');
    expect(messages[5]!.toolCalls.map((c) => ({ name: c.name, arguments: JSON.parse(c.arguments) as unknown }))).toEqual([
      { name: 'lookup_invoice', arguments: { id: 'INV-7' } },
    ]);
  });

  it('breaks the latency down into Keyward’s time, the provider’s time to first byte and streaming', () => {
    const { latencyMs, gatewayMs, upstreamTtfbMs, streamMs } = captured;
    expect(upstreamTtfbMs).toBeGreaterThanOrEqual(ANSWER.firstByteDelayMs);
    // Three chunks 40 ms apart after the first byte.
    expect(streamMs).toBeGreaterThanOrEqual(2 * ANSWER.intervalMs);
    expect(gatewayMs).toBeGreaterThanOrEqual(0);
    expect(gatewayMs).toBeLessThan(latencyMs);
    // Each part is rounded on its own.
    expect(Math.abs(gatewayMs! + upstreamTtfbMs! + streamMs! - latencyMs)).toBeLessThanOrEqual(2);
  });

  it('shows the conversation as a chat in the request drawer, with the latency breakdown and a link to the key', async () => {
    const { page } = operator;
    await openScreen(page, 'Requests');
    await page.locator('.n-tabs-tab', { hasText: 'History' }).click();
    await tableRows(page, 'inspected-agent').first().click();
    const chat = page.locator('[data-test=conversation]');
    await chat.waitFor();
    const roles = await chat.locator('li').evaluateAll((items) => items.map((li) => li.getAttribute('data-role')));
    expect(roles).toEqual(['system', 'user', 'assistant', 'tool', 'user', 'assistant']);
    const items = chat.locator('li');
    expect(await items.nth(0).textContent()).toContain('You are the billing assistant.');
    expect(await items.nth(1).locator('[data-test=image-placeholder]').textContent()).toContain('image 1: not stored');
    expect(await items.nth(2).locator('[data-test=tool-call]').textContent()).toMatch(/Calls get_weather[\s\S]*"city": "Paris"/);
    expect(await items.nth(3).textContent()).toMatch(/Tool result\s*Sunny, 21°C/);
    expect(await items.nth(5).locator('[data-test=tool-call]').textContent()).toMatch(/Calls lookup_invoice[\s\S]*"id": "INV-7"/);

    const latency = await page.locator('[data-test=latency-breakdown]').textContent();
    expect(latency).toContain('Keyward');
    expect(latency).toContain('Provider, to first byte');
    expect(latency).toContain('Streaming');
    expect(await page.locator('[data-test=event-key] a').getAttribute('href')).toBe('/keys');
    await saveScreenshot(page, 'request-drawer-conversation');
    await page.keyboard.press('Escape');
    expect(operator.errors).toEqual([]);
  });

  it('says why a request has no content', async () => {
    const { page } = operator;
    await tableRows(page, 'early-agent').first().click();
    const note = page.locator('[data-test=no-content]');
    await note.waitFor();
    expect(await note.textContent()).toContain('capture was off when it was made');
    expect(await page.locator('[data-test=conversation]').count()).toBe(0);
    await page.keyboard.press('Escape');
  });

  it('names the rule that held a request, who approved it and why', async () => {
    const { page } = operator;
    await tableRows(page, 'ops-agent').first().click();
    const decided = page.locator('[data-test=decided-by]');
    await decided.waitFor();
    expect(await decided.textContent()).toMatch(/Approved by\s*Shell needs a human\s*v1, rule\s*shell/);
    const section = page.locator('[data-test=event-approval]');
    await section.locator('[data-test=approver]').waitFor();
    expect(approval.decisionReason).toBe('Routine clean-up, go ahead');
    expect(await section.locator('[data-test=approval-reason]').textContent()).toBe('Routine clean-up, go ahead');
    expect(await section.locator('[data-test=approver]').textContent()).toBe(approval.decidedByName ?? 'an API token');
    await saveScreenshot(page, 'request-drawer-approval');
    await page.keyboard.press('Escape');
    expect(operator.errors).toEqual([]);
  });

  it('records x-keyward-meta-* headers sent through the OpenAI client, and finds the request by them', async () => {
    const res = await world.system.owner.gql<{ usageEvents: { nodes: { keyId: string; meta: { name: string; value: string }[]; metaDropped: number }[] } }>(
      'query($filter: UsageEventFilter) { usageEvents(filter: $filter) { nodes { keyId meta { name value } metaDropped } } }',
      { filter: { meta: { name: 'customer', value: 'acme' } } },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.usageEvents.nodes).toEqual([
      {
        keyId: earlyKeyId,
        meta: [
          { name: 'customer', value: 'acme' },
          { name: 'run-id', value: 'nightly-42' },
        ],
        metaDropped: 1,
      },
    ]);
    const other = await world.system.owner.gql<{ usageEvents: { nodes: unknown[] } }>(
      'query($filter: UsageEventFilter) { usageEvents(filter: $filter) { nodes { id } } }',
      { filter: { meta: { name: 'customer', value: 'globex' } } },
    );
    expect(other.data!.usageEvents.nodes).toEqual([]);
  });

  it('keeps the request id, provider, status class, tag, metadata and time range filters in the URL', async () => {
    const { page } = operator;
    await page.goto(`${world.consoleUrl}/audit?tab=history&meta=customer:acme&status=2xx&provider=OPENAI_COMPATIBLE&range=7d`);
    await tableRows(page, 'early-agent').first().waitFor();
    expect(await tableRows(page, /inspected-agent|ops-agent/).count()).toBe(0);
    expect(await page.getByLabel('Metadata').inputValue()).toBe('customer:acme');
    expect(await page.locator('.filters .n-base-selection', { hasText: '2xx' }).count()).toBe(1);
    expect(await page.locator('.filters .n-base-selection', { hasText: 'OpenAI-compatible' }).count()).toBe(1);
    expect(await page.locator('.n-base-selection', { hasText: 'Last 7 days' }).count()).toBe(1);

    // A request id finds that request alone.
    await page.goto(`${world.consoleUrl}/audit?tab=history&request=${captured.requestId}`);
    await tableRows(page, 'inspected-agent').first().waitFor();
    expect(await tableRows(page, /early-agent|ops-agent/).count()).toBe(0);
    expect(await tableRows(page, 'inspected-agent').count()).toBe(1);

    // Typing in the page changes the link; a status class nothing has shows no rows.
    await page.getByLabel('Tag').fill('unpriced_model');
    await page.waitForURL((url) => url.searchParams.get('tag') === 'unpriced_model');
    await page.goto(`${world.consoleUrl}/audit?tab=history&status=5xx&range=1h`);
    await page.getByText('No requests match').waitFor();
    await page.locator('.n-base-selection', { hasText: 'Last hour' }).click();
    await page.locator('.n-base-select-option', { hasText: 'Last 30 days' }).first().click();
    await page.waitForURL((url) => url.searchParams.get('range') === '30d');
    expect(new URL(page.url()).searchParams.get('status')).toBe('5xx');
    await saveScreenshot(page, 'requests-search-filters');
    expect(operator.errors).toEqual([]);
  });

  it('finds requests by the words of their captured conversation, the search kept in the URL', async () => {
    const { page } = operator;
    await page.goto(`${world.consoleUrl}/audit?tab=history&q=invoices`);
    await tableRows(page, 'inspected-agent').first().waitFor();
    // The call made before capture was on has no content to find.
    expect(await tableRows(page, /early-agent|ops-agent/).count()).toBe(0);
    const box = page.getByLabel('Search captured content');
    expect(await box.inputValue()).toBe('invoices');
    await box.fill('"billing assistant" -weather');
    await box.press('Enter');
    await page.waitForURL((url) => url.searchParams.get('q') === '"billing assistant" -weather');
    await page.getByText('No captured prompt or answer in this window has these words', { exact: false }).waitFor();
    await box.fill('billing assistant');
    await box.press('Enter');
    await tableRows(page, 'inspected-agent').first().waitFor();
    expect(operator.errors).toEqual([]);
  });

  it('keeps the tab and the filters in the URL, so a link reproduces the view', async () => {
    const { page } = operator;
    await page.goto(`${world.consoleUrl}/audit?tab=history&key=${inspectedKeyId}&decision=ALLOWED`);
    await tableRows(page, 'inspected-agent').first().waitFor();
    expect(await page.locator('.n-tabs-tab--active').textContent()).toContain('History');
    expect(await tableRows(page, /early-agent|ops-agent/).count()).toBe(0);
    const pickers = page.locator('.filters .n-base-selection');
    // The key picker comes first; the decision picker shows the link's decision.
    expect(await pickers.first().textContent()).toContain('inspected-agent');
    const decision = pickers.filter({ hasText: 'Allowed' });
    expect(await decision.count()).toBe(1);
    // Changing a filter in the page changes the link.
    await decision.click();
    await page.locator('.n-base-select-option', { hasText: 'Blocked' }).first().click();
    await page.waitForURL((url) => url.searchParams.get('decision') === 'BLOCKED');
    expect(new URL(page.url()).searchParams.get('key')).toBe(inspectedKeyId);
    expect(operator.errors).toEqual([]);
  });
});

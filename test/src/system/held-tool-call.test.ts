import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, startTestSystem, type TestSystem } from '../support/system.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

/** A response rule that holds any `drop_table` call the model asks for until a person approves. */
const POLICY = JSON.stringify({
  name: 'Destructive tools need a human',
  rules: [
    {
      id: 'hold-drop-table',
      on: 'response',
      when: { toolCall: { name: 'drop_table' } },
      action: { type: 'hold', timeoutSeconds: 120, onTimeout: 'block' },
    },
  ],
});

interface ApprovalNotice {
  links?: { approve: string; reject: string };
  approval?: { id: string };
}

/**
 * The approval path as a team meets it: a model streams a destructive tool call, the data plane
 * withholds it, the organization's webhook receives signed Approve/Reject links, opening the
 * link only shows the request, pressing its button approves, and only then does the agent
 * receive the tool call.
 */
describe('a streamed destructive tool call', () => {
  let system: TestSystem;
  let receiver: WebhookReceiver<ApprovalNotice>;
  let deliveries: WebhookReceiver<ApprovalNotice>['deliveries'];
  let key: { id: string; secret: string };

  beforeAll(async () => {
    system = await startTestSystem(inject('pgAdminUrl'));
    receiver = await startWebhookReceiver<ApprovalNotice>();
    deliveries = receiver.deliveries;
    const hook = await system.owner.gql(`mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret } }`, {
      input: { url: receiver.url, events: ['approval.requested'] },
    });
    expect(hook.errors).toBeUndefined();
    await system.addMockCredential();
    key = await system.createKey();
    const policy = await system.owner.gql<{ createPolicy: { id: string } }>(`mutation($input: CreatePolicyInput!) { createPolicy(input: $input) { id } }`, {
      input: { source: POLICY },
    });
    expect(policy.errors).toBeUndefined();
    const attached = await system.owner.gql(`mutation($id: ID!) { attachPolicy(id: $id, scope: { kind: ORG }) { id } }`, { id: policy.data!.createPolicy.id });
    expect(attached.errors).toBeUndefined();
    system.mock.setBehaviour({ text: 'Dropping the table now.', chunks: 3, toolCalls: [{ name: 'drop_table', arguments: { table: 'users' } }] });
  });

  afterAll(async () => {
    await system?.close();
    await receiver?.close();
  });

  it('is held until a person approves it from a signed link, then delivered', { timeout: 90_000 }, async () => {
    const openai = new OpenAI({ apiKey: key.secret, baseURL: `${system.dp.url}/v1`, maxRetries: 0, timeout: 60_000 });
    const received: { text: string; toolCalls: string[] } = { text: '', toolCalls: [] };
    // The policy reaches the node shortly after the mutations; retry until a call is held.
    const link = await eventually(
      async () => {
        received.text = '';
        received.toolCalls = [];
        const call = (async () => {
          const stream = await openai.chat.completions.create({
            model: 'gpt-4o-mini',
            stream: true,
            tools: [{ type: 'function', function: { name: 'drop_table', parameters: { type: 'object', properties: {} } } }],
            messages: [{ role: 'user', content: 'Clean up the users table' }],
          });
          for await (const chunk of stream) {
            const delta = chunk.choices[0]?.delta;
            received.text += delta?.content ?? '';
            for (const t of delta?.tool_calls ?? []) if (t.function?.name) received.toolCalls.push(t.function.name);
          }
        })();
        const delivered = await eventually(() => deliveries.find((d) => d.type === 'approval.requested' && d.data.links), 3_000, 'a webhook').catch(
          () => undefined,
        );
        if (!delivered) {
          // Not held (the policy had not reached the node yet): that call completes on its own.
          await call.catch(() => undefined);
          return undefined;
        }
        return { links: delivered.data.links!, call };
      },
      30_000,
      'a held tool call',
    );

    // While held, the agent has the text but not the tool call.
    await eventually(() => (received.text.length > 0 ? true : undefined), 5_000, 'the streamed text');
    expect(received.toolCalls).toEqual([]);

    // Opening the link shows the request and decides nothing.
    const approveUrl = new URL(link.links.approve);
    const local = `${system.cp.url}${approveUrl.pathname}${approveUrl.search}`;
    const page = await fetch(local);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post">');
    const queue = await system.owner.gql<{ approvals: { nodes: { status: string }[] } }>(`query { approvals(first: 5) { nodes { status } } }`);
    expect(queue.data!.approvals.nodes[0]!.status).toBe('PENDING');
    expect(received.toolCalls).toEqual([]);

    // Pressing its button approves; the withheld tool call then reaches the agent.
    const decided = await fetch(local, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'reason=looks+fine' });
    expect(decided.status).toBe(200);
    await link.call;
    expect(received.toolCalls).toEqual(['drop_table']);

    // The link works once.
    const again = await fetch(local, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(again.status).toBe(410);

    const event = await eventually(
      async () => {
        const res = await system.owner.gql<{ usageEvents: { nodes: { decision: string; stream: boolean }[] } }>(
          `query($f: UsageEventFilter) { usageEvents(filter: $f, first: 5) { nodes { decision stream } } }`,
          { f: { keyId: key.id } },
        );
        return res.data?.usageEvents.nodes.find((n) => n.stream && n.decision === 'APPROVED');
      },
      10_000,
      'the approved event',
    );
    expect(event).toBeTruthy();
  });
});

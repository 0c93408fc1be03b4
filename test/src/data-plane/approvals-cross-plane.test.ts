import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, startTestSystem, type TestSystem } from '../support/system.js';
import { expectNoSecretsIn } from './support/secrets.js';

const POLICY = JSON.stringify({
  name: 'Shell needs a human',
  rules: [
    { id: 'contacts', when: { prompt: { pii: 'email' } }, action: { type: 'redact', detectors: ['email'] } },
    { id: 'shell', when: { toolOffered: 'shell*' }, action: { type: 'hold', timeoutSeconds: 120, onTimeout: 'block' } },
  ],
});
const SHELL_TOOL = { type: 'function' as const, function: { name: 'shell_exec', parameters: { type: 'object', properties: {} } } };

interface ApprovalView {
  id: string;
  status: string;
  decision: string | null;
  phase: string;
  nodeId: string;
  outcome: string | null;
  key: { id: string };
  reason: { kind: string; policyId: string; ruleId: string };
  summary: { messages: { role: string; text: string }[] };
}

/**
 * The approval round trip with the real control plane: a policy created and attached through
 * GraphQL reaches the node, a held request shows up in the approval queue with its redacted
 * summary, a person approves or rejects it through GraphQL, the node hears it on its
 * `approvalDecisions` subscription, and the outcome it reports closes the request.
 */
describe('approvals across the planes', () => {
  let system: TestSystem;
  let key: { id: string; secret: string };
  let policyId: string;
  const openai = () => new OpenAI({ apiKey: key.secret, baseURL: `${system.dp.url}/v1`, maxRetries: 0, timeout: 60_000 });
  const pending = async (): Promise<ApprovalView | undefined> => {
    const res = await system.owner.gql<{ approvals: { nodes: ApprovalView[] } }>(
      `query { approvals(filter: { status: [PENDING] }, first: 10) { nodes { id status decision phase nodeId outcome key { id } reason { kind policyId ruleId } summary } } }`,
    );
    return res.data?.approvals.nodes.find((a) => a.key.id === key.id);
  };
  const approval = async (id: string) =>
    (await system.owner.gql<{ approval: ApprovalView }>(`query($id: ID!) { approval(id: $id) { id status decision outcome } }`, { id })).data!.approval;

  /** Sends a shell-offering request until the node holds one (the policy may still be on its way); returns the call and its approval. */
  async function heldCall(): Promise<{ call: Promise<unknown>; approval: ApprovalView }> {
    return eventually(
      async () => {
        const call = openai()
          .chat.completions.create({ model: 'gpt-4o-mini', tools: [SHELL_TOOL], messages: [{ role: 'user', content: 'Free disk space for ops@example.com' }] })
          .then(
            (r) => r,
            (e: unknown) => e,
          );
        const found = await Promise.race([call.then(() => undefined), eventually(pending, 2_000, 'a pending approval').catch(() => undefined)]);
        return found ? { call, approval: found } : undefined;
      },
      20_000,
      'a held request',
    );
  }

  beforeAll(async () => {
    system = await startTestSystem(inject('pgAdminUrl'));
    await system.addMockCredential();
    key = await system.createKey();
    const created = await system.owner.gql<{ createPolicy: { id: string } }>(`mutation($input: CreatePolicyInput!) { createPolicy(input: $input) { id } }`, {
      input: { source: POLICY },
    });
    policyId = created.data!.createPolicy.id;
    const attached = await system.owner.gql(`mutation($id: ID!) { attachPolicy(id: $id, scope: { kind: ORG }) { id } }`, { id: policyId });
    expect(attached.errors).toBeUndefined();
  });

  afterAll(async () => {
    await system?.close();
  });

  it('forwards a held request once a person approves it through GraphQL, and records the outcome', async () => {
    const { call, approval: held } = await heldCall();
    expect(held).toMatchObject({
      phase: 'request',
      nodeId: 'system-node',
      reason: { kind: 'policy', policyId, ruleId: 'shell' },
      summary: { messages: [{ role: 'user', text: 'Free disk space for [EMAIL_1]' }] },
    });
    expect(system.mock.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(0);

    const approved = await system.owner.gql(`mutation($id: ID!) { approveRequest(id: $id, reason: "ok for today") { id status } }`, { id: held.id });
    expect(approved.errors).toBeUndefined();
    const answer = (await call) as OpenAI.Chat.ChatCompletion;
    expect(answer.choices[0].message.content).toBeTruthy();
    const forwarded = system.mock.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!;
    expect(JSON.stringify(forwarded.body)).toContain('[EMAIL_1]');
    expect(JSON.stringify(forwarded.body)).not.toContain('ops@example.com');
    const closed = await eventually(
      async () => {
        const a = await approval(held.id);
        return a.status === 'FORWARDED' ? a : undefined;
      },
      10_000,
      'the forwarded outcome',
    );
    expect(closed).toMatchObject({ decision: 'APPROVED', outcome: 'forwarded' });
  });

  it('refuses a held request a person rejects, with their reason', async () => {
    const { call, approval: held } = await heldCall();
    await system.owner.gql(`mutation($id: ID!) { rejectRequest(id: $id, reason: "Use the runbook instead.") { id } }`, { id: held.id });
    const err = (await call) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(403);
    expect(err.error).toMatchObject({ code: 'request_rejected', message: 'This request was rejected by an approver: Use the runbook instead.' });
    const closed = await eventually(
      async () => {
        const a = await approval(held.id);
        return a.status === 'REFUSED' ? a : undefined;
      },
      10_000,
      'the refused outcome',
    );
    expect(closed).toMatchObject({ decision: 'REJECTED', outcome: 'rejected' });
  });

  it('writes no secret to any log line of either plane', () => {
    expectNoSecretsIn(system.allLogs(), [key.secret, system.secrets.nodeToken, system.secrets.pepper, 'ops@example.com']);
  });
});

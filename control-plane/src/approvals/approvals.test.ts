import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import {
  APPROVAL_FIELDS,
  approvalQueue,
  decisionStream,
  heldRequest,
  postApproval,
  postOutcome,
  startReceiver,
  subscribe,
  type Receiver,
  type ReceivedRequest,
  type Subscription,
} from '../testing/approval-fixtures.js';
import {
  addMember,
  createLocalKmsFile,
  createNodeTokenFor,
  createOrgWithMember,
  findSecretsInLogs,
  type LocalKmsFile,
  type OrgMember,
} from '../testing/enforcement-fixtures.js';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane.js';
import { verifyWebhookSignature } from '../webhooks/signing.js';

let cp: TestControlPlane;
let kms: LocalKmsFile;
let receiver: Receiver;
const secrets: string[] = [];
const open: Subscription<unknown>[] = [];

/** An organization wired for approvals: an owner, an approver, a key, a node token, a webhook and Slack. */
interface ApprovalOrg {
  readonly owner: OrgMember;
  readonly approver: OrgMember;
  readonly keyId: string;
  readonly nodeToken: string;
  readonly webhookSecret: string;
  /** Receiver paths of this organization's webhook and Slack URL. */
  readonly hookPath: string;
  readonly slackPath: string;
}

async function approvalOrg(): Promise<ApprovalOrg> {
  const owner = await createOrgWithMember(cp, 'owner');
  const approver = await addMember(cp, owner.orgId, 'approver');
  const key = await owner.gql<{ createKey: { key: { id: string }; secret: string } }>(
    'mutation { createKey(input: { name: "ops agent", ownerLabel: "ops-bot" }) { key { id } secret } }',
  );
  const nodeToken = await createNodeTokenFor(owner);
  const hookPath = `/hooks/${randomUUID()}`;
  const slackPath = `/services/T0001/B0002/${randomUUID().replace(/-/g, '')}`;
  const hook = await owner.gql<{ createWebhook: { secret: string } }>(
    'mutation($url: String!) { createWebhook(input: { url: $url, events: ["approval.requested", "approval.decided"] }) { secret } }',
    { url: `${receiver.url}${hookPath}` },
  );
  expect(hook.errors).toBeUndefined();
  const slack = await owner.gql('mutation($u: String!) { createSlackIntegration(input: { secretUrl: $u }) { id } }', { u: `${receiver.url}${slackPath}` });
  expect(slack.errors).toBeUndefined();
  secrets.push(owner.token, approver.token, nodeToken, key.data!.createKey.secret, hook.data!.createWebhook.secret, slackPath);
  return { owner, approver, keyId: key.data!.createKey.key.id, nodeToken, webhookSecret: hook.data!.createWebhook.secret, hookPath, slackPath };
}

function track<T>(subscription: Subscription<T>): Subscription<T> {
  open.push(subscription as Subscription<unknown>);
  return subscription;
}

/** graphql-ws has no "subscribed" acknowledgement; give the server a moment to register the operation. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 250));

function slackFor(org: ApprovalOrg, approvalId: string): Promise<ReceivedRequest> {
  return receiver.waitFor(
    (r) => r.path === org.slackPath && JSON.stringify(r.json).includes(approvalId) && r.json.blocks?.some((b: any) => b.type === 'actions'),
  );
}

function linkOf(slack: ReceivedRequest, action: 'approve' | 'reject'): string {
  const actions = slack.json.blocks.find((b: any) => b.type === 'actions');
  const url = new URL(actions.elements.find((e: any) => e.action_id === action).url as string);
  expect(url.origin).toBe(new URL(cp.config.publicUrl).origin);
  secrets.push(url.searchParams.get('t')!);
  // Links name the public URL; the test reaches the same server at its real address.
  return `${cp.url}${url.pathname}${url.search}`;
}

async function approvalOf(member: OrgMember, id: string): Promise<any> {
  const res = await member.gql<{ approval: any }>(`query($id: ID!) { approval(id: $id) { ${APPROVAL_FIELDS} } }`, { id });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!.approval;
}

beforeAll(async () => {
  kms = await createLocalKmsFile();
  receiver = await startReceiver();
  cp = await startTestControlPlane(inject('pgAdminUrl'), kms.env);
});

afterAll(async () => {
  for (const subscription of open) await subscription.close();
  expect(findSecretsInLogs(cp?.logs ?? [], secrets.filter(Boolean))).toEqual([]);
  await cp?.close();
  await receiver?.close();
  await kms?.remove();
});

describe('a request held for approval', () => {
  it('notifies the webhook and Slack, waits for a person, and tells the node at once when approved by link', async () => {
    const org = await approvalOrg();
    const node = track(decisionStream(cp.url, org.nodeToken, 'node-a'));
    const queue = track(approvalQueue(cp.url, org.approver.token));
    await settle();

    const message = heldRequest(org.owner.orgId, org.keyId);
    const posted = await postApproval(cp.url, org.nodeToken, message);
    expect(posted).toEqual({ status: 201, body: { id: message.id, status: 'pending', expiresAt: new Date(message.expiresAt).toISOString() } });
    const retried = await postApproval(cp.url, org.nodeToken, message);
    expect(retried.status).toBe(200);

    const queued = await queue.next();
    expect(queued).toMatchObject({
      id: message.id,
      status: 'PENDING',
      key: { id: org.keyId, name: 'ops agent' },
      reason: { kind: 'policy', ruleId: 'big-spend' },
    });

    const hook = await receiver.waitFor((r) => r.path === org.hookPath && r.json?.data?.approval?.id === message.id);
    expect(hook.headers['x-keyward-event']).toBe('approval.requested');
    expect(hook.headers['x-keyward-delivery']).toBe(hook.json.id);
    expect(verifyWebhookSignature(org.webhookSecret, hook.body, String(hook.headers['x-keyward-signature']))).toBe(true);
    expect(verifyWebhookSignature(org.webhookSecret, hook.body.replace('orders', 'ORDERS'), String(hook.headers['x-keyward-signature']))).toBe(false);
    expect(hook.json).toMatchObject({ type: 'approval.requested', organizationId: org.owner.orgId, data: { approval: { summary: message.summary } } });
    expect(hook.json.data.links.approve).toMatch(new RegExp(`/approvals/${message.id}/approve\\?t=`));
    secrets.push(new URL(hook.json.data.links.approve).searchParams.get('t')!, new URL(hook.json.data.links.reject).searchParams.get('t')!);

    const slack = await slackFor(org, message.id);
    expect(slack.json.text).toBe('Approval needed: ops agent (' + queued.key.prefix + ') wants to call gpt-4o');
    expect(JSON.stringify(slack.json.blocks)).toContain('Drop the orders table');
    const approveUrl = linkOf(slack, 'approve');

    // Opening the link (as a chat unfurler would) shows a confirmation page and decides nothing.
    const page = await fetch(approveUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Approve request');
    expect(html).toContain('Drop the orders table');
    expect(html).not.toContain(new URL(approveUrl).searchParams.get('t')!);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect((await approvalOf(org.approver, message.id)).status).toBe('PENDING');
    await node.expectSilence(100);

    const started = performance.now();
    const confirm = await fetch(approveUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: cp.url },
      body: 'reason=Ticket+CHG-42',
    });
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain('Approved');
    const decision = await node.next();
    const latencyMs = performance.now() - started;
    console.log(`approval decision reached the node ${latencyMs.toFixed(1)} ms after the link was confirmed`);
    // Generous: the point is "pushed at once", not a poll (the sweeper sleeps up to 30 s when idle).
    expect(latencyMs).toBeLessThan(2000);
    expect(decision).toEqual({ approvalId: message.id, decision: 'approved', reason: 'Ticket CHG-42', decidedBy: 'link:slack' });

    const reused = await fetch(approveUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(reused.status).toBe(410);
    expect(await reused.text()).toContain('This link was already used');

    expect((await postOutcome(cp.url, org.nodeToken, message.id, 'forwarded')).body).toMatchObject({ status: 'forwarded', outcome: 'forwarded' });
    const decided = await receiver.waitFor(
      (r) => r.path === org.hookPath && r.headers['x-keyward-event'] === 'approval.decided' && r.json.data.approval.id === message.id,
    );
    expect(decided.json.data.approval).toMatchObject({ decision: 'approved', decidedBy: 'link:slack', decisionReason: 'Ticket CHG-42' });
    expect(decided.json.data.links).toBeUndefined();

    const final = await approvalOf(org.approver, message.id);
    expect(final).toMatchObject({
      status: 'FORWARDED',
      decision: 'APPROVED',
      decidedBy: 'link:slack',
      decidedByName: 'signed slack link',
      outcome: 'forwarded',
    });
    const history = final.events.map((e: any) => `${e.type}${e.channel ? ` ${e.channel.split(':')[0]}` : ''}`);
    expect(history.slice(0, 1)).toEqual(['requested']);
    expect(history).toEqual(expect.arrayContaining(['notified webhook', 'notified slack', 'approved', 'outcome']));
    expect(final.events.find((e: any) => e.type === 'approved')).toMatchObject({ actor: 'link:slack', detail: 'Ticket CHG-42' });

    const states = [queued.status];
    for (let i = 0; i < 2; i++) states.push((await queue.next()).status);
    expect(states).toEqual(['PENDING', 'APPROVED', 'FORWARDED']);
  });

  it('is rejected with a reason through the API, and the node receives the reason and who decided', async () => {
    const org = await approvalOrg();
    const node = track(decisionStream(cp.url, org.nodeToken, 'node-a'));
    const message = heldRequest(org.owner.orgId, org.keyId);
    expect((await postApproval(cp.url, org.nodeToken, message)).status).toBe(201);

    const developer = await addMember(cp, org.owner.orgId, 'developer');
    secrets.push(developer.token);
    const refused = await developer.gql('mutation($id: ID!) { approveRequest(id: $id) { id } }', { id: message.id });
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');

    const res = await org.approver.gql<{ rejectRequest: any }>(
      `mutation($id: ID!) { rejectRequest(id: $id, reason: "Not during the freeze") { ${APPROVAL_FIELDS} } }`,
      { id: message.id },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.rejectRequest).toMatchObject({
      status: 'REJECTED',
      decision: 'REJECTED',
      decisionReason: 'Not during the freeze',
      decidedByName: 'API token "approver token"',
    });
    expect(await node.next()).toEqual({
      approvalId: message.id,
      decision: 'rejected',
      reason: 'Not during the freeze',
      decidedBy: res.data!.rejectRequest.decidedBy,
    });
    expect(res.data!.rejectRequest.decidedBy).toMatch(/^token:/);

    const again = await org.owner.gql('mutation($id: ID!) { approveRequest(id: $id) { id } }', { id: message.id });
    expect(again.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' } });
    expect(again.errors?.[0].message).toMatch(/^This request was already rejected at /);

    const slack = await slackFor(org, message.id);
    const page = await fetch(linkOf(slack, 'approve'));
    expect(page.status).toBe(409);
    expect(await page.text()).toContain('This request was already rejected');

    const long = await org.approver.gql('mutation($id: ID!, $r: String!) { rejectRequest(id: $id, reason: $r) { id } }', {
      id: message.id,
      r: 'x'.repeat(501),
    });
    expect(long.errors?.[0]).toMatchObject({ message: 'reason must be at most 500 characters.', extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('expires at its deadline: the node hears at once and the links stop working', async () => {
    const org = await approvalOrg();
    const node = track(decisionStream(cp.url, org.nodeToken, 'node-b'));
    const expiresAt = new Date(Date.now() + 1500);
    const message = heldRequest(org.owner.orgId, org.keyId, { nodeId: 'node-b', expiresAt: expiresAt.toISOString(), onTimeout: 'allow' });
    expect((await postApproval(cp.url, org.nodeToken, message)).status).toBe(201);
    const approveUrl = linkOf(await slackFor(org, message.id), 'approve');

    const decision = await node.next(5000);
    const lateMs = Date.now() - expiresAt.getTime();
    console.log(`expiry reached the node ${lateMs} ms after expiresAt`);
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(lateMs).toBeLessThan(2000);
    expect(decision).toEqual({ approvalId: message.id, decision: 'expired', reason: null, decidedBy: null });

    const page = await fetch(approveUrl);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('This link has expired');
    const late = await org.approver.gql('mutation($id: ID!) { approveRequest(id: $id) { id } }', { id: message.id });
    expect(late.errors?.[0].message).toMatch(/^This request was already expired/);

    expect((await postOutcome(cp.url, org.nodeToken, message.id, 'timed_out_allowed')).body.status).toBe('forwarded');
    const notice = await receiver.waitFor((r) => r.path === org.slackPath && r.json.text?.includes('expired without a decision'));
    expect(notice.json.text).toBe(
      `Request from ops agent (${(await approvalOf(org.owner, message.id)).key.prefix}) expired without a decision; it was allowed`,
    );
  });

  it('refuses a link whose action or approval was changed', async () => {
    const org = await approvalOrg();
    const message = heldRequest(org.owner.orgId, org.keyId);
    await postApproval(cp.url, org.nodeToken, message);
    const approveUrl = linkOf(await slackFor(org, message.id), 'approve');
    const swapped = await fetch(approveUrl.replace('/approve?', '/reject?'), {
      method: 'POST',
      body: '',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(swapped.status).toBe(400);
    const other = heldRequest(org.owner.orgId, org.keyId);
    await postApproval(cp.url, org.nodeToken, other);
    const moved = await fetch(approveUrl.replace(message.id, other.id));
    expect(moved.status).toBe(400);
    const crossSite = await fetch(approveUrl, {
      method: 'POST',
      body: '',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    expect((await approvalOf(org.owner, message.id)).status).toBe('PENDING');
    expect((await approvalOf(org.owner, other.id)).status).toBe('PENDING');
  });
});

describe('the node protocol', () => {
  it('resends decisions the node has not acted on when it subscribes again, and stops once it reports', async () => {
    const org = await approvalOrg();
    const message = heldRequest(org.owner.orgId, org.keyId, { nodeId: 'node-c' });
    await postApproval(cp.url, org.nodeToken, message);
    await org.approver.gql('mutation($id: ID!) { approveRequest(id: $id) { id } }', { id: message.id });

    const first = track(decisionStream(cp.url, org.nodeToken, 'node-c'));
    expect(await first.next()).toMatchObject({ approvalId: message.id, decision: 'approved' });
    await first.close();
    const second = track(decisionStream(cp.url, org.nodeToken, 'node-c'));
    expect(await second.next()).toMatchObject({ approvalId: message.id, decision: 'approved' });
    await second.close();

    await postOutcome(cp.url, org.nodeToken, message.id, 'forwarded');
    const third = track(decisionStream(cp.url, org.nodeToken, 'node-c'));
    await third.expectSilence(400);
    const other = track(decisionStream(cp.url, org.nodeToken, 'node-d'));
    await other.expectSilence(100);
  });

  it('marks requests a restarted node lost, after which nobody can decide them', async () => {
    const org = await approvalOrg();
    const message = heldRequest(org.owner.orgId, org.keyId);
    await postApproval(cp.url, org.nodeToken, message);
    const lost = await postOutcome(cp.url, org.nodeToken, message.id, 'node_restarted');
    expect(lost).toMatchObject({ status: 200, body: { status: 'node_lost', outcome: 'node_restarted' } });
    expect((await postOutcome(cp.url, org.nodeToken, message.id, 'node_restarted')).status).toBe(200);
    const conflict = await postOutcome(cp.url, org.nodeToken, message.id, 'forwarded');
    expect(conflict).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
    const approve = await org.approver.gql('mutation($id: ID!) { approveRequest(id: $id) { id } }', { id: message.id });
    expect(approve.errors?.[0]).toMatchObject({ message: 'This request was no longer waiting (node lost).', extensions: { code: 'CONFLICT' } });
    expect((await approvalOf(org.owner, message.id)).status).toBe('NODE_LOST');
  });

  it('ends a node’s decision stream when its token is revoked', async () => {
    const org = await approvalOrg();
    const stream = track(decisionStream(cp.url, org.nodeToken, 'node-e'));
    await settle();
    const tokens = await org.owner.gql<{ nodeTokens: { id: string; scope: string }[] }>('{ nodeTokens { id scope } }');
    const mine = tokens.data!.nodeTokens.find((t) => t.scope === 'ORGANIZATION')!;
    await org.owner.gql('mutation($id: ID!) { revokeNodeToken(id: $id) { id } }', { id: mine.id });
    await stream.completed;
    expect((await postApproval(cp.url, org.nodeToken, heldRequest(org.owner.orgId, org.keyId))).status).toBe(401);
  });

  it('answers malformed and unauthorized messages with precise errors', async () => {
    const org = await approvalOrg();
    const good = heldRequest(org.owner.orgId, org.keyId);
    expect(await postApproval(cp.url, null, good)).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHENTICATED' } } });
    expect(await postApproval(cp.url, org.owner.token, good)).toMatchObject({ status: 401 });
    const bad = await postApproval(cp.url, org.nodeToken, {
      ...good,
      reason: { kind: 'policy', policyId: good.reason.kind === 'policy' ? good.reason.policyId : '', policyVersion: 1 },
    });
    expect(bad).toEqual({ status: 400, body: { error: { code: 'INVALID_APPROVAL_REQUEST', message: 'approval request "reason.ruleId" is missing' } } });
    expect((await postApproval(cp.url, org.nodeToken, '{"id":')).body.error.code).toBe('INVALID_APPROVAL_REQUEST');
    const unknownKey = await postApproval(cp.url, org.nodeToken, heldRequest(org.owner.orgId, randomUUID()));
    expect(unknownKey.status).toBe(400);
    expect(unknownKey.body.error.message).toBe(`approval request "keyId" is not a key of organization ${org.owner.orgId}.`);
    const badNode = await postApproval(cp.url, org.nodeToken, heldRequest(org.owner.orgId, org.keyId, { nodeId: 'no spaces allowed' }));
    expect(badNode.body.error.message).toMatch(/^approval request "nodeId" must be/);
    expect(await postOutcome(cp.url, org.nodeToken, 'nope', 'forwarded')).toMatchObject({ status: 400, body: { error: { code: 'INVALID_APPROVAL_OUTCOME' } } });
    const outcome = await postOutcome(cp.url, org.nodeToken, randomUUID(), { outcome: 'done' });
    expect(outcome.body.error.message).toMatch(/^approval outcome "outcome" must be one of /);
    const person = track(subscribe(cp.url, org.owner.token, 'subscription($n: String!) { approvalDecisions(nodeId: $n) }', 'approvalDecisions', { n: 'x' }));
    await expect(person.next(2000)).rejects.toThrow(/Only data-plane nodes may do this/);
  });
});

describe('organizations', () => {
  it('see and decide only their own approvals, and their nodes reach only their own', async () => {
    const a = await approvalOrg();
    const b = await approvalOrg();
    const queueB = track(approvalQueue(cp.url, b.approver.token));
    await settle();
    const message = heldRequest(a.owner.orgId, a.keyId);
    await postApproval(cp.url, a.nodeToken, message);

    for (const attempt of [
      b.approver.gql('query($id: ID!) { approval(id: $id) { id } }', { id: message.id }),
      b.approver.gql('mutation($id: ID!) { approveRequest(id: $id) { id } }', { id: message.id }),
      b.owner.gql('mutation($id: ID!) { rejectRequest(id: $id, reason: "mine now") { id } }', { id: message.id }),
    ]) {
      const res = await attempt;
      expect(res.errors?.[0]).toMatchObject({ message: `No approval with id ${message.id} in this organization.`, extensions: { code: 'NOT_FOUND' } });
    }
    const list = await b.approver.gql<{ approvals: { nodes: { id: string }[]; totalCount: number } }>(
      '{ approvals(filter: { status: [PENDING] }) { nodes { id } totalCount } }',
    );
    expect(list.data!.approvals).toEqual({ nodes: [], totalCount: 0 });
    await queueB.expectSilence(300);

    expect(await postOutcome(cp.url, b.nodeToken, message.id, 'forwarded')).toMatchObject({ status: 404 });
    expect(await postApproval(cp.url, b.nodeToken, heldRequest(a.owner.orgId, a.keyId))).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    const hijack = await postApproval(cp.url, b.nodeToken, { ...message, orgId: b.owner.orgId, keyId: b.keyId });
    expect(hijack).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
    const nodeB = track(decisionStream(cp.url, b.nodeToken, 'node-a'));
    await a.approver.gql('mutation($id: ID!) { approveRequest(id: $id) { id } }', { id: message.id });
    await nodeB.expectSilence(300);

    const mine = await a.approver.gql<{ approvals: { nodes: { id: string; status: string }[] } }>('{ approvals(first: 10) { nodes { id status } } }');
    expect(mine.data!.approvals.nodes).toEqual([{ id: message.id, status: 'APPROVED' }]);
  });
});

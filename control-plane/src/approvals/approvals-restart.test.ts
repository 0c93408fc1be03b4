import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { RunningControlPlane } from '../server.js';
import { decisionStream, heldRequest, postApproval, startReceiver, type Receiver } from '../testing/approval-fixtures.js';
import {
  createNodeTokenFor,
  createOrgWithMember,
  findSecretsInLogs,
  restartableControlPlane,
  type RestartableControlPlane,
} from '../testing/enforcement-fixtures.js';
import { gqlRequest } from '../testing/test-control-plane.js';

let plane: RestartableControlPlane;
let receiver: Receiver;
const secrets: string[] = [];

beforeAll(async () => {
  plane = await restartableControlPlane(inject('pgAdminUrl'));
  receiver = await startReceiver();
});

afterAll(async () => {
  expect(findSecretsInLogs(plane?.logs ?? [], secrets)).toEqual([]);
  await plane?.destroy();
  await receiver?.close();
});

describe('a control-plane restart', () => {
  it('keeps held requests waiting, expires them on time, and resumes undelivered notifications', async () => {
    const first: RunningControlPlane = await plane.start();
    const owner = await createOrgWithMember(first, 'owner');
    const key = await owner.gql<{ createKey: { key: { id: string }; secret: string } }>(
      'mutation { createKey(input: { name: "k", ownerLabel: "o" }) { key { id } secret } }',
    );
    const nodeToken = await createNodeTokenFor(owner);
    const path = `/restart/${randomUUID()}`;
    const hook = await owner.gql<{ createWebhook: { secret: string } }>(
      'mutation($u: String!) { createWebhook(input: { url: $u, events: ["approval.requested"] }) { secret } }',
      { u: `${receiver.url}${path}` },
    );
    secrets.push(owner.token, nodeToken, key.data!.createKey.secret, hook.data!.createWebhook.secret);
    receiver.respond = (req) => (req.path === path ? 503 : 200);

    const soon = heldRequest(owner.orgId, key.data!.createKey.key.id, { expiresAt: new Date(Date.now() + 7000).toISOString() });
    const later = heldRequest(owner.orgId, key.data!.createKey.key.id);
    expect((await postApproval(first.url, nodeToken, soon)).status).toBe(201);
    expect((await postApproval(first.url, nodeToken, later)).status).toBe(201);
    await receiver.waitFor((r) => r.path === path && r.json?.data?.approval?.id === later.id);
    await first.close();

    // The failed deliveries wait out their backoff; pretend it passed while the control plane was down.
    receiver.respond = () => 200;
    const delivered = receiver.requests.length;
    const pg = (await import('pg')).default;
    const db = new pg.Client({ connectionString: plane.databaseUrl });
    await db.connect();
    const pending = await db.query(`update webhook_deliveries set next_attempt_at = now() where status = 'pending' returning id`);
    await db.end();
    expect(pending.rowCount).toBe(2);

    const second = await plane.start();
    try {
      const node = decisionStream(second.url, nodeToken, 'node-a');
      const list = await gqlRequest<{ approvals: { nodes: { id: string; status: string }[] } }>(
        second.url,
        '{ approvals(filter: { status: [PENDING] }) { nodes { id status } } }',
        {},
        { token: owner.token },
      );
      expect(list.data!.approvals.nodes.map((n) => n.id).sort()).toEqual([soon.id, later.id].sort());

      const expired = await node.next(8000);
      const lateMs = Date.now() - Date.parse(soon.expiresAt);
      expect(expired).toEqual({ approvalId: soon.id, decision: 'expired', reason: null, decidedBy: null });
      expect(lateMs).toBeLessThan(2000);

      await gqlRequest(second.url, 'mutation($id: ID!) { approveRequest(id: $id) { id } }', { id: later.id }, { token: owner.token });
      expect(await node.next()).toMatchObject({ approvalId: later.id, decision: 'approved' });

      const resent = await receiver.waitFor((r) => r.path === path && receiver.requests.indexOf(r) >= delivered);
      expect(resent.headers['x-keyward-event']).toBe('approval.requested');
      await node.close();
    } finally {
      await second.close();
    }
  });
});

import { join } from 'node:path';
import { generateSecret, LocalFileKms } from '@keyward/shared';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startControlPlane, type RunningControlPlane } from './server.js';
import { runAlone } from './db/job-lock.js';
import { registerBootstrapNodeToken } from './nodes/bootstrap-node-token.js';
import { approvalQueue, decisionStream, heldRequest, postApproval, subscribe } from './testing/approval-fixtures.js';
import {
  connectNode,
  createNodeTokenFor,
  createOrgWithMember,
  findSecretsInLogs,
  postEvents,
  usageEvent,
  type OrgMember,
} from './testing/enforcement-fixtures.js';
import { prepareTestControlPlane, type TestControlPlaneGround } from './testing/test-control-plane.js';

let ground: TestControlPlaneGround;
let a: RunningControlPlane;
let b: RunningControlPlane;
let owner: OrgMember;
let keyId: string;
let nodeToken: string;
const globalToken = generateSecret('node_token');
const secrets: string[] = [];

/** A control plane on the shared database, with the shared secrets and KMS key. */
function replica(): Promise<RunningControlPlane> {
  return startControlPlane(
    { ...ground.config, port: 0, bootstrapNodeToken: globalToken },
    { databaseUrl: ground.databaseUrl, logDestination: ground.sink, terminal: () => undefined },
  );
}

beforeAll(async () => {
  ground = await prepareTestControlPlane(inject('pgAdminUrl'));
  await LocalFileKms.open(join(ground.stateDir, 'kek.json'), { create: true });
  [a, b] = await Promise.all([replica(), replica()]);
  owner = await createOrgWithMember(a, 'owner');
  const key = await owner.gql<{ createKey: { key: { id: string }; secret: string } }>(
    'mutation { createKey(input: { name: "k", ownerLabel: "o" }) { key { id } secret } }',
  );
  keyId = key.data!.createKey.key.id;
  nodeToken = await createNodeTokenFor(owner);
  secrets.push(globalToken, owner.token, nodeToken, key.data!.createKey.secret);
}, 60_000);

afterAll(async () => {
  expect(findSecretsInLogs(ground?.logs ?? [], secrets)).toEqual([]);
  await a?.close();
  await b?.close();
  await ground?.remove();
});

describe('control-plane replicas on one database', () => {
  it('start together with the same KEYWARD_NODE_TOKEN and both accept it', async () => {
    for (const replicaPlane of [a, b]) {
      const node = connectNode(replicaPlane, globalToken, 'global-node');
      expect((await node.next(10_000)).type).toBe('snapshot');
      await node.close();
    }
  });

  it('register the same KEYWARD_NODE_TOKEN from several replicas at once without a conflict', async () => {
    const token = generateSecret('node_token');
    secrets.push(token);
    const starting = [a, b, a, b].map((plane) =>
      registerBootstrapNodeToken({ ...plane.services, config: { ...plane.services.config, bootstrapNodeToken: token } }),
    );
    await expect(Promise.all(starting)).resolves.toHaveLength(4);
  });

  it('stream a config change made through one replica to nodes connected to the other', async () => {
    const node = connectNode(b, nodeToken, 'node-on-b');
    const first = await node.next(10_000);
    expect(first.type).toBe('snapshot');
    const created = await owner.gql<{ createKey: { key: { id: string } } }>(
      'mutation { createKey(input: { name: "second", ownerLabel: "o" }) { key { id } } }',
    );
    const delta = await node.next(5_000);
    expect(delta).toMatchObject({ type: 'delta', fromVersion: first.version });
    expect(JSON.stringify(delta)).toContain(created.data!.createKey.key.id);
    expect(b.services.configStore.version).toBe(a.services.configStore.version);
    await node.close();
  });

  it('show events stored through one replica in live feeds opened on the other', async () => {
    const feed = subscribe<{ id: string; model: string }>(b.url, owner.token, 'subscription { usageEvents { id model } }', 'usageEvents');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const events = [usageEvent(owner.orgId, keyId, { model: 'gpt-4o' }), usageEvent(owner.orgId, keyId, { model: 'gpt-4o-mini' })];
    expect((await postEvents(a, nodeToken, { type: 'events', nodeId: 'node-a', events })).status).toBe(200);
    const seen = [await feed.next(5_000), await feed.next(5_000)];
    expect(seen.map((e) => e.id).sort()).toEqual(events.map((e) => e.id.toLowerCase()).sort());
    await feed.expectSilence(500);
    await feed.close();
  });

  it('deliver a decision made on one replica to the node holding the request through the other, and show it in both queues', async () => {
    const decisions = decisionStream(b.url, nodeToken, 'node-a');
    const queueOnB = approvalQueue(b.url, owner.token);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const held = heldRequest(owner.orgId, keyId);
    expect((await postApproval(b.url, nodeToken, held)).status).toBe(201);
    expect((await queueOnB.next(5_000)).status).toBe('PENDING');
    const approved = await owner.gql('mutation($id: ID!) { approveRequest(id: $id) { id } }', { id: held.id });
    expect(approved.errors).toBeUndefined();
    expect(await decisions.next(5_000)).toMatchObject({ approvalId: held.id, decision: 'approved' });
    expect((await queueOnB.next(5_000)).status).toBe('APPROVED');
    await decisions.close();
    await queueOnB.close();
  });

  it('run a background round on one replica at a time, and hand it over as soon as the holder’s connection dies', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = runAlone(a.services.orm, 'test-job', async () => {
      await gate;
      return 'a';
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await runAlone(b.services.orm, 'test-job', async () => 'b')).toBeNull();
    expect(await runAlone(b.services.orm, 'another-job', async () => 'b')).toBe('b');
    release();
    expect(await first).toBe('a');
    expect(await runAlone(b.services.orm, 'test-job', async () => 'b')).toBe('b');

    // A holder that dies mid-round: its session ends, and the lock with it.
    let wake!: () => void;
    const asleep = new Promise<void>((resolve) => (wake = resolve));
    const stuck = runAlone(a.services.orm, 'test-job', () => asleep.then(() => 'a')).catch(() => 'connection lost');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await runAlone(b.services.orm, 'test-job', async () => 'b')).toBeNull();
    const db = new pg.Client({ connectionString: ground.databaseUrl });
    await db.connect();
    const killed = await db.query(
      `select pg_terminate_backend(pid) from pg_locks
        where locktype = 'advisory' and granted and objsubid = 1 and objid = (hashtext('keyward:job:test-job')::bigint & 4294967295)::oid`,
    );
    await db.end();
    expect(killed.rowCount).toBe(1);
    const diedAt = Date.now();
    let taken: string | null = null;
    while (taken === null && Date.now() - diedAt < 5_000) taken = await runAlone(b.services.orm, 'test-job', async () => 'b');
    expect(taken).toBe('b');
    wake();
    expect(await stuck).toBe('connection lost');
  });

  it('expire a request held through a replica that stopped, on time, from the one left, exactly once', async () => {
    const held = heldRequest(owner.orgId, keyId, { nodeId: 'node-c', expiresAt: new Date(Date.now() + 3_000).toISOString() });
    expect((await postApproval(a.url, nodeToken, held)).status).toBe(201);
    await a.close();
    const decisions = decisionStream(b.url, nodeToken, 'node-c');
    const decision = await decisions.next(8_000);
    expect(decision).toMatchObject({ approvalId: held.id, decision: 'expired' });
    await decisions.close();
    const db = new pg.Client({ connectionString: ground.databaseUrl });
    await db.connect();
    const { rows } = await db.query(`select count(*)::int as n from approval_events where approval_id = $1 and type = 'expired'`, [held.id]);
    await db.end();
    expect(rows[0].n).toBe(1);
    a = await replica();
  });
});

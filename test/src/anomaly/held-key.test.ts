import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postEvents, usageEvent } from '@keyward/control-plane/testing';
import { eventually, startTestSystem, type TestSystem } from '../support/system.js';

/**
 * The `hold` anomaly action across the planes: a node reports a request of a key whose response
 * is `hold` at or above its threshold, the control plane holds the key and pushes it, and the
 * node then holds each of the key's requests in the approval queue until a person decides; once
 * a person releases the key, its requests go straight through again.
 */
describe('a key held after an anomaly', () => {
  let system: TestSystem;
  let db: pg.Client;

  beforeAll(async () => {
    system = await startTestSystem(inject('pgAdminUrl'));
    await system.addMockCredential();
    db = new pg.Client({ connectionString: system.cp.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await system?.close();
  });

  it('holds each request for approval until a person releases the key', { timeout: 90_000 }, async () => {
    const key = await system.createKey();
    const set = await system.owner.gql(
      `mutation($id: ID!) { setAnomalyResponse(input: { scopeKind: KEY, scopeId: $id, action: HOLD, threshold: 75 }) { action } }`,
      {
        id: key.id,
      },
    );
    expect(set.errors).toBeUndefined();
    const openai = new OpenAI({ apiKey: key.secret, baseURL: `${system.dp.url}/v1`, maxRetries: 0, timeout: 60_000 });
    const ask = () => openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'summarize the logs' }] });
    await expect(ask()).resolves.toMatchObject({ object: 'chat.completion' });

    // Another node scored one of the key's requests 88 and held the key.
    const reported = usageEvent(system.owner.orgId, key.id, {
      anomalyScore: 88,
      anomalyReasons: [{ code: 'new_client', message: 'first call from a new client' }],
      anomalyAction: 'hold',
    });
    expect((await postEvents(system.cp, system.secrets.nodeToken, { type: 'events', nodeId: 'other-node', events: [reported] })).status).toBe(200);
    const held = await system.owner.gql<{ key: { heldAt: string | null; heldReason: string } }>('query($id: ID!) { key(id: $id) { heldAt heldReason } }', {
      id: key.id,
    });
    expect(held.data!.key).toMatchObject({ heldAt: reported.startedAt, heldReason: 'anomaly score 88: first call from a new client' });

    const pending = async () => {
      const res = await system.owner.gql<{ approvals: { nodes: { id: string; key: { id: string }; reason: { kind: string } }[] } }>(
        `query { approvals(filter: { status: [PENDING] }, first: 10) { nodes { id key { id } reason { kind } } } }`,
      );
      return res.data?.approvals.nodes.find((a) => a.key.id === key.id);
    };
    const call = ask();
    const approval = await eventually(pending, 20_000, 'the held request in the approval queue');
    expect(approval.reason).toEqual({ kind: 'anomaly' });
    const before = system.mock.requests.length;
    const approved = await system.owner.gql(`mutation($id: ID!) { approveRequest(id: $id) { id } }`, { id: approval.id });
    expect(approved.errors).toBeUndefined();
    await expect(call).resolves.toMatchObject({ object: 'chat.completion' });
    expect(system.mock.requests.length).toBe(before + 1);

    const released = await system.owner.gql<{ releaseKeyHold: { heldAt: string | null } }>('mutation($id: ID!) { releaseKeyHold(id: $id) { heldAt } }', {
      id: key.id,
    });
    expect(released.data).toEqual({ releaseKeyHold: { heldAt: null } });
    // Released: the key's requests go straight through once the node has the release.
    await eventually(
      async () => {
        const quick = await Promise.race([ask().then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1_500))]);
        return quick ? true : undefined;
      },
      20_000,
      'a request answered without a hold',
    );
    const trail = await db.query(
      `select action, actor from audit_entries where target_id = $1 and action in ('holdKey', 'releaseKeyHold') order by created_at`,
      [key.id],
    );
    expect(trail.rows).toEqual([
      { action: 'holdKey', actor: 'anomaly scoring' },
      { action: 'releaseKeyHold', actor: expect.stringMatching(/^token:/) },
    ]);
    // Requests left waiting while the release travelled are closed so the test ends cleanly.
    for (let left = await pending(); left; left = await pending())
      await system.owner.gql(`mutation($id: ID!) { rejectRequest(id: $id) { id } }`, { id: left.id });
  });
});

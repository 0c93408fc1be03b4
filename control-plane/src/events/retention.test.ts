import { type UsageEvent } from '@keyward/shared';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import {
  createNodeTokenFor,
  createOrgWithMember,
  postEvents,
  restartableControlPlane,
  usageEvent,
  type OrgMember,
  type RestartableControlPlane,
} from '../testing/enforcement-fixtures.js';
import type { RunningControlPlane } from '../server.js';
import { gqlRequest } from '../testing/test-control-plane.js';
import { sweepExpiredEvents } from './retention.js';

const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString();

let plane: RestartableControlPlane;
let running: RunningControlPlane;
let db: pg.Client;

beforeAll(async () => {
  plane = await restartableControlPlane(inject('pgAdminUrl'));
  running = await plane.start();
  db = new pg.Client({ connectionString: plane.databaseUrl });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
  await plane?.destroy();
});

async function keyOf(member: OrgMember): Promise<string> {
  const res = await member.gql<{ createKey: { key: { id: string } } }>('mutation { createKey(input: { name: "agent", ownerLabel: "agent" }) { key { id } } }');
  return res.data!.createKey.key.id;
}

async function store(member: OrgMember, nodeToken: string, events: UsageEvent[]): Promise<void> {
  const res = await postEvents(running, nodeToken, { type: 'events', nodeId: 'node-a', events });
  expect(res.body).toEqual({ accepted: events.length, duplicates: 0 });
}

async function addAuditEntry(orgId: string | null, createdAt: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `insert into audit_entries (id, created_at, organization_id, actor, action, outcome, args, ip_hash, user_agent, request_id)
     values (gen_random_uuid(), $1, $2, 'user:test', 'updateOrganizationSettings', 'success', '{}', 'h', 'test', 'r') returning id`,
    [createdAt, orgId],
  );
  return rows[0].id;
}

async function remaining(table: 'usage_events' | 'audit_entries', ids: string[]): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(`select id from ${table} where id = any($1::uuid[]) order by id`, [ids]);
  return rows.map((r) => r.id);
}

describe('event retention', () => {
  it("deletes request events and admin-log entries older than each organization's retention, keeping spend", async () => {
    const short = await createOrgWithMember(running, 'owner', { retentionDays: 7 });
    const usual = await createOrgWithMember(running, 'owner');
    const nodeToken = await createNodeTokenFor(short);
    const usualNode = await createNodeTokenFor(usual);
    const shortKey = await keyOf(short);
    const usualKey = await keyOf(usual);
    const shortOld = usageEvent(short.orgId, shortKey, { startedAt: daysAgo(8), costMicros: 1_000 });
    const shortNew = usageEvent(short.orgId, shortKey, { startedAt: daysAgo(6), costMicros: 2_000 });
    const usualOld = usageEvent(usual.orgId, usualKey, { startedAt: daysAgo(31) });
    const usualNew = usageEvent(usual.orgId, usualKey, { startedAt: daysAgo(8) });
    await store(short, nodeToken, [shortOld, shortNew]);
    await store(usual, usualNode, [usualOld, usualNew]);
    const audit = {
      shortOld: await addAuditEntry(short.orgId, daysAgo(8)),
      shortNew: await addAuditEntry(short.orgId, daysAgo(6)),
      usualOld: await addAuditEntry(usual.orgId, daysAgo(31)),
      usualNew: await addAuditEntry(usual.orgId, daysAgo(8)),
      orglessOld: await addAuditEntry(null, daysAgo(366)),
      orglessNew: await addAuditEntry(null, daysAgo(300)),
    };
    const rollups = `query($from: String!, $to: String!) { usageRollups(groupBy: ORG, from: $from, to: $to) { requests costMicros } }`;
    const range = { from: daysAgo(10).slice(0, 10), to: daysAgo(0).slice(0, 10) };
    const spendBefore = (await short.gql(rollups, range)).data;

    // The sweep runs at start-up (then hourly).
    await running.close();
    running = await plane.start();
    const eventIds = [shortOld, shortNew, usualOld, usualNew].map((e) => e.id);
    const deadline = Date.now() + 10_000;
    // Events go first, then admin-log entries: wait for both.
    const swept = async () => (await remaining('usage_events', eventIds)).length === 2 && (await remaining('audit_entries', Object.values(audit))).length === 3;
    while (!(await swept()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));

    expect(await remaining('usage_events', eventIds)).toEqual([shortNew.id, usualNew.id].sort());
    expect(await remaining('audit_entries', Object.values(audit))).toEqual([audit.shortNew, audit.usualNew, audit.orglessNew].sort());
    // The restarted control plane listens on a new port.
    expect((await gqlRequest(running.url, rollups, range, { token: short.token })).data).toEqual(spendBefore);
    expect(spendBefore).toEqual({ usageRollups: [{ requests: 2, costMicros: 3_000 }] });
  });

  it('keeps every event and admin-log entry of an organization that keeps them forever, and clears captured content after its own period', async () => {
    const forever = await createOrgWithMember(running, 'owner', { retentionDays: null, contentRetentionDays: 60, contentCapture: true });
    const nodeToken = await createNodeTokenFor(forever);
    const keyId = await keyOf(forever);
    const content = { request: 'hello', response: 'world' };
    const ancient = usageEvent(forever.orgId, keyId, { startedAt: daysAgo(400), content });
    const older = usageEvent(forever.orgId, keyId, { startedAt: daysAgo(61), content });
    const newer = usageEvent(forever.orgId, keyId, { startedAt: daysAgo(59), content });
    await store(forever, nodeToken, [ancient, older, newer]);
    const entry = await addAuditEntry(forever.orgId, daysAgo(400));

    const swept = await sweepExpiredEvents(running.services);
    expect(swept.contentPurged).toBeGreaterThanOrEqual(2);
    const { rows } = await db.query<{ id: string; content: unknown; purged: boolean }>(
      `select id, content, content_purged_at is not null as purged from usage_events where id = any($1::uuid[])`,
      [[ancient.id, older.id, newer.id]],
    );
    expect(Object.fromEntries(rows.map((r) => [r.id, [r.content, r.purged]]))).toEqual({
      [ancient.id]: [null, true],
      [older.id]: [null, true],
      [newer.id]: [content, false],
    });
    // Full-text search is bounded by it: cleared content is no longer found.
    const found = await forever.gql<{ usageEvents: { nodes: { id: string }[] } }>('{ usageEvents(filter: { search: "hello world" }) { nodes { id } } }');
    expect(found.data!.usageEvents.nodes.map((n) => n.id)).toEqual([newer.id]);
    // The event in GraphQL says when its content went.
    const events = await forever.gql<{ usageEvents: { nodes: { id: string; content: unknown; contentPurgedAt: string | null }[] } }>(
      '{ usageEvents { nodes { id content { request } contentPurgedAt } } }',
    );
    const shown = Object.fromEntries(events.data!.usageEvents.nodes.map((e) => [e.id, e]));
    expect(shown[older.id]).toEqual({ id: older.id, content: null, contentPurgedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(shown[newer.id]).toEqual({ id: newer.id, content: { request: 'hello' }, contentPurgedAt: null });
    expect(await remaining('audit_entries', [entry])).toEqual([entry]);
    // The admin log stays append-only for it: not even an old row can be deleted by hand.
    await expect(db.query('delete from audit_entries where id = $1', [entry])).rejects.toThrow(/append-only/);
    const verified = await forever.gql<{ verifyAuditTrail: { chains: unknown[]; problems: unknown[] } }>(
      '{ verifyAuditTrail { chains { chain rowsChecked contentPurged } problems { chain problem rowId } } }',
    );
    // The usage chain verifies with the cleared content; the only problem is the entry this test wrote around the chain.
    expect(verified.data!.verifyAuditTrail.chains[0]).toEqual({ chain: 'USAGE', rowsChecked: 3, contentPurged: 2 });
    expect(verified.data!.verifyAuditTrail.problems).toEqual([{ chain: 'AUDIT', problem: 'INSERTED', rowId: entry }]);
  });
});

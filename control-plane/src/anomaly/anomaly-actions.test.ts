import { generateSecret, type KeyConfig } from '@keyward/shared';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startReceiver, type Receiver } from '../testing/approval-fixtures.js';
import { createLocalKmsFile, createOrgWithMember, postEvents, usageEvent, type LocalKmsFile, type OrgMember } from '../testing/enforcement-fixtures.js';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane.js';

let cp: TestControlPlane;
let kms: LocalKmsFile;
let receiver: Receiver;
let db: pg.Client;
const nodeToken = generateSecret('node_token');

beforeAll(async () => {
  kms = await createLocalKmsFile();
  cp = await startTestControlPlane(inject('pgAdminUrl'), { ...kms.env, KEYWARD_NODE_TOKEN: nodeToken });
  receiver = await startReceiver();
  db = new pg.Client({ connectionString: cp.databaseUrl });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
  await receiver?.close();
  await cp?.close();
  await kms?.remove();
});

const REASONS = [{ code: 'request_rate', message: "requests 40× the key's usual rate (80/min)" }] as const;

async function keyOf(member: OrgMember, teamId: string | null = null): Promise<string> {
  const res = await member.gql<{ createKey: { key: { id: string } } }>('mutation($input: CreateKeyInput!) { createKey(input: $input) { key { id } } }', {
    input: { name: 'agent', ownerLabel: 'agent', teamId },
  });
  return res.data!.createKey.key.id;
}

/** The key's entry in the organization's current published config. */
async function publishedKey(orgId: string, keyId: string): Promise<KeyConfig> {
  const { rows } = await db.query('select collections from config_versions where org_id = $1 order by version desc limit 1', [orgId]);
  return Object.values((rows[0].collections as { keys: Record<string, KeyConfig> }).keys).find((k) => k.id === keyId)!;
}

const anomalous = (orgId: string, keyId: string, action: string, startedAt = new Date()) =>
  usageEvent(orgId, keyId, { anomalyScore: 91, anomalyReasons: [...REASONS], anomalyAction: action as never, startedAt: startedAt.toISOString() });

describe('anomaly responses', () => {
  it('are chosen per organization, team and key, the nearest choice pushed with each key', async () => {
    const org = await createOrgWithMember(cp, 'owner');
    const team = await org.gql<{ createTeam: { id: string } }>('mutation { createTeam(input: { name: "agents" }) { id } }');
    const teamId = team.data!.createTeam.id;
    const plain = await keyOf(org);
    const inTeam = await keyOf(org, teamId);
    const own = await keyOf(org, teamId);
    const set = (input: string) => org.gql<{ setAnomalyResponse: unknown }>(`mutation { setAnomalyResponse(input: { ${input} }) { action threshold } }`);

    expect((await publishedKey(org.orgId, plain)).anomalyResponse).toBeUndefined();
    expect((await set('scopeKind: ORGANIZATION, action: NOTIFY, threshold: 70')).data).toEqual({ setAnomalyResponse: { action: 'NOTIFY', threshold: 70 } });
    await set(`scopeKind: TEAM, scopeId: "${teamId}", action: FREEZE, threshold: 90`);
    await set(`scopeKind: KEY, scopeId: "${own}", action: HOLD, threshold: 60`);
    expect((await publishedKey(org.orgId, plain)).anomalyResponse).toEqual({ action: 'notify', threshold: 70 });
    expect((await publishedKey(org.orgId, inTeam)).anomalyResponse).toEqual({ action: 'freeze', threshold: 90 });
    expect((await publishedKey(org.orgId, own)).anomalyResponse).toEqual({ action: 'hold', threshold: 60 });

    // A null action gives the choice back to the next scope.
    expect((await set(`scopeKind: KEY, scopeId: "${own}", action: null`)).data).toEqual({ setAnomalyResponse: null });
    expect((await publishedKey(org.orgId, own)).anomalyResponse).toEqual({ action: 'freeze', threshold: 90 });

    const bad = await set('scopeKind: ORGANIZATION, action: FREEZE, threshold: 0');
    expect(bad.errors?.[0]).toMatchObject({ message: 'threshold must be a whole score from 1 to 100.', extensions: { code: 'BAD_USER_INPUT' } });
    const noScope = await set('scopeKind: TEAM, action: FREEZE');
    expect(noScope.errors?.[0]?.message).toBe('scopeId must name the team whose anomaly response this is.');
  });

  it('notify the organization’s webhooks with the reasons, once per key in fifteen minutes', async () => {
    const org = await createOrgWithMember(cp, 'owner');
    const keyId = await keyOf(org);
    await org.gql('mutation($u: String!) { createWebhook(input: { url: $u, events: ["anomaly.detected"] }) { secret } }', {
      u: `${receiver.url}/anomalies/${org.orgId}`,
    });
    const first = anomalous(org.orgId, keyId, 'notify');
    expect((await postEvents(cp, nodeToken, { type: 'events', nodeId: 'node-a', events: [first, anomalous(org.orgId, keyId, 'notify')] })).status).toBe(200);
    const delivery = await receiver.waitFor((r) => r.path === `/anomalies/${org.orgId}`);
    expect(delivery.headers['x-keyward-event']).toBe('anomaly.detected');
    expect(delivery.json).toMatchObject({
      type: 'anomaly.detected',
      data: { key: { id: keyId }, action: 'notify', score: 91, reasons: REASONS, eventId: first.id, requestId: first.requestId, nodeId: 'node-a' },
    });
    await postEvents(cp, nodeToken, { type: 'events', nodeId: 'node-a', events: [anomalous(org.orgId, keyId, 'notify')] });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(receiver.requests.filter((r) => r.path === `/anomalies/${org.orgId}`)).toHaveLength(1);
    // Recorded only: stored on the event, nothing else happens.
    const recorded = anomalous(org.orgId, await keyOf(org), 'record');
    await postEvents(cp, nodeToken, { type: 'events', nodeId: 'node-a', events: [recorded] });
    const { rows } = await db.query('select anomaly_action from usage_events where id = $1', [recorded.id]);
    expect(rows).toEqual([{ anomaly_action: 'record' }]);
  });

  it('freeze a key once, in the audit trail, but not again for a request made before a person unfroze it', async () => {
    const org = await createOrgWithMember(cp, 'owner');
    const keyId = await keyOf(org);
    const scoredAt = new Date(Date.now() - 5_000);
    await postEvents(cp, nodeToken, {
      type: 'events',
      nodeId: 'node-a',
      events: [anomalous(org.orgId, keyId, 'freeze', scoredAt), anomalous(org.orgId, keyId, 'freeze')],
    });
    const frozen = await publishedKey(org.orgId, keyId);
    expect(frozen.frozen).toEqual({ at: scoredAt.toISOString(), reason: `anomaly score 91: ${REASONS[0].message}` });
    const trail = await db.query(`select actor, action, outcome from audit_entries where target_id = $1 order by created_at`, [keyId]);
    expect(trail.rows.filter((r) => r.action === 'freezeKey')).toEqual([{ actor: 'anomaly scoring', action: 'freezeKey', outcome: 'success' }]);

    const unfrozen = await org.gql<{ unfreezeKey: { frozenAt: string | null } }>('mutation($id: ID!) { unfreezeKey(id: $id) { frozenAt } }', { id: keyId });
    expect(unfrozen.data).toEqual({ unfreezeKey: { frozenAt: null } });
    const released = await publishedKey(org.orgId, keyId);
    expect(released.frozen).toBeUndefined();
    expect(Date.parse(released.releasedAt!)).toBeGreaterThan(scoredAt.getTime());
    // A node's spool sends an older freeze late: the person's review stands.
    await postEvents(cp, nodeToken, { type: 'events', nodeId: 'node-b', events: [anomalous(org.orgId, keyId, 'freeze', scoredAt)] });
    expect((await publishedKey(org.orgId, keyId)).frozen).toBeUndefined();
    const actions = await db.query(
      `select action, actor from audit_entries where target_id = $1 and action in ('freezeKey', 'unfreezeKey') order by created_at`,
      [keyId],
    );
    expect(actions.rows.map((r) => r.action)).toEqual(['freezeKey', 'unfreezeKey']);
    expect(actions.rows[1].actor).toMatch(/^token:/);
  });
});

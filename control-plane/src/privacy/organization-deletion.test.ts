import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateSecret } from '@keyward/shared';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSinkObjectName } from '../audit-sinks/transports/s3.js';
import { freePort } from '../db/embedded-postgres.js';
import { bucketBase, listObjects, putObject, type S3Bucket } from '../s3/s3-bucket.js';
import { postEvents, usageEvent } from '../testing/enforcement-fixtures.js';
import { addMember, createOrgWithOwner, expectError, expectNoSecretsInLogs, expectOk, startPlane, type TestOrg } from '../testing/fixtures.js';
import type { TestControlPlane } from '../testing/test-control-plane.js';
import { deleteDueOrganizations } from './organization-deletion-job.js';

const DELETE = 'mutation { deleteOrganization { id deletionRequestedAt deletionDueAt } }';
const CANCEL = 'mutation { cancelOrganizationDeletion { id deletionRequestedAt deletionDueAt } }';
const DAY = 86_400_000;

interface DeletionAnswer {
  id: string;
  deletionRequestedAt: string | null;
  deletionDueAt: string | null;
}

const nodeToken = generateSecret('node_token');
const secrets: string[] = [nodeToken];
let cp: TestControlPlane;
let s3: S3rver;
let s3Dir: string;
let s3Endpoint: string;

beforeAll(async () => {
  s3Dir = await mkdtemp(join(tmpdir(), 'keyward-org-deletion-s3-'));
  const port = await freePort();
  s3 = new S3rver({ port, address: '127.0.0.1', silent: true, directory: s3Dir, configureBuckets: [{ name: 'audit-exports', configs: [] }] });
  await s3.run();
  s3Endpoint = `http://127.0.0.1:${port}`;
  cp = await startPlane({ KEYWARD_NODE_TOKEN: nodeToken, KEYWARD_AUDIT_SINK_POLL_MS: '100' });
});

afterAll(async () => {
  await s3?.close();
  if (s3Dir) await rm(s3Dir, { recursive: true, force: true });
  if (!cp) return;
  expectNoSecretsInLogs(cp, secrets);
  await cp.close();
});

async function rows<T = Record<string, unknown>>(sql: string, bindings: unknown[] = []): Promise<T[]> {
  return cp.services.orm.em.fork().execute(sql, bindings);
}

/** An organization with a key, a usage event, an API token, a team and a policy, all made through the API. */
async function populatedOrg(): Promise<TestOrg & { keyId: string }> {
  const org = await createOrgWithOwner(cp);
  secrets.push(org.owner.password, org.owner.session);
  const key = await cp.gql<{ createKey: { key: { id: string }; secret: string } }>(
    'mutation { createKey(input: { name: "doomed", ownerLabel: "agent" }) { key { id } secret } }',
    {},
    { session: org.owner.session },
  );
  expectOk(key);
  secrets.push(key.data!.createKey.secret);
  const keyId = key.data!.createKey.key.id;
  const posted = await postEvents(cp, nodeToken, { type: 'events', nodeId: 'node-deletion', events: [usageEvent(org.orgId, keyId)] });
  expect(posted.body).toEqual({ accepted: 1, duplicates: 0 });
  expectOk(await cp.gql('mutation { createTeam(input: { name: "Doomed team" }) { id } }', {}, { session: org.owner.session }));
  expectOk(
    await cp.gql(
      'mutation($s: String!) { createPolicy(input: { source: $s }) { id } }',
      { s: 'name: doomed\nrules:\n  - id: no-shell\n    when: { toolOffered: shell* }\n    action: block\n' },
      { session: org.owner.session },
    ),
  );
  return { ...org, keyId };
}

/** The ids of the keys in the organization's latest published config: what nodes enforce. */
async function publishedKeyIds(orgId: string): Promise<string[]> {
  const [latest] = await rows<{ keys: Record<string, { id: string }> }>(
    `select collections -> 'keys' as keys from config_versions where org_id = ? order by version desc limit 1`,
    [orgId],
  );
  return Object.values(latest?.keys ?? {}).map((k) => k.id);
}

/** Rows of `orgId` in every table that has an organization column, by table. */
async function rowsOf(orgId: string): Promise<Record<string, number>> {
  const tables = await rows<{ table_name: string; column_name: string }>(
    `select c.table_name, c.column_name from information_schema.columns c join information_schema.tables t using (table_schema, table_name)
      where c.table_schema = current_schema() and t.table_type = 'BASE TABLE' and c.column_name in ('organization_id', 'org_id')`,
  );
  const counts: Record<string, number> = {};
  for (const t of tables) {
    const [{ n }] = await rows<{ n: number }>(`select count(*)::int as n from "${t.table_name}" where "${t.column_name}" = ?`, [orgId]);
    if (n > 0) counts[t.table_name] = n;
  }
  return counts;
}

describe('organization deletion', () => {
  it('stops the keys at once, sets the date 14 days out, and an owner can cancel during the grace period', async () => {
    const org = await populatedOrg();
    expect(await publishedKeyIds(org.orgId)).toEqual([org.keyId]);

    const res = await cp.gql<{ deleteOrganization: DeletionAnswer }>(DELETE, {}, { session: org.owner.session });
    expectOk(res);
    const asked = res.data!.deleteOrganization;
    expect(new Date(asked.deletionDueAt!).getTime() - new Date(asked.deletionRequestedAt!).getTime()).toBe(14 * DAY);
    expect(await publishedKeyIds(org.orgId)).toEqual([]);
    expectError(await cp.gql(DELETE, {}, { session: org.owner.session }), 'CONFLICT', /already being deleted/);

    const cancelled = await cp.gql<{ cancelOrganizationDeletion: DeletionAnswer }>(CANCEL, {}, { session: org.owner.session });
    expectOk(cancelled);
    expect(cancelled.data!.cancelOrganizationDeletion).toMatchObject({ deletionRequestedAt: null, deletionDueAt: null });
    expect(await publishedKeyIds(org.orgId)).toEqual([org.keyId]);
    expect((await deleteDueOrganizations(cp.services)).deleted).not.toContain(org.orgId);
    expect(await rows('select 1 from organizations where id = ?', [org.orgId])).toHaveLength(1);
  });

  it('is for owners with a recent sign-in only', async () => {
    const org = await populatedOrg();
    const admin = await addMember(cp, org.orgId, 'admin');
    secrets.push(admin.password, admin.session);
    expectError(await cp.gql(DELETE, {}, { session: admin.session }), 'FORBIDDEN');
    await rows(`update sessions set authenticated_at = now() - interval '11 minutes' where user_id = ?`, [org.owner.userId]);
    expectError(await cp.gql(DELETE, {}, { session: org.owner.session }), 'FORBIDDEN', /delete the organization, confirm it is you/);
    expect(await rows('select 1 from organizations where id = ? and deletion_due_at is null', [org.orgId])).toHaveLength(1);
    const audit = await rows<{ outcome: string }>(`select outcome from audit_entries where action = 'deleteOrganization' and organization_id = ?`, [org.orgId]);
    expect(audit.map((a) => a.outcome)).toEqual(['failure', 'failure']);
  });

  it('after the grace period deletes every row of the organization, resuming a round cut short, and leaves an audit record without personal data', async () => {
    const org = await populatedOrg();
    const bystander = await populatedOrg();
    const bystanderBefore = await rowsOf(bystander.orgId);
    expectOk(await cp.gql(DELETE, {}, { session: org.owner.session }));
    expect(Object.keys(await rowsOf(org.orgId))).toEqual(expect.arrayContaining(['keys', 'usage_events', 'audit_entries', 'memberships', 'teams', 'policies']));
    expectError(await cp.gql(DELETE, {}, { session: org.owner.session }), 'CONFLICT');

    // Not yet due: nothing happens.
    expect((await deleteDueOrganizations(cp.services)).deleted).toEqual([]);
    await rows(`update organizations set deletion_due_at = now() - interval '1 second' where id = ?`, [org.orgId]);
    expectError(await cp.gql(CANCEL, {}, { session: org.owner.session }), 'CONFLICT', /grace period is over/);

    // A round that stops after three statements (as if its control plane died) leaves the organization due…
    const cut = await deleteDueOrganizations(cp.services, 3);
    expect(cut).toEqual({ deleted: [], unfinished: true });
    expect(await rows('select 1 from organizations where id = ?', [org.orgId])).toHaveLength(1);
    // …and the next round finishes it.
    expect(await deleteDueOrganizations(cp.services)).toEqual({ deleted: [org.orgId], unfinished: false });

    expect(await rows('select 1 from organizations where id = ?', [org.orgId])).toEqual([]);
    // What remains under its id is one empty config version, so nodes dropped everything they held of it.
    expect(await rowsOf(org.orgId)).toEqual({ config_versions: 1 });
    const [config] = await rows<{ collections: Record<string, object> }>('select collections from config_versions where org_id = ?', [org.orgId]);
    expect(Object.values(config!.collections).every((c) => Object.keys(c).length === 0)).toBe(true);
    // The background signer may sign the bystander's chain meanwhile: checkpoints can only grow.
    const { audit_checkpoints: checkpointsAfter = 0, ...bystanderAfter } = await rowsOf(bystander.orgId);
    const { audit_checkpoints: checkpointsBefore = 0, ...bystanderRest } = bystanderBefore;
    expect(bystanderAfter).toEqual(bystanderRest);
    expect(checkpointsAfter).toBeGreaterThanOrEqual(checkpointsBefore);

    const [record] = await rows<{ organization_id: string | null; actor: string; target_id: string; args: Record<string, unknown> }>(
      `select organization_id, actor, target_id, args from audit_entries where action = 'organizationDeleted' and target_id = ?`,
      [org.orgId],
    );
    expect(record).toMatchObject({ organization_id: null, actor: 'system', target_id: org.orgId });
    expect(Object.keys(record!.args).sort()).toEqual(['dueAt', 'requestedAt', 'rowsDeleted', 'sinkObjectsLeft']);
    expect(record!.args.sinkObjectsLeft).toEqual([]);
    const text = JSON.stringify(record);
    for (const personal of [org.name, org.owner.email, org.owner.name, org.slug]) expect(text).not.toContain(personal);
  });

  it("deletes the objects Keyward wrote in the organization's S3 sinks, and waits a day for a bucket it cannot reach", async () => {
    const org = await populatedOrg();
    const bystander = await populatedOrg();
    const s3Sink = async (session: string, name: string, endpoint: string) => {
      const secretAccessKey = 'S3RVER';
      const input = { name, kind: 'S3', endpoint, bucket: 'audit-exports', accessKeyId: 'S3RVER', secretAccessKey, backfill: true };
      expectOk(await cp.gql('mutation($input: CreateAuditSinkInput!) { createAuditSink(input: $input) { sink { id } } }', { input }, { session }));
    };
    await s3Sink(org.owner.session, 'Bucket', s3Endpoint);
    await s3Sink(bystander.owner.session, 'Bucket', s3Endpoint);
    const folder = (orgId: string): S3Bucket => ({
      base: bucketBase(s3Endpoint, 'audit-exports', 'us-east-1'),
      prefix: `keyward/${orgId}/`,
      region: 'us-east-1',
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
    });
    // The sink worker exports both chains of each organization as hourly objects.
    const exported = async (orgId: string) => {
      for (let i = 0; i < 100; i++) {
        const names = await listObjects(folder(orgId));
        if (names.some((n) => n.startsWith('usage/')) && names.some((n) => n.startsWith('audit/'))) return names;
        await sleep(100);
      }
      throw new Error(`no objects were exported for ${orgId}`);
    };
    expect((await exported(org.orgId)).every(isSinkObjectName)).toBe(true);
    const bystanderObjects = await exported(bystander.orgId);
    // Something of the customer's own beside Keyward's objects stays.
    const note = Buffer.from('kept by the customer');
    await putObject(folder(org.orgId), 'notes/readme.txt', note, { sha256: createHash('sha256').update(note).digest('hex'), length: note.length });
    // A second sink whose bucket cannot be reached (nothing listens on the port).
    const closed = `http://127.0.0.1:${await freePort()}`;
    await s3Sink(org.owner.session, 'Gone bucket', closed);

    expectOk(await cp.gql(DELETE, {}, { session: org.owner.session }));
    await rows(`update organizations set deletion_due_at = now() - interval '1 second' where id = ?`, [org.orgId]);
    // The reachable bucket is emptied of Keyward's objects, but the organization waits for the other one.
    expect(await deleteDueOrganizations(cp.services)).toEqual({ deleted: [], unfinished: false });
    expect(await listObjects(folder(org.orgId))).toEqual(['notes/readme.txt']);
    expect(await rows('select 1 from organizations where id = ?', [org.orgId])).toHaveLength(1);
    expect(await rows('select paused from audit_sinks where organization_id = ?', [org.orgId])).toEqual([{ paused: true }, { paused: true }]);

    // A day after the due date it goes ahead, and the audit entry names the bucket that may still hold objects.
    await rows(`update organizations set deletion_due_at = now() - interval '25 hours' where id = ?`, [org.orgId]);
    expect(await deleteDueOrganizations(cp.services)).toEqual({ deleted: [org.orgId], unfinished: false });
    const [record] = await rows<{ args: { sinkObjectsLeft: unknown[] } }>(
      `select args from audit_entries where action = 'organizationDeleted' and target_id = ?`,
      [org.orgId],
    );
    expect(record!.args.sinkObjectsLeft).toEqual([{ bucket: 'audit-exports', folder: `keyward/${org.orgId}/`, error: expect.stringMatching(/^ECONNREFUSED/) }]);
    expect(await listObjects(folder(org.orgId))).toEqual(['notes/readme.txt']);
    expect(await listObjects(folder(bystander.orgId))).toEqual(expect.arrayContaining(bystanderObjects));
  });
});

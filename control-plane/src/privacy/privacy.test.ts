import { generateSecret } from '@keyward/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postEvents, usageEvent } from '../testing/enforcement-fixtures.js';
import {
  addMember,
  createApiToken,
  createOrgWithOwner,
  expectError,
  expectNoSecretsInLogs,
  expectOk,
  startPlane,
  type TestOrg,
  type TestPerson,
} from '../testing/fixtures.js';
import type { TestControlPlane } from '../testing/test-control-plane.js';
import { pseudonymOf } from './account-deletion.js';

const EXPORT_MY_DATA = 'mutation { exportMyData }';
const DELETE_ACCOUNT = 'mutation { deleteAccount }';
const VIEWER = '{ viewer { user { email } } }';

interface PersonalData {
  format: string;
  profile: { id: string; email: string; name: string };
  memberships: { orgId: string; role: string }[];
  sessions: { id: string }[];
  apiTokens: { id: string; prefix: string }[];
  auditEntries: { action: string; actor: string }[];
  keys: { id: string; ownerLabel: string }[];
  usageEvents: { id: string; keyId: string }[];
}

const nodeToken = generateSecret('node_token');
const secrets: string[] = [nodeToken];
let cp: TestControlPlane;
let org: TestOrg;
let other: TestOrg;

beforeAll(async () => {
  cp = await startPlane({ KEYWARD_NODE_TOKEN: nodeToken });
  org = await createOrgWithOwner(cp);
  other = await createOrgWithOwner(cp);
  secrets.push(org.owner.password, org.owner.session, other.owner.password, other.owner.session);
});

afterAll(async () => {
  if (!cp) return;
  expectNoSecretsInLogs(cp, secrets);
  await cp.close();
});

async function member(orgId: string, role: TestPerson['role'] = 'developer', email?: string): Promise<TestPerson> {
  const p = await addMember(cp, orgId, role, { email });
  secrets.push(p.password, p.session);
  return p;
}

/** A key issued to `ownerLabel` in `owner`'s organization, with one usage event reported by a node. */
async function keyWithUsage(owner: TestPerson, orgId: string, ownerLabel: string): Promise<{ keyId: string; eventId: string }> {
  const res = await cp.gql<{ createKey: { key: { id: string }; secret: string } }>(
    'mutation($label: String!) { createKey(input: { name: "issued", ownerLabel: $label }) { key { id } secret } }',
    { label: ownerLabel },
    { session: owner.session },
  );
  expectOk(res);
  secrets.push(res.data!.createKey.secret);
  const keyId = res.data!.createKey.key.id;
  const event = usageEvent(orgId, keyId, { ownerLabel });
  const posted = await postEvents(cp, nodeToken, { type: 'events', nodeId: 'node-privacy', events: [event] });
  expect(posted.body).toEqual({ accepted: 1, duplicates: 0 });
  return { keyId, eventId: event.id };
}

async function rows<T = Record<string, unknown>>(sql: string, bindings: unknown[] = []): Promise<T[]> {
  return cp.services.orm.em.fork().execute(sql, bindings);
}

describe('a member downloads their data', () => {
  it('holds their profile, memberships in every organization, sessions, tokens’ metadata, audit entries, keys issued to them and those keys’ usage — and nobody else’s', async () => {
    const p = await member(org.orgId);
    await rows('insert into memberships (id, organization_id, user_id, role) values (gen_random_uuid(), ?, ?, ?)', [other.orgId, p.userId, 'auditor']);
    const token = await createApiToken(cp, p);
    secrets.push(token.secret);
    expectOk(await cp.gql('mutation { updateAccount(name: "Data Subject") { name } }', {}, { session: p.session }));
    const mine = await keyWithUsage(org.owner, org.orgId, p.email.toUpperCase());
    const theirs = await keyWithUsage(org.owner, org.orgId, org.owner.email);

    const res = await cp.gql<{ exportMyData: PersonalData }>(EXPORT_MY_DATA, {}, { session: p.session });
    expectOk(res);
    const data = res.data!.exportMyData;
    expect(data.format).toBe('keyward-personal-data v1');
    expect(data.profile).toMatchObject({ id: p.userId, email: p.email, name: 'Data Subject' });
    expect(data.memberships.map((m) => [m.orgId, m.role]).sort()).toEqual(
      [
        [org.orgId, 'developer'],
        [other.orgId, 'auditor'],
      ].sort(),
    );
    expect(data.sessions).toHaveLength(1);
    expect(data.apiTokens.map((t) => t.id)).toEqual([token.id]);
    expect(data.auditEntries.map((e) => e.action)).toEqual(expect.arrayContaining(['createApiToken', 'updateAccount']));
    expect(data.auditEntries.every((e) => e.actor === `user:${p.userId}` || e.actor === `token:${token.id}`)).toBe(true);
    expect(data.keys.map((k) => k.id)).toEqual([mine.keyId]);
    expect(data.usageEvents.map((e) => e.id)).toEqual([mine.eventId]);

    const text = JSON.stringify(data);
    for (const absent of [theirs.keyId, theirs.eventId, org.owner.email, other.owner.email, token.secret, p.session]) expect(text).not.toContain(absent);
    expect(text).not.toMatch(/tokenHash|token_hash|secretHash|passwordHash|\$argon2/);
  });

  it('needs a recent sign-in, and is in the audit trail', async () => {
    const p = await member(org.orgId);
    await rows(`update sessions set authenticated_at = now() - interval '11 minutes' where user_id = ?`, [p.userId]);
    const res = await cp.gql(EXPORT_MY_DATA, {}, { session: p.session });
    expectError(res, 'FORBIDDEN', /download your data, confirm it is you/);
    expectOk(await cp.gql('mutation($p: String!) { reauthenticate(currentPassword: $p) }', { p: p.password }, { session: p.session }));
    expectOk(await cp.gql(EXPORT_MY_DATA, {}, { session: p.session }));
    const audit = await rows<{ outcome: string }>(`select outcome from audit_entries where actor = ? and action = 'exportMyData' order by created_at`, [
      `user:${p.userId}`,
    ]);
    expect(audit.map((a) => a.outcome)).toEqual(['failure', 'success']);
  });

  it('is for people at the console, not API tokens', async () => {
    const p = await member(org.orgId);
    const token = await createApiToken(cp, p);
    secrets.push(token.secret);
    expectError(await cp.gql(EXPORT_MY_DATA, {}, { token: token.secret }), 'FORBIDDEN', /Only a person signed in to the console/);
  });
});

describe('a member deletes their account', () => {
  it('ends their sessions and tokens at once, erases their name and email, and keeps their keys’ usage under a stable pseudonym', async () => {
    const p = await member(org.orgId);
    const token = await createApiToken(cp, p);
    secrets.push(token.secret);
    const issued = await keyWithUsage(org.owner, org.orgId, p.email);

    const res = await cp.gql<{ deleteAccount: boolean }>(DELETE_ACCOUNT, {}, { session: p.session });
    expectOk(res);
    expect(res.headers.getSetCookie().join(';')).toMatch(/kw_session=;/);

    expect((await cp.gql<{ viewer: unknown }>(VIEWER, {}, { session: p.session })).data?.viewer ?? null).toBeNull();
    expectError(await cp.gql(VIEWER, {}, { token: token.secret }), 'UNAUTHENTICATED');
    const pseudonym = pseudonymOf(cp.config.keyPepper, p.userId);
    expect(pseudonym).toMatch(/^former-member-[0-9a-f]{16}$/);
    const [user] = await rows<{ email: string; name: string; password_hash: string | null }>('select email, name, password_hash from users where id = ?', [
      p.userId,
    ]);
    expect(user).toEqual({ email: `${pseudonym}@deleted.invalid`, name: pseudonym, password_hash: null });
    expect(await rows('select 1 from memberships where user_id = ?', [p.userId])).toEqual([]);
    expect(await rows('select 1 from sessions where user_id = ?', [p.userId])).toEqual([]);
    const [key] = await rows<{ owner_label: string }>('select owner_label from keys where id = ?', [issued.keyId]);
    expect(key!.owner_label).toBe(pseudonym);
    expect(await rows('select id from usage_events where key_id = ?', [issued.keyId])).toEqual([{ id: issued.eventId }]);
    const people = JSON.stringify(await rows('select * from users')) + JSON.stringify(await rows('select * from keys'));
    expect(people).not.toContain(p.email);
    expect(people).not.toContain(p.name);

    const [entry] = await rows<{ outcome: string; target_id: string }>(
      `select outcome, target_id from audit_entries where action = 'deleteAccount' and actor = ?`,
      [`user:${p.userId}`],
    );
    expect(entry).toEqual({ outcome: 'success', target_id: p.userId });
    // The same person always maps to the same pseudonym; another person to another.
    expect(pseudonymOf(cp.config.keyPepper, p.userId)).toBe(pseudonym);
    expect(pseudonymOf(cp.config.keyPepper, org.owner.userId)).not.toBe(pseudonym);
  });

  it('refuses the only owner of an organization until another member is owner', async () => {
    const solo = await createOrgWithOwner(cp);
    secrets.push(solo.owner.password, solo.owner.session);
    const res = await cp.gql(DELETE_ACCOUNT, {}, { session: solo.owner.session });
    expectError(res, 'CONFLICT', /You are the only owner of ".+": make another member owner or delete the organization first/);
    expect(res.errors![0].extensions).toMatchObject({ reason: 'LAST_OWNER', organizations: [{ id: solo.orgId, name: solo.name }] });
    expect((await cp.gql<{ viewer: unknown }>(VIEWER, {}, { session: solo.owner.session })).data?.viewer).not.toBeNull();

    const second = await member(solo.orgId, 'owner');
    expectOk(await cp.gql(DELETE_ACCOUNT, {}, { session: solo.owner.session }));
    expectError(await cp.gql(DELETE_ACCOUNT, {}, { session: second.session }), 'CONFLICT', /only owner/);
  });

  it('needs a recent sign-in', async () => {
    const p = await member(org.orgId);
    await rows(`update sessions set authenticated_at = now() - interval '1 hour' where user_id = ?`, [p.userId]);
    expectError(await cp.gql(DELETE_ACCOUNT, {}, { session: p.session }), 'FORBIDDEN', /delete your account, confirm it is you/);
    expect(await rows('select 1 from users where id = ? and email = ?', [p.userId, p.email])).toHaveLength(1);
  });
});

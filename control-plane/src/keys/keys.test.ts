import { hashSecret, parseSecret, type KeyConfig } from '@keyward/shared';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { addMember, createLocalKmsFile, createOrgWithMember, findSecretsInLogs, type LocalKmsFile, type OrgMember } from '../testing/enforcement-fixtures.js';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane.js';

const KEY_FIELDS = `id name ownerLabel prefix status expiresAt revokedAt rotatedAt lastUsedAt createdAt allowedModels credentialIds
  labels team { id name } graceSecrets { prefix graceUntil } usage { requests inputTokens outputTokens costMicros }`;
const CREATE = `mutation($input: CreateKeyInput!) { createKey(input: $input) { secret key { ${KEY_FIELDS} } } }`;

interface KeyView {
  id: string;
  name: string;
  prefix: string;
  status: string;
  expiresAt: string | null;
  allowedModels: string[];
  credentialIds: string[];
  labels: Record<string, string>;
  team: { id: string; name: string } | null;
  graceSecrets: { prefix: string; graceUntil: string }[];
}

let cp: TestControlPlane;
let kms: LocalKmsFile;
let owner: OrgMember;
const secrets: string[] = [];

/** The published key entries of an organization (one per valid secret hash). */
function publishedKeys(orgId: string): KeyConfig[] {
  return Object.values(cp.services.configStore.collectionsOf(orgId).keys);
}

async function createKey(member: OrgMember, input: Record<string, unknown>) {
  const res = await member.gql<{ createKey: { secret: string; key: KeyView } }>(CREATE, {
    input: { name: 'ci bot', ownerLabel: 'ci-pipeline', allowedModels: [], ...input },
  });
  if (res.data) secrets.push(res.data.createKey.secret);
  return res;
}

beforeAll(async () => {
  kms = await createLocalKmsFile();
  cp = await startTestControlPlane(inject('pgAdminUrl'), kms.env);
  owner = await createOrgWithMember(cp, 'owner');
});

afterAll(async () => {
  await cp?.close();
  await kms?.remove();
});

describe('creating a key', () => {
  it('returns the secret once and stores only its keyed hash', async () => {
    const res = await createKey(owner, {
      allowedModels: ['gpt-4o*', 'claude-3-5-*'],
      labels: { env: 'prod', 'team/owner': 'platform' },
    });
    expect(res.errors).toBeUndefined();
    const { secret, key } = res.data!.createKey;
    expect(parseSecret(secret)).toEqual({ kind: 'key' });
    expect(secret.startsWith(key.prefix)).toBe(true);
    expect(key).toMatchObject({ status: 'ACTIVE', allowedModels: ['gpt-4o*', 'claude-3-5-*'], labels: { env: 'prod', 'team/owner': 'platform' } });

    const db = new pg.Client({ connectionString: cp.databaseUrl });
    await db.connect();
    const { rows } = await db.query('select row_to_json(k)::text as row, secret_hash from keys k where id = $1', [key.id]);
    await db.end();
    expect(rows[0].secret_hash).toBe(hashSecret(secret, cp.config.keyPepper));
    expect(rows[0].row).not.toContain(secret);
  });

  it('publishes the key by hash so nodes can enforce it', async () => {
    const { data } = await createKey(owner, { name: 'published', allowedModels: ['gpt-4o-mini'] });
    const { secret, key } = data!.createKey;
    const entry = publishedKeys(owner.orgId).find((k) => k.id === key.id)!;
    expect(entry).toMatchObject({
      hash: hashSecret(secret, cp.config.keyPepper),
      prefix: key.prefix,
      orgId: owner.orgId,
      status: 'active',
      graceUntil: null,
      allowedModels: ['gpt-4o-mini'],
    });
  });

  it('sets, publishes, changes and turns off the key’s response cache, refusing a TTL out of range', async () => {
    const { data } = await createKey(owner, { name: 'cached', cache: { ttlSeconds: 600 } });
    const id = data!.createKey.key.id;
    expect(publishedKeys(owner.orgId).find((k) => k.id === id)?.cache).toEqual({ ttlSeconds: 600 });
    const update = `mutation($id: ID!, $input: UpdateKeyInput!) { updateKey(id: $id, input: $input) { cache { ttlSeconds } } }`;
    const changed = await owner.gql<{ updateKey: { cache: { ttlSeconds: number } | null } }>(update, { id, input: { cache: { ttlSeconds: 30 } } });
    expect(changed.data?.updateKey.cache).toEqual({ ttlSeconds: 30 });
    expect(publishedKeys(owner.orgId).find((k) => k.id === id)?.cache).toEqual({ ttlSeconds: 30 });
    const off = await owner.gql<{ updateKey: { cache: null } }>(update, { id, input: { cache: null } });
    expect(off.data?.updateKey.cache).toBeNull();
    expect(publishedKeys(owner.orgId).find((k) => k.id === id)?.cache).toBeNull();

    const tooLong = await createKey(owner, { cache: { ttlSeconds: 8 * 24 * 3600 } });
    expect(tooLong.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(tooLong.errors?.[0].message).toMatch(/cache "ttlSeconds" must be an integer from 1 to 604800/);
    const zero = await owner.gql(update, { id, input: { cache: { ttlSeconds: 0 } } });
    expect(zero.errors?.[0].message).toMatch(/"ttlSeconds" must be an integer from 1 to 604800/);
  });

  it('never shows the secret or its hash again, in the list or one by one', async () => {
    const { data } = await createKey(owner, { name: 'hidden' });
    const { secret, key } = data!.createKey;
    const hash = hashSecret(secret, cp.config.keyPepper);
    const list = await owner.gql(`{ keys { nodes { ${KEY_FIELDS} } totalCount } }`);
    const one = await owner.gql(`query($id: ID!) { key(id: $id) { ${KEY_FIELDS} } }`, { id: key.id });
    for (const answer of [JSON.stringify(list), JSON.stringify(one)]) {
      expect(answer).not.toContain(secret);
      expect(answer).not.toContain(hash);
    }
    expect(JSON.stringify(list)).toContain(key.id);
  });

  it('refuses bad model globs, labels and expiries with a precise message', async () => {
    const badGlob = await createKey(owner, { allowedModels: ['gpt 4'] });
    expect(badGlob.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(badGlob.errors?.[0].message).toMatch(/allowedModels.*entry 1 is not a model glob/);

    const badLabel = await createKey(owner, { labels: { '-x': 'y' } });
    expect(badLabel.errors?.[0].message).toMatch(/labels.*label name "-x"/);

    const nonString = await createKey(owner, { labels: { env: 3 } });
    expect(nonString.errors?.[0].message).toMatch(/label "env" must have a string value/);

    const past = await createKey(owner, { expiresAt: new Date(Date.now() - 60_000).toISOString() });
    expect(past.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(past.errors?.[0].message).toMatch(/expiresAt.*must be a time in the future/);
  });

  it('puts a key in a team of the organization, and treats another organization’s team as unknown', async () => {
    const em = cp.services.orm.em.fork();
    const other = await createOrgWithMember(cp, 'owner');
    const [{ id: teamId }] = await em
      .getConnection()
      .execute(`insert into teams (id, organization_id, name) values (gen_random_uuid(), ?, 'platform') returning id`, [owner.orgId]);
    const [{ id: foreignTeamId }] = await em
      .getConnection()
      .execute(`insert into teams (id, organization_id, name) values (gen_random_uuid(), ?, 'theirs') returning id`, [other.orgId]);
    const ok = await createKey(owner, { teamId });
    expect(ok.data!.createKey.key.team).toEqual({ id: teamId, name: 'platform' });
    expect(publishedKeys(owner.orgId).find((k) => k.id === ok.data!.createKey.key.id)!.teamId).toBe(teamId);

    const foreign = await createKey(owner, { teamId: foreignTeamId });
    expect(foreign.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(foreign.errors?.[0].message).toBe(`No team with id ${foreignTeamId} in this organization.`);
  });

  it('rejects a key routed to a credential that does not exist, naming it, and publishes nothing', async () => {
    const before = cp.services.configStore.version;
    const missing = '0b5e2a8e-0000-4000-8000-000000000001';
    const res = await createKey(owner, { name: 'dangling', credentialIds: [missing] });
    expect(res.errors?.[0].extensions?.code).toBe('CONFIG_REJECTED');
    expect(res.errors?.[0].message).toContain(`routes to credential ${missing}, which does not exist in this organization`);
    expect(cp.services.configStore.version).toBe(before);
    const list = await owner.gql<{ keys: { nodes: { name: string }[] } }>(`{ keys(filter: { search: "dangling" }) { nodes { name } } }`);
    expect(list.data!.keys.nodes).toEqual([]);
  });
});

describe('who may manage keys', () => {
  it('lets developers create keys and auditors only read them', async () => {
    const developer = await addMember(cp, owner.orgId, 'developer');
    const auditor = await addMember(cp, owner.orgId, 'auditor');
    expect((await createKey(developer, { name: 'dev key' })).errors).toBeUndefined();
    const refused = await createKey(auditor, { name: 'auditor key' });
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await auditor.gql('{ keys { totalCount } }')).errors).toBeUndefined();
  });

  it('keeps every organization’s keys to itself', async () => {
    const other = await createOrgWithMember(cp, 'owner');
    const { data } = await createKey(owner, { name: 'mine' });
    const id = data!.createKey.key.id;
    const read = await other.gql(`query($id: ID!) { key(id: $id) { id } }`, { id });
    expect(read.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const revoke = await other.gql(`mutation($id: ID!) { revokeKey(id: $id) { id } }`, { id });
    expect(revoke.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const list = await other.gql<{ keys: { totalCount: number } }>('{ keys { totalCount } }');
    expect(list.data!.keys.totalCount).toBe(0);
  });
});

describe('key lifecycle', () => {
  it('revokes a key: it leaves the published config and can no longer change', async () => {
    const { data } = await createKey(owner, { name: 'to revoke' });
    const id = data!.createKey.key.id;
    const res = await owner.gql<{ revokeKey: KeyView }>(`mutation($id: ID!) { revokeKey(id: $id) { ${KEY_FIELDS} } }`, { id });
    expect(res.data!.revokeKey.status).toBe('REVOKED');
    expect(publishedKeys(owner.orgId).some((k) => k.id === id)).toBe(false);
    const update = await owner.gql(`mutation($id: ID!) { updateKey(id: $id, input: { name: "again" }) { id } }`, { id });
    expect(update.errors?.[0].extensions?.code).toBe('CONFLICT');
    const again = await owner.gql<{ revokeKey: KeyView }>(`mutation($id: ID!) { revokeKey(id: $id) { status } }`, { id });
    expect(again.data!.revokeKey.status).toBe('REVOKED');
  });

  it('keeps the old secret valid until the grace period ends when rotating', async () => {
    const { data } = await createKey(owner, { name: 'rotating' });
    const { secret: oldSecret, key } = data!.createKey;
    const res = await owner.gql<{ rotateKey: { secret: string; previousSecretValidUntil: string; key: KeyView } }>(
      `mutation($id: ID!) { rotateKey(id: $id, graceSeconds: 3600) { secret previousSecretValidUntil key { ${KEY_FIELDS} } } }`,
      { id: key.id },
    );
    expect(res.errors).toBeUndefined();
    const { secret: newSecret, previousSecretValidUntil, key: rotated } = res.data!.rotateKey;
    secrets.push(newSecret);
    expect(newSecret).not.toBe(oldSecret);
    expect(rotated.prefix).toBe(newSecret.slice(0, rotated.prefix.length));
    expect(rotated.graceSecrets).toEqual([{ prefix: key.prefix, graceUntil: previousSecretValidUntil }]);
    const graceMs = new Date(previousSecretValidUntil).getTime() - Date.now();
    expect(graceMs).toBeGreaterThan(3590_000);
    expect(graceMs).toBeLessThanOrEqual(3600_000);

    const entries = publishedKeys(owner.orgId).filter((k) => k.id === key.id);
    expect(entries).toHaveLength(2);
    const byHash = new Map(entries.map((e) => [e.hash, e]));
    expect(byHash.get(hashSecret(newSecret, cp.config.keyPepper))!.graceUntil).toBeNull();
    expect(byHash.get(hashSecret(oldSecret, cp.config.keyPepper))!.graceUntil).toBe(new Date(previousSecretValidUntil).toISOString());
  });

  it('stops the old secret at once when rotating without grace', async () => {
    const { data } = await createKey(owner, { name: 'rotate now' });
    const { secret: oldSecret, key } = data!.createKey;
    const res = await owner.gql<{ rotateKey: { secret: string; previousSecretValidUntil: string | null } }>(
      `mutation($id: ID!) { rotateKey(id: $id) { secret previousSecretValidUntil } }`,
      { id: key.id },
    );
    secrets.push(res.data!.rotateKey.secret);
    expect(res.data!.rotateKey.previousSecretValidUntil).toBeNull();
    const hashes = publishedKeys(owner.orgId)
      .filter((k) => k.id === key.id)
      .map((k) => k.hash);
    expect(hashes).toEqual([hashSecret(res.data!.rotateKey.secret, cp.config.keyPepper)]);
    expect(hashes).not.toContain(hashSecret(oldSecret, cp.config.keyPepper));
  });

  it('refuses a grace period longer than 30 days', async () => {
    const { data } = await createKey(owner, { name: 'long grace' });
    const res = await owner.gql(`mutation($id: ID!) { rotateKey(id: $id, graceSeconds: 2592001) { secret } }`, { id: data!.createKey.key.id });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].message).toMatch(/graceSeconds must be a whole number from 0 to 2592000/);
  });

  it('expires a key now, and nodes see the expiry', async () => {
    const { data } = await createKey(owner, { name: 'expiring', expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
    const id = data!.createKey.key.id;
    const res = await owner.gql<{ expireKey: KeyView }>(`mutation($id: ID!) { expireKey(id: $id) { ${KEY_FIELDS} } }`, { id });
    expect(res.data!.expireKey.status).toBe('EXPIRED');
    const entry = publishedKeys(owner.orgId).find((k) => k.id === id)!;
    expect(new Date(entry.expiresAt!).getTime()).toBeLessThanOrEqual(Date.now());
    const rotate = await owner.gql(`mutation($id: ID!) { rotateKey(id: $id) { secret } }`, { id });
    expect(rotate.errors?.[0].extensions?.code).toBe('CONFLICT');
  });

  it('updates models, labels and expiry, and publishes the change', async () => {
    const { data } = await createKey(owner, { name: 'editable' });
    const id = data!.createKey.key.id;
    const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const res = await owner.gql<{ updateKey: KeyView }>(`mutation($id: ID!, $input: UpdateKeyInput!) { updateKey(id: $id, input: $input) { ${KEY_FIELDS} } }`, {
      id,
      input: { name: 'edited', allowedModels: ['gemini-*'], labels: { env: 'staging' }, expiresAt },
    });
    expect(res.data!.updateKey).toMatchObject({ name: 'edited', allowedModels: ['gemini-*'], labels: { env: 'staging' }, expiresAt });
    expect(publishedKeys(owner.orgId).find((k) => k.id === id)).toMatchObject({
      name: 'edited',
      allowedModels: ['gemini-*'],
      labels: { env: 'staging' },
      expiresAt,
    });
  });
});

describe('listing keys', () => {
  it('filters by status and search, and pages newest first', async () => {
    const member = await createOrgWithMember(cp, 'admin');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createKey(member, { name: `agent ${i}` })).data!.createKey.key.id);
    await member.gql(`mutation($id: ID!) { revokeKey(id: $id) { id } }`, { id: ids[0] });

    const query = `query($filter: KeyFilter, $first: Int, $after: String) {
      keys(filter: $filter, first: $first, after: $after) { nodes { id name } pageInfo { endCursor hasNextPage } totalCount } }`;
    type Page = { keys: { nodes: { id: string }[]; pageInfo: { endCursor: string; hasNextPage: boolean }; totalCount: number } };
    const first = await member.gql<Page>(query, { first: 2 });
    expect(first.data!.keys.totalCount).toBe(5);
    expect(first.data!.keys.nodes.map((n) => n.id)).toEqual([ids[4], ids[3]]);
    expect(first.data!.keys.pageInfo.hasNextPage).toBe(true);
    const second = await member.gql<Page>(query, { first: 2, after: first.data!.keys.pageInfo.endCursor });
    expect(second.data!.keys.nodes.map((n) => n.id)).toEqual([ids[2], ids[1]]);
    const third = await member.gql<Page>(query, { first: 2, after: second.data!.keys.pageInfo.endCursor });
    expect(third.data!.keys.nodes.map((n) => n.id)).toEqual([ids[0]]);
    expect(third.data!.keys.pageInfo.hasNextPage).toBe(false);

    const active = await member.gql<Page>(query, { filter: { status: 'ACTIVE' } });
    expect(active.data!.keys.totalCount).toBe(4);
    const revoked = await member.gql<Page>(query, { filter: { status: 'REVOKED' } });
    expect(revoked.data!.keys.nodes.map((n) => n.id)).toEqual([ids[0]]);
    const search = await member.gql<Page>(query, { filter: { search: 'AGENT 3' } });
    expect(search.data!.keys.nodes.map((n) => n.id)).toEqual([ids[3]]);

    const bad = await member.gql(query, { after: 'not-a-cursor' });
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('secrets in logs', () => {
  it('never writes a key secret to a log line or the audit trail', async () => {
    expect(secrets.length).toBeGreaterThan(5);
    expect(findSecretsInLogs(cp.logs, secrets)).toEqual([]);
    const db = new pg.Client({ connectionString: cp.databaseUrl });
    await db.connect();
    const { rows } = await db.query('select row_to_json(a)::text as row from audit_entries a');
    await db.end();
    expect(rows.length).toBeGreaterThan(10);
    expect(
      findSecretsInLogs(
        rows.map((r) => r.row as string),
        secrets,
      ),
    ).toEqual([]);
  });
});

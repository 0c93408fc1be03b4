import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { generateSecret } from '@keyward/shared';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { EntityManager } from '@mikro-orm/postgresql';
import { signDueCheckpoints } from '../audit-chain/checkpoints.js';
import { AuditSigner, publicSigningKeys } from '../audit-chain/signing-key.js';
import { trailLines } from '../audit-chain/trail-lines.js';
import { verifyTrailLines } from '../audit-chain/verify.js';
import { openDatabase } from '../database.js';
import { postEvents, usageEvent } from '../testing/enforcement-fixtures.js';
import { addMember, createOrgWithOwner, expectError, expectNoSecretsInLogs, expectOk, startPlane, type TestOrg } from '../testing/fixtures.js';
import type { TestControlPlane } from '../testing/test-control-plane.js';
import { ARCHIVE_TABLES, NOT_ARCHIVED } from './archive-tables.js';
import { importOrganization } from './org-import.js';

const EXPORT = 'mutation { exportOrganization { url fileName expiresAt } }';
const nodeToken = generateSecret('node_token');
const secrets: string[] = [nodeToken];
let cp: TestControlPlane;
let work: string;
let target: { name: string; url: string };

beforeAll(async () => {
  cp = await startPlane({ KEYWARD_NODE_TOKEN: nodeToken });
  work = await mkdtemp(join(tmpdir(), 'keyward-org-archive-'));
  // A fresh Keyward database to import into: migrated as a control plane starting on it would.
  const name = `kw_import_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  target = { name, url: inject('pgAdminUrl').replace(/\/[^/?]*(\?|$)/, `/${name}$1`) };
  await (await openDatabase(target.url)).close(true);
}, 120_000);

afterAll(async () => {
  if (!cp) return;
  expectNoSecretsInLogs(cp, secrets);
  await cp.close();
  const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await admin.connect();
  await admin.query(`drop database if exists "${target.name}" with (force)`);
  await admin.end();
  await rm(work, { recursive: true, force: true });
});

async function ownerDoes<T>(org: TestOrg, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await cp.gql<T>(query, variables, { session: org.owner.session });
  expectOk(res);
  return res.data!;
}

/** An organization with something in most tables, made through the API. */
async function populatedOrg(word: string): Promise<TestOrg & { keyId: string }> {
  const org = await createOrgWithOwner(cp);
  secrets.push(org.owner.password, org.owner.session);
  const key = await ownerDoes<{ createKey: { key: { id: string }; secret: string } }>(
    org,
    `mutation { createKey(input: { name: "${word}-key", ownerLabel: "${word}-agent" }) { key { id } secret } }`,
  );
  secrets.push(key.createKey.secret);
  const keyId = key.createKey.key.id;
  const apiKey = `sk-test-${word}-${randomBytes(12).toString('hex')}`;
  secrets.push(apiKey);
  await ownerDoes(org, 'mutation($input: CreateCredentialInput!) { createCredential(input: $input) { id } }', {
    input: { provider: 'OPENAI', name: `${word}-openai`, apiKey, models: ['gpt-4o-mini'] },
  });
  const hook = await ownerDoes<{ createWebhook: { secret: string } }>(
    org,
    `mutation { createWebhook(input: { url: "https://hooks.example.com/${word}", events: ["approval.requested"] }) { secret } }`,
  );
  secrets.push(hook.createWebhook.secret);
  await ownerDoes(org, `mutation { createTeam(input: { name: "${word} team" }) { id } }`);
  const policy = await ownerDoes<{ createPolicy: { id: string } }>(org, 'mutation($s: String!) { createPolicy(input: { source: $s }) { id } }', {
    s: `name: ${word}-policy\nrules:\n  - id: no-shell\n    when: { toolOffered: shell* }\n    action: block\n`,
  });
  await ownerDoes(org, 'mutation($id: ID!, $s: String!) { updatePolicy(id: $id, source: $s) { id } }', {
    id: policy.createPolicy.id,
    s: `name: ${word}-policy\nrules:\n  - id: no-exec\n    when: { toolOffered: exec* }\n    action: block\n`,
  });
  await ownerDoes(org, 'mutation($input: CreateBudgetInput!) { createBudget(input: $input) { id } }', {
    input: { name: `${word} daily`, scopeKind: 'KEY', scopeId: keyId, period: 'DAY', limit: '25.50' },
  });
  await ownerDoes(org, `mutation { inviteMember(email: "${word}-invitee@example.test", role: AUDITOR) { id } }`);
  const member = await addMember(cp, org.orgId, 'developer');
  secrets.push(member.password, member.session);
  const posted = await postEvents(cp, nodeToken, {
    type: 'events',
    nodeId: `node-${word}`,
    events: [usageEvent(org.orgId, keyId), usageEvent(org.orgId, keyId)],
  });
  expect(posted.body).toEqual({ accepted: 2, duplicates: 0 });
  return { ...org, keyId };
}

/** The organization's rows of one table, as the archive has them (less omitted and import-replaced columns), in a stable order. */
async function tableRows(databaseUrl: string, orgId: string, table: (typeof ARCHIVE_TABLES)[number]): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const org = client.escapeLiteral(orgId);
    const drop = [...(table.omit ?? []), ...Object.keys(table.onImport ?? {})];
    const { rows } = await client.query<{ row: unknown }>(
      `select to_jsonb(t) - $1::text[] as row from "${table.table}" t where ${table.where ? table.where(org) : `organization_id = ${org}`} order by to_jsonb(t)::text`,
      [drop],
    );
    return rows.map((r) => r.row);
  } finally {
    await client.end();
  }
}

/** GETs a signed link from the test control plane (the link names its public URL). */
async function download(link: string): Promise<{ status: number; type: string | null; body: Buffer }> {
  const url = new URL(link);
  expect(url.origin).toBe(new URL(cp.config.publicUrl).origin);
  const res = await fetch(`${cp.url}${url.pathname}${url.search}`);
  return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
}

describe('organization export and import', () => {
  it('archives every table with an organization column or says why not', async () => {
    const tables = await cp.services.orm.em.fork().execute<{ table_name: string }[]>(
      `select distinct c.table_name from information_schema.columns c join information_schema.tables t using (table_schema, table_name)
          where c.table_schema = current_schema() and t.table_type = 'BASE TABLE' and c.column_name in ('organization_id', 'org_id') and c.table_name <> 'organizations'`,
    );
    const covered = new Set([...ARCHIVE_TABLES.map((t) => t.table), ...Object.keys(NOT_ARCHIVED)]);
    expect(tables.map((t) => t.table_name).filter((t) => !covered.has(t))).toEqual([]);
  });

  it("exports one organization without secrets or another's rows, and a fresh Keyward imports it row for row", async () => {
    const a = await populatedOrg('alpha');
    const b = await populatedOrg('bravo');

    // Owners only, with a recent sign-in; the link is checked.
    const admin = await addMember(cp, a.orgId, 'admin');
    secrets.push(admin.password, admin.session);
    expectError(await cp.gql(EXPORT, {}, { session: admin.session }), 'FORBIDDEN');
    // Checkpoints due are signed now, so none is signed between the export and the comparison below.
    await signDueCheckpoints(cp.services, { all: true });
    const link = (await ownerDoes<{ exportOrganization: { url: string; fileName: string } }>(a, EXPORT)).exportOrganization;
    expect(link.fileName).toMatch(new RegExp(`^keyward-organization-${a.slug}-\\d{8}T\\d{6}Z\\.ndjson\\.gz$`));
    const forged = await download(link.url.replace(/signature=[^&]+/, `signature=${'A'.repeat(43)}`));
    expect(forged.status).toBe(403);

    const archive = await download(link.url);
    expect(archive.status).toBe(200);
    expect(archive.type).toBe('application/gzip');
    const file = join(work, link.fileName);
    await writeFile(file, archive.body);
    const text = gunzipSync(archive.body).toString('utf8');
    const lines = text.trimEnd().split('\n');
    const header = JSON.parse(lines[0]!) as { organizationId: string; notExported: string; signingKeys: { keyId: string }[] };
    expect(header.signingKeys.length).toBeGreaterThan(0);
    expect(header.organizationId).toBe(a.orgId);
    expect(header.notExported).toMatch(/Secrets are never exported/);
    expect(JSON.parse(lines.at(-1)!)).toEqual({ end: true, rows: lines.length - 2 });
    const types = new Set(lines.slice(1, -1).map((l) => (JSON.parse(l) as { table: string }).table));
    for (const t of [
      'organizations',
      'users',
      'memberships',
      'keys',
      'policies',
      'policy_versions',
      'budgets',
      'usage_events',
      'audit_entries',
      'audit_chain_links',
      'audit_chain_heads',
      'credentials',
      'webhooks',
      'invitations',
    ])
      expect(types).toContain(t);

    // Nothing of B, and no secret, hash or password of anyone.
    for (const foreign of [b.orgId, b.keyId, b.name, b.slug, b.owner.email, 'bravo']) expect(text).not.toContain(foreign);
    for (const secret of secrets) expect(text).not.toContain(secret);
    const hashes = await cp.services.orm.em.fork().execute<{ h: string }[]>(
      `select secret_hash as h from keys union all select token_hash from invitations union all select password_hash from users where password_hash is not null
          union all select ciphertext from credentials union all select ciphertext from webhooks`,
    );
    for (const { h } of hashes) expect(text).not.toContain(h);

    // An archive cut short is refused, and leaves nothing behind.
    const cut = join(work, 'cut.ndjson.gz');
    await writeFile(cut, gzipSync(lines.slice(0, -1).join('\n')));
    await expect(importOrganization(target.url, cut)).rejects.toThrow(/is cut short/);

    const summary = await importOrganization(target.url, file);
    expect(summary.organizationId).toBe(a.orgId);
    expect(summary.toRecreate.sort()).toEqual(['credentials: alpha-openai', 'webhooks: https://hooks.example.com/…'].sort());
    for (const table of ARCHIVE_TABLES.filter((t) => !t.secretHeld)) {
      const source = await tableRows(cp.databaseUrl, a.orgId, table);
      expect({ table: table.table, rows: await tableRows(target.url, a.orgId, table) }).toEqual({ table: table.table, rows: source });
      expect(summary.rows[table.table] ?? 0).toBe(source.length);
    }
    // Keys come without their secret's hash: revoked, so no key of the source works here.
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    const { rows: keys } = await client.query('select status, revoked_at from keys where organization_id = $1', [a.orgId]);
    expect(keys).toEqual([{ status: 'revoked', revoked_at: expect.any(Date) }]);
    const { rows: others } = await client.query('select count(*)::int as n from organizations where id <> $1', [a.orgId]);
    await client.end();
    expect(others).toEqual([{ n: 0 }]);

    // The source's checkpoint-signing keys arrive verification-only: published here, so the trail verifies, and never used to sign.
    const orm = await openDatabase(target.url);
    try {
      const em = orm.em.fork() as EntityManager;
      const installed = await em.execute<{ key_id: string; sealed: boolean }[]>(
        'select key_id, ciphertext is not null as sealed from audit_signing_keys order by key_id',
      );
      expect(installed).toEqual(header.signingKeys.map((k) => ({ key_id: k.keyId, sealed: false })).sort((x, y) => x.key_id.localeCompare(y.key_id)));
      const verification = await verifyTrailLines(trailLines(em, await publicSigningKeys(em), { orgId: a.orgId, from: null, to: null }));
      expect(verification).toMatchObject({ ok: true, problems: [] });
      expect(verification.chains.reduce((n, c) => n + c.checkpointsChecked, 0)).toBeGreaterThan(0);
      const signer = new AuditSigner(cp.services.kms, () => orm.em.fork() as EntityManager);
      expect(header.signingKeys.map((k) => k.keyId)).not.toContain(await signer.keyId());
    } finally {
      await orm.close(true);
    }

    // A second import over the organization is refused in one sentence.
    await expect(importOrganization(target.url, file)).rejects.toThrow(
      `This database already holds organization ${a.orgId}: import the archive into a Keyward that does not.`,
    );
  }, 120_000);
});

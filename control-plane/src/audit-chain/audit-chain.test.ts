import { execFile } from 'node:child_process';
import { verify as verifySignature, createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generateSecret, openSecret, type UsageEvent } from '@keyward/shared';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { sweepExpiredEvents } from '../events/retention.js';
import {
  createNodeTokenFor,
  createOrgWithMember,
  findSecretsInLogs,
  postEvents,
  addMember,
  usageEvent,
  type OrgMember,
} from '../testing/enforcement-fixtures.js';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane.js';
import { GENESIS_HASH, linkHash, USAGE_CHAIN } from './chain-kinds.js';
import { signDueCheckpoints } from './checkpoints.js';

const run = promisify(execFile);
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const DAY = 86_400_000;
/** Tests that run `npm run audit:verify`, which checks the build first: half a minute on a loaded machine. */
const CLI_TIMEOUT_MS = 120_000;
/** The installation's node token (`KEYWARD_NODE_TOKEN`): it may post events of every organization in one batch. */
const globalNodeToken = generateSecret('node_token');

let cp: TestControlPlane;
let db: pg.Client;
let workDir: string;
/** The offline check exactly as the README's "Audit trail" section prints it. */
let offlineCheck: string;

beforeAll(async () => {
  cp = await startTestControlPlane(inject('pgAdminUrl'), { KEYWARD_NODE_TOKEN: globalNodeToken });
  db = new pg.Client({ connectionString: cp.databaseUrl });
  await db.connect();
  workDir = await mkdtemp(join(tmpdir(), 'keyward-audit-'));
  const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
  const block = /<!-- offline-check:begin -->\n```js\n([\s\S]*?)```\n<!-- offline-check:end -->/.exec(readme);
  if (!block) throw new Error('README.md has no offline-check block');
  offlineCheck = join(workDir, 'verify-audit-export.mjs');
  await writeFile(offlineCheck, block[1]!);
});

afterAll(async () => {
  await db?.end();
  await cp?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

interface Problem {
  problem: string;
  chain: string;
  seq: number | null;
  rowId: string | null;
}

const VERIFY = `query($from: DateTimeISO, $to: DateTimeISO) { verifyAuditTrail(from: $from, to: $to) {
  ok problemCount chains { chain anchorSeq lastSeq rowsChecked checkpointsChecked contentPurged } problems { problem chain seq rowId message } } }`;

async function verifyTrail(member: OrgMember, range: { from?: string; to?: string } = {}) {
  const res = await member.gql<{
    verifyAuditTrail: {
      ok: boolean;
      problems: (Problem & { message: string })[];
      chains: { chain: string; anchorSeq: number | null; lastSeq: number; rowsChecked: number; contentPurged: number }[];
    };
  }>(VERIFY, range);
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data.verifyAuditTrail;
}

/** How the README's offline check prints a problem. */
const asLine = (p: Problem) => `${p.problem} ${p.chain} seq=${p.seq ?? '-'} row=${p.rowId ?? '-'}`;

async function exportTrail(member: OrgMember): Promise<string> {
  const res = await fetch(`${cp.url}/v1/audit/trail.ndjson`, { headers: { authorization: `Bearer ${member.token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/application\/x-ndjson/);
  const file = join(workDir, `export-${member.orgId}.ndjson`);
  await writeFile(file, await res.text());
  return file;
}

/** Runs the README's script on an export; returns its exit code and printed lines. */
async function offlineCheckOf(file: string): Promise<{ code: number; lines: string[] }> {
  try {
    const { stdout } = await run(process.execPath, [offlineCheck, file]);
    return { code: 0, lines: stdout.trim().split('\n') };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, lines: failed.stdout.trim().split('\n') };
  }
}

async function keyOf(member: OrgMember): Promise<string> {
  const res = await member.gql<{ createKey: { key: { id: string } } }>('mutation { createKey(input: { name: "agent", ownerLabel: "agent" }) { key { id } } }');
  return res.data!.createKey.key.id;
}

async function store(nodeToken: string, nodeId: string, events: UsageEvent[]): Promise<void> {
  const res = await postEvents(cp, nodeToken, { type: 'events', nodeId, events });
  expect(res.body).toEqual({ accepted: events.length, duplicates: 0 });
}

async function chainOf(kind: 'usage' | 'audit', orgId: string): Promise<{ id: string; seq: number }[]> {
  const { rows } = await db.query<{ id: string; seq: string }>(
    `select row_id as id, seq from audit_chain_links where organization_id = $1 and kind = $2 order by seq`,
    [orgId, kind],
  );
  return rows.map((r) => ({ id: r.id, seq: Number(r.seq) }));
}

describe('tamper-evident audit trail', () => {
  it(
    'gives concurrent batches from two nodes through two control-plane instances one gap-free chain that verifies, in GraphQL, the CLI and offline',
    async () => {
      const owner = await createOrgWithMember(cp, 'owner');
      const keyId = await keyOf(owner);
      const [tokenA, tokenB] = [await createNodeTokenFor(owner, 'a'), await createNodeTokenFor(owner, 'b')];
      // A second instance on the same database, secrets and KMS, as behind a load balancer.
      const secrets = {
        KEYWARD_KMS: cp.config.kms,
        KEYWARD_KEY_PEPPER: cp.config.keyPepper.toString('base64'),
        KEYWARD_HASH_SALT: cp.config.hashSalt.toString('base64'),
        KEYWARD_NODE_TOKEN: globalNodeToken,
      };
      const cp2 = await startTestControlPlane(inject('pgAdminUrl'), secrets, { databaseName: cp.databaseName, keepDatabase: true });
      try {
        const batches = Array.from({ length: 12 }, () => Array.from({ length: 25 }, () => usageEvent(owner.orgId, keyId)));
        await Promise.all(
          batches.map(async (events, i) => {
            const [plane, token, nodeId] = i % 2 ? [cp2, tokenB, 'node-b'] : [cp, tokenA, 'node-a'];
            const res = await postEvents(plane, token, { type: 'events', nodeId, events });
            expect(res.body).toEqual({ accepted: events.length, duplicates: 0 });
          }),
        );
      } finally {
        await cp2.close();
      }

      const chain = await chainOf('usage', owner.orgId);
      expect(chain.map((r) => r.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
      // createKey and both createNodeToken calls were chained as audit entries.
      expect((await chainOf('audit', owner.orgId)).map((r) => r.seq)).toEqual([1, 2, 3]);
      await signDueCheckpoints(cp.services, { all: true });
      // The background signer signs a chain's first checkpoint at once, so under load it may have
      // signed one mid-ingestion as well: every checkpoint there is must be checked.
      const { rows: signed } = await db.query<{ n: number }>(`select count(*)::int as n from audit_checkpoints where organization_id = $1 and kind = 'usage'`, [
        owner.orgId,
      ]);
      const usageCheckpoints = signed[0]!.n;
      expect(usageCheckpoints).toBeGreaterThanOrEqual(1);

      const result = await verifyTrail(owner);
      expect(result.problems).toEqual([]);
      expect(result.ok).toBe(true);
      expect(result.chains).toEqual([
        { chain: 'USAGE', anchorSeq: null, lastSeq: 300, rowsChecked: 300, checkpointsChecked: usageCheckpoints, contentPurged: 0 },
        { chain: 'AUDIT', anchorSeq: null, lastSeq: 3, rowsChecked: 3, checkpointsChecked: 1, contentPurged: 0 },
      ]);
      expect(await offlineCheckOf(await exportTrail(owner))).toEqual({ code: 0, lines: ['The export verifies.'] });
      const cli = await run('npm', ['run', '--silent', 'audit:verify', '--', '--org', owner.orgId], {
        cwd: repoRoot,
        env: { ...process.env, DATABASE_URL: cp.databaseUrl },
      });
      expect(cli.stdout).toContain(`usage chain: 300 rows and ${usageCheckpoints} checkpoints checked from its first row to seq 300`);
      expect(cli.stdout).toContain('The audit trail verifies.');
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'names the altered, deleted, reordered and inserted rows, and the export fails the README check at the same places',
    async () => {
      const owner = await createOrgWithMember(cp, 'auditor');
      const admin = await addMember(cp, owner.orgId, 'admin');
      const keyId = await keyOf(admin);
      const nodeToken = await createNodeTokenFor(admin);
      const events = Array.from({ length: 10 }, (_, i) => usageEvent(owner.orgId, keyId, { model: `model-${i + 1}` }));
      for (const event of events) await store(nodeToken, 'node-a', [event]);
      await signDueCheckpoints(cp.services, { all: true });
      expect((await verifyTrail(owner)).ok).toBe(true);
      const id = (seq: number) => events[seq - 1]!.id;

      await db.query(`update usage_events set cost_micros = 1 where id = $1`, [id(3)]);
      await db.query(`delete from usage_events where id = $1`, [id(5)]);
      await db.query(`update audit_chain_links set seq = -seq where row_id in ($1, $2)`, [id(7), id(8)]);
      await db.query(`update audit_chain_links set seq = case when row_id = $1 then 8 else 7 end where row_id in ($1, $2)`, [id(7), id(8)]);
      const { rows } = await db.query<{ id: string }>(
        `insert into usage_events select (jsonb_populate_record(null::usage_events, to_jsonb(u) || jsonb_build_object('id', gen_random_uuid()))).*
         from usage_events u where u.id = $1 returning id`,
        [id(2)],
      );
      const forged = rows[0]!.id;

      const result = await verifyTrail(owner);
      expect(result.ok).toBe(false);
      const named = result.problems.map((p) => ({ problem: p.problem, chain: p.chain, seq: p.seq, rowId: p.rowId }));
      expect(named).toEqual([
        { problem: 'ALTERED', chain: 'USAGE', seq: 3, rowId: id(3) },
        { problem: 'DELETED', chain: 'USAGE', seq: 5, rowId: id(5) },
        { problem: 'REORDERED', chain: 'USAGE', seq: 7, rowId: id(8) },
        { problem: 'INSERTED', chain: 'USAGE', seq: null, rowId: forged },
      ]);
      expect(result.problems[0]!.message).toBe(`The usage event ${id(3)} (seq 3) was altered: its contents no longer match its hash.`);

      const offline = await offlineCheckOf(await exportTrail(owner));
      expect(offline.code).toBe(1);
      expect(offline.lines).toEqual(named.map((p) => asLine({ ...p, chain: p.chain.toLowerCase() })));

      const cli = await run('npm', ['run', '--silent', 'audit:verify', '--', '--org', owner.orgId], {
        cwd: repoRoot,
        env: { ...process.env, DATABASE_URL: cp.databaseUrl },
      }).catch((error: { code: number; stdout: string }) => error);
      expect((cli as { code?: number }).code).toBe(1);
      expect(cli.stdout).toContain(`ALTERED usage seq=3 row=${id(3)}`);
      expect(cli.stdout).toContain('The audit trail does not verify: 4 problem(s).');
    },
    CLI_TIMEOUT_MS,
  );

  it('gives each organization of a mixed batch its own gap-free chain that verifies', async () => {
    const [first, second] = [await createOrgWithMember(cp, 'owner'), await createOrgWithMember(cp, 'owner')];
    const [firstKey, secondKey] = [await keyOf(first), await keyOf(second)];
    const batch = () => Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? usageEvent(second.orgId, secondKey) : usageEvent(first.orgId, firstKey)));
    const [one, two] = [batch(), batch()];
    await store(globalNodeToken, 'node-global', one);
    await store(globalNodeToken, 'node-global', two);

    for (const [member, count] of [
      [first, 40],
      [second, 20],
    ] as const) {
      const stored = [...one, ...two].filter((event) => event.orgId === member.orgId).map((event) => event.id);
      expect(await chainOf('usage', member.orgId)).toEqual(stored.map((id, i) => ({ id, seq: i + 1 })));
      expect(stored).toHaveLength(count);
      const result = await verifyTrail(member);
      expect(result.problems).toEqual([]);
      expect(result.chains[0]).toMatchObject({ chain: 'USAGE', anchorSeq: null, lastSeq: count, rowsChecked: count });
    }
  });

  it("deletes an organization's chain links with the organization, and no one else's", async () => {
    const kept = await createOrgWithMember(cp, 'owner');
    const keptKey = await keyOf(kept);
    // An organization with no audit entries yet (those outlive their organization): only then can one be deleted.
    const { rows } = await db.query<{ id: string }>(
      `insert into organizations (id, name, slug, settings) values (gen_random_uuid(), 'Gone', 'gone-' || gen_random_uuid(), '{}') returning id`,
    );
    const gone = rows[0]!.id;
    await store(globalNodeToken, 'node-global', [usageEvent(gone, keptKey), usageEvent(kept.orgId, keptKey), usageEvent(gone, keptKey)]);
    expect((await chainOf('usage', gone)).map((r) => r.seq)).toEqual([1, 2]);

    await db.query('delete from organizations where id = $1', [gone]);
    expect(await chainOf('usage', gone)).toEqual([]);
    expect((await chainOf('usage', kept.orgId)).map((r) => r.seq)).toEqual([1]);
    expect((await verifyTrail(kept)).ok).toBe(true);
  });

  it('flags a checkpoint whose signature or hash no longer matches', async () => {
    const owner = await createOrgWithMember(cp, 'owner');
    await keyOf(owner);
    await signDueCheckpoints(cp.services, { all: true });
    await db.query(`update audit_checkpoints set signed_at = signed_at + interval '1 second' where organization_id = $1 and kind = 'audit'`, [owner.orgId]);
    const result = await verifyTrail(owner);
    expect(result.problems.map((p) => [p.problem, p.chain, p.seq])).toEqual([['BAD_SIGNATURE', 'AUDIT', 1]]);
  });

  it('keeps verifying after retention deletes old rows, from the checkpoint before them', async () => {
    const owner = await createOrgWithMember(cp, 'owner', { retentionDays: 7 });
    const keyId = await keyOf(owner);
    const nodeToken = await createNodeTokenFor(owner);
    const old = Array.from({ length: 4 }, () => usageEvent(owner.orgId, keyId, { startedAt: new Date(Date.now() - 8 * DAY).toISOString() }));
    const recent = Array.from({ length: 3 }, () => usageEvent(owner.orgId, keyId));
    await store(nodeToken, 'node-a', old.slice(0, 2));
    await signDueCheckpoints(cp.services, { all: true });
    await store(nodeToken, 'node-a', old.slice(2));
    await store(nodeToken, 'node-a', recent);

    const swept = await sweepExpiredEvents(cp.services);
    expect(swept.usageEvents).toBeGreaterThanOrEqual(4);
    expect((await chainOf('usage', owner.orgId)).map((r) => r.id)).toEqual(recent.map((e) => e.id));

    const result = await verifyTrail(owner);
    expect(result.problems).toEqual([]);
    expect(result.chains[0]).toEqual({ chain: 'USAGE', anchorSeq: 4, lastSeq: 7, rowsChecked: 3, checkpointsChecked: 1, contentPurged: 0 });
    expect(await offlineCheckOf(await exportTrail(owner))).toEqual({ code: 0, lines: ['The export verifies.'] });
    // A range that starts after the deleted rows walks from the same checkpoint.
    expect((await verifyTrail(owner, { from: new Date(Date.now() - 60_000).toISOString() })).ok).toBe(true);
  });

  it('clears content after the content period and still verifies by the digest, naming an edited digest or content', async () => {
    const owner = await createOrgWithMember(cp, 'owner', { contentCapture: true, retentionDays: 30, contentRetentionDays: 7 });
    const keyId = await keyOf(owner);
    const nodeToken = await createNodeTokenFor(owner);
    const text = (i: number) => ({ request: `prompt ${i}`, response: `answer ${i}` });
    const old = Array.from({ length: 3 }, (_, i) =>
      usageEvent(owner.orgId, keyId, { startedAt: new Date(Date.now() - 8 * DAY).toISOString(), content: text(i) }),
    );
    const recent = Array.from({ length: 2 }, (_, i) => usageEvent(owner.orgId, keyId, { content: text(10 + i) }));
    await store(nodeToken, 'node-a', [...old, ...recent]);
    await signDueCheckpoints(cp.services, { all: true });

    const swept = await sweepExpiredEvents(cp.services);
    expect(swept.contentPurged).toBeGreaterThanOrEqual(3);
    const { rows } = await db.query<{ id: string; content: unknown; purged: boolean }>(
      `select id, content, content_purged_at is not null as purged from usage_events where organization_id = $1 order by started_at, id`,
      [owner.orgId],
    );
    expect(rows.filter((r) => r.purged).map((r) => r.id)).toEqual(old.map((e) => e.id).sort());
    expect(rows.filter((r) => r.purged).every((r) => r.content === null)).toBe(true);
    expect(rows.filter((r) => !r.purged).map((r) => r.content)).toEqual(expect.arrayContaining([text(10), text(11)]));

    const result = await verifyTrail(owner);
    expect(result.problems).toEqual([]);
    expect(result.chains[0]).toMatchObject({ chain: 'USAGE', lastSeq: 5, rowsChecked: 5, contentPurged: 3 });
    const file = await exportTrail(owner);
    const lines = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const lineOf = (id: string) => lines.find((line) => line.id === id)!;
    expect(lineOf(old[0]!.id)).toMatchObject({
      format: 2,
      content: null,
      contentPurgedAt: expect.any(String),
      contentDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(lineOf(old[0]!.id).row).not.toHaveProperty('content');
    expect(lineOf(recent[0]!.id)).toMatchObject({ format: 2, content: { content: text(10) }, contentPurgedAt: null });
    expect(await offlineCheckOf(file)).toEqual({ code: 0, lines: ['The export verifies.'] });

    const seqOf = async (id: string) => Number((await db.query(`select seq from audit_chain_links where row_id = $1`, [id])).rows[0].seq);
    await db.query(`update audit_chain_links set content_digest = repeat('0', 64) where row_id = $1`, [old[1]!.id]);
    await db.query(`update usage_events set content = '{"request": "prompt 10", "response": "edited"}' where id = $1`, [recent[0]!.id]);
    const tampered = await verifyTrail(owner);
    const named = tampered.problems.map((p) => ({ problem: p.problem, chain: p.chain, seq: p.seq, rowId: p.rowId }));
    expect(named).toEqual([
      { problem: 'ALTERED', chain: 'USAGE', seq: await seqOf(old[1]!.id), rowId: old[1]!.id },
      { problem: 'ALTERED', chain: 'USAGE', seq: await seqOf(recent[0]!.id), rowId: recent[0]!.id },
    ]);
    expect(tampered.problems[1]!.message).toContain('its content no longer matches the digest its link holds');
    const offline = await offlineCheckOf(await exportTrail(owner));
    expect(offline).toEqual({ code: 1, lines: named.map((p) => asLine({ ...p, chain: 'usage' })) });
  });

  it('keeps the content of rows linked with their content inline (format 1) until the row goes, and they still verify', async () => {
    const owner = await createOrgWithMember(cp, 'owner', { contentCapture: true, retentionDays: 30, contentRetentionDays: 7 });
    const keyId = await keyOf(owner);
    const nodeToken = await createNodeTokenFor(owner);
    const eightDaysAgo = new Date(Date.now() - 8 * DAY).toISOString();
    const [legacy, current] = [0, 1].map((i) => usageEvent(owner.orgId, keyId, { startedAt: eightDaysAgo, content: { request: `q${i}`, response: `a${i}` } }));
    await store(nodeToken, 'node-a', [legacy!]);
    // Relink the first row as a link written before content digests was: its content inside the hash.
    const [row] = (await db.query(`select ${USAGE_CHAIN.selectList()} from usage_events where id = $1`, [legacy!.id])).rows;
    const hash = linkHash(GENESIS_HASH, USAGE_CHAIN.canonicalRow(row));
    await db.query(`update audit_chain_links set format = 1, content_digest = null, hash = $2 where row_id = $1`, [legacy!.id, hash]);
    await db.query(`update audit_chain_heads set hash = $2 where organization_id = $1 and kind = 'usage'`, [owner.orgId, hash]);
    await store(nodeToken, 'node-a', [current!]);

    await sweepExpiredEvents(cp.services);
    const { rows } = await db.query<{ id: string; content: unknown }>(`select id, content from usage_events where id = any($1) order by id`, [
      [legacy!.id, current!.id],
    ]);
    expect(Object.fromEntries(rows.map((r) => [r.id, r.content]))).toEqual({ [legacy!.id]: { request: 'q0', response: 'a0' }, [current!.id]: null });
    const result = await verifyTrail(owner);
    expect(result.problems).toEqual([]);
    expect(result.chains[0]).toMatchObject({ chain: 'USAGE', rowsChecked: 2, contentPurged: 1 });
    expect(await offlineCheckOf(await exportTrail(owner))).toEqual({ code: 0, lines: ['The export verifies.'] });
  });

  it('publishes the signing key without sign-in and never shows the private key', async () => {
    const owner = await createOrgWithMember(cp, 'owner');
    await keyOf(owner);
    await signDueCheckpoints(cp.services, { all: true });
    // The key was created at start-up, before any checkpoint; there is still only that one.
    expect((await db.query('select created_at < (select min(signed_at) from audit_checkpoints) as first from audit_signing_keys')).rows).toEqual([
      { first: true },
    ]);
    const wellKnown = await fetch(`${cp.url}/.well-known/keyward-audit-keys.json`);
    expect(wellKnown.status).toBe(200);
    const { keys } = (await wellKnown.json()) as { keys: { keyId: string; algorithm: string; publicKey: string }[] };
    expect(keys).toHaveLength(1);
    expect(keys[0]!.algorithm).toBe('Ed25519');
    const gql = await cp.gql<{ auditSigningKeys: { keyId: string; publicKey: string }[] }>('{ auditSigningKeys { keyId publicKey } }');
    expect(gql.data!.auditSigningKeys).toEqual([{ keyId: keys[0]!.keyId, publicKey: keys[0]!.publicKey }]);

    const { rows } = await db.query(`select seq, hash, signed_at, key_id, signature, organization_id from audit_checkpoints where organization_id = $1`, [
      owner.orgId,
    ]);
    const cp0 = rows[0]!;
    const message = JSON.stringify({
      hash: cp0.hash,
      keyId: cp0.key_id,
      kind: 'audit',
      orgId: owner.orgId,
      seq: Number(cp0.seq),
      signedAt: cp0.signed_at.toISOString(),
      type: 'keyward.audit.checkpoint',
    });
    const publicKey = createPublicKey({ key: Buffer.from(keys[0]!.publicKey, 'base64'), format: 'der', type: 'spki' });
    expect(verifySignature(null, Buffer.from(message), publicKey, Buffer.from(cp0.signature, 'base64'))).toBe(true);

    const [sealed] = (await db.query(`select key_id, kek_id as "kekId", wrapped_key as "wrappedKey", iv, ciphertext, tag from audit_signing_keys`)).rows;
    const pem = await openSecret(cp.services.kms, sealed, `audit-signing-key:${sealed.key_id}`);
    const privateBody = pem
      .split('\n')
      .filter((line) => line && !line.startsWith('-----'))
      .join('');
    expect(privateBody.length).toBeGreaterThan(40);
    const answers = [
      await (await fetch(`${cp.url}/.well-known/keyward-audit-keys.json`)).text(),
      JSON.stringify(gql),
      await readFile(await exportTrail(owner), 'utf8'),
      JSON.stringify(await verifyTrail(owner)),
    ];
    for (const text of answers) expect(text).not.toContain(privateBody);
    expect(findSecretsInLogs(cp.logs, [privateBody])).toEqual([]);
  });

  it('lets auditors, admins and owners verify and export, and no one else', async () => {
    const developer = await createOrgWithMember(cp, 'developer');
    const res = await developer.gql(VERIFY);
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const download = await fetch(`${cp.url}/v1/audit/trail.ndjson`, { headers: { authorization: `Bearer ${developer.token}` } });
    expect(download.status).toBe(403);
    expect(await download.json()).toEqual({ error: { code: 'FORBIDDEN', message: 'Your role (developer) does not allow audit:read.' } });
    const anonymous = await fetch(`${cp.url}/v1/audit/trail.ndjson`);
    expect(anonymous.status).toBe(401);
    const auditor = await addMember(cp, developer.orgId, 'auditor');
    const badRange = await fetch(`${cp.url}/v1/audit/trail.ndjson?from=yesterday`, { headers: { authorization: `Bearer ${auditor.token}` } });
    expect(badRange.status).toBe(400);
    expect(await badRange.json()).toEqual({ error: { code: 'BAD_USER_INPUT', message: 'from must be an ISO 8601 date or time, like 2026-01-31T00:00:00Z.' } });
    const reversed = await auditor.gql(VERIFY, { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' });
    expect(reversed.errors?.[0]?.message).toBe('`from` must be before `to`.');
  });
});

import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecret } from '@keyward/shared';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startEmbeddedPostgres, type RunningPostgres } from '../db/embedded-postgres.js';
import { postEvents, usageEvent } from '../testing/enforcement-fixtures.js';
import { createOrgWithOwner, expectOk, type TestOrg } from '../testing/fixtures.js';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane.js';
import S3rver from 's3rver';
import { restoreBackup, writeBackup } from './backup.js';
import { runBackupsEvery } from './backup-run.js';
import { listObjects } from '../s3/s3-bucket.js';
import { backupBucketFrom } from './s3-bucket.js';

/** The system's newest PostgreSQL server, so its own pg_dump and pg_restore (the embedded PostgreSQL ships none) can serve it. */
const SYSTEM_PG = join(
  '/usr/lib/postgresql',
  readdirSync('/usr/lib/postgresql')
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))[0] ?? 'missing',
  'bin',
);
const nodeToken = generateSecret('node_token');
/** The secrets kept outside the database: the restored control plane starts with the same ones. */
const env = {
  KEYWARD_KMS: `local-key:${randomBytes(32).toString('base64')}`,
  KEYWARD_KEY_PEPPER: randomBytes(32).toString('base64'),
  KEYWARD_HASH_SALT: randomBytes(32).toString('base64'),
  KEYWARD_NODE_TOKEN: nodeToken,
};
const ANSWERS = `{
  keys(first: 100) { nodes { id name status prefix ownerLabel } }
  policies { id name currentVersion source }
  usageEvents(first: 100) { nodes { id keyId model costMicros startedAt } }
  verifyAuditTrail { ok }
}`;

let server: RunningPostgres;
let work: string;
let cp: TestControlPlane | undefined;
let org: TestOrg;
let identity: string;
let recipients: string[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'keyward-backup-'));
  // PostgreSQL runs as its own user when the tests run as root: it must reach its data folder.
  await chmod(work, 0o777);
  server = await startEmbeddedPostgres({ dataDir: join(work, 'pg'), ephemeral: true, binDir: SYSTEM_PG });
  identity = await generateX25519Identity();
  recipients = [await identityToRecipient(identity), await identityToRecipient(await generateX25519Identity())];
}, 120_000);

afterAll(async () => {
  await cp?.close();
  await server?.stop();
  await rm(work, { recursive: true, force: true });
});

async function answers(plane: TestControlPlane): Promise<unknown> {
  const res = await plane.gql(ANSWERS, {}, { session: org.owner.session });
  expectOk(res);
  return res.data;
}

async function emptyDatabase(): Promise<string> {
  const name = `kw_restored_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  return name;
}

describe('encrypted backups', () => {
  it('backs up, the database is wiped, and a restore into an empty database answers the same keys, policies and events', async () => {
    cp = await startTestControlPlane(server.adminUrl, env);
    org = await createOrgWithOwner(cp, { email: 'backup-owner@example.test' });
    const key = await cp.gql<{ createKey: { key: { id: string } } }>(
      'mutation { createKey(input: { name: "backed-up key", ownerLabel: "nightly agent" }) { key { id } } }',
      {},
      { session: org.owner.session },
    );
    expectOk(key);
    expectOk(
      await cp.gql(
        'mutation($s: String!) { createPolicy(input: { source: $s }) { id } }',
        { s: 'name: keep-shell-out\nrules:\n  - id: no-shell\n    when: { toolOffered: shell* }\n    action: block\n' },
        { session: org.owner.session },
      ),
    );
    const events = [usageEvent(org.orgId, key.data!.createKey.key.id), usageEvent(org.orgId, key.data!.createKey.key.id, { model: 'gpt-4o' })];
    expect((await postEvents(cp, nodeToken, { type: 'events', nodeId: 'node-backup', events })).body).toEqual({ accepted: 2, duplicates: 0 });
    const before = (await answers(cp)) as {
      keys: { nodes: unknown[] };
      policies: unknown[];
      usageEvents: { nodes: unknown[] };
      verifyAuditTrail: { ok: boolean };
    };
    expect([before.keys.nodes.length, before.policies.length, before.usageEvents.nodes.length, before.verifyAuditTrail.ok]).toEqual([1, 1, 2, true]);

    const dir = join(work, 'backups');
    const file = await writeBackup({ databaseUrl: cp.databaseUrl, recipients, dir, pgBinDir: null });
    expect(await readdir(dir)).toEqual([file.split('/').pop()]);
    expect(file).toMatch(/keyward-\d{8}T\d{6}Z\.dump\.age$/);

    // A backup without the private key reveals nothing: no table name, email or key name in it.
    const bytes = await readFile(file);
    expect(bytes.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    const text = bytes.toString('latin1');
    for (const plain of ['usage_events', 'audit_entries', 'users', 'CREATE TABLE', 'PGDMP', 'backup-owner@example.test', 'backed-up key', 'nightly agent'])
      expect(text).not.toContain(plain);

    await cp.close(); // drops its database: the installation is gone
    cp = undefined;

    const restored = await emptyDatabase();
    const identityFile = join(work, 'identity.txt');
    await writeFile(identityFile, identity, { mode: 0o600 });
    await restoreBackup({ databaseUrl: server.urlFor(restored), identity: await readFile(identityFile, 'utf8'), file, pgBinDir: null });
    cp = await startTestControlPlane(server.adminUrl, env, { databaseName: restored });
    expect(await answers(cp)).toEqual(before);
  }, 120_000);

  it('refuses another identity, and a database that is not empty', async () => {
    const dir = join(work, 'backups');
    const [name] = await readdir(dir);
    const file = join(dir, name!);
    const stranger = await generateX25519Identity();
    await expect(restoreBackup({ databaseUrl: server.urlFor(await emptyDatabase()), identity: stranger, file, pgBinDir: null })).rejects.toThrow(
      /cannot be decrypted with this identity|no identity matched/,
    );
    await expect(restoreBackup({ databaseUrl: cp!.databaseUrl, identity, file, pgBinDir: null })).rejects.toThrow(
      /is not empty \(\d+ tables\): restore into a new, empty database/,
    );
  });

  it('says which pg_dump is missing when none matches the server', async () => {
    await expect(writeBackup({ databaseUrl: cp!.databaseUrl, recipients, dir: work, pgBinDir: join(work, 'nowhere') })).rejects.toThrow(
      /No pg_dump of PostgreSQL \d+ or newer was found: install the PostgreSQL \d+ client programs .* set KEYWARD_PG_BIN_DIR/,
    );
    await expect(writeBackup({ databaseUrl: cp!.databaseUrl, recipients: ['ssh-ed25519 AAAA'], dir: work, pgBinDir: null })).rejects.toThrow(
      /KEYWARD_BACKUP_RECIPIENTS holds "ssh-ed25519 …", which is not an age public key/,
    );
  });

  it('writes to a folder and an S3-compatible bucket on a schedule, keeping the newest two in each', async () => {
    const port = await freePort();
    const s3 = new S3rver({ port, address: '127.0.0.1', silent: true, directory: join(work, 's3'), configureBuckets: [{ name: 'backups', configs: [] }] });
    await s3.run();
    try {
      const bucket = backupBucketFrom({
        KEYWARD_BACKUP_S3_URL: `http://127.0.0.1:${port}/backups/nightly`,
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
      })!;
      const dir = join(work, 'rotated');
      const written: string[][] = [];
      const failures: Error[] = [];
      const stop = new AbortController();
      // Names carry the second: a round every 1.1 s gives each backup its own.
      await runBackupsEvery({ databaseUrl: cp!.databaseUrl, recipients, pgBinDir: null, dir, bucket, keep: 2 }, 1_100, stop.signal, (outcome) => {
        if ('error' in outcome) failures.push(outcome.error);
        else written.push(outcome.written);
        if (written.length + failures.length === 3) stop.abort();
      });
      expect(failures).toEqual([]);
      const names = written.map(([path]) => path!.split('/').pop()!);
      expect(new Set(names).size).toBe(3);
      expect(written.map((w) => w[1])).toEqual(names.map((n) => `http://127.0.0.1:${port}/backups/nightly/${n}`));
      expect((await readdir(dir)).sort()).toEqual(names.slice(1));
      expect((await listObjects(bucket, 'keyward-')).sort()).toEqual(names.slice(1));
      // The object is the encrypted file, byte for byte.
      const object = Buffer.from(await (await fetch(written[2]![1]!)).arrayBuffer());
      expect(object.equals(await readFile(written[2]![0]!))).toBe(true);
      expect(object.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    } finally {
      await s3.close();
    }
  });
});

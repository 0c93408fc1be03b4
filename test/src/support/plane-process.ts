import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { displayPrefix, generateSecret, hashSecret, LocalFileKms } from '@keyward/shared';

/** The repository's root, where each plane's built `dist/main.js` lives. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A control plane or data plane run from its build as a process of its own (`npm run build` first). */
export interface PlaneProcess {
  readonly url: string;
  /** Its stdout and stderr, line by line. */
  readonly logs: string[];
  readonly exited: Promise<number | null>;
  /** Sends a signal to the process (SIGKILL: it dies with no chance to clean up). */
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, then waits for the exit (SIGKILL after 15 s). */
  stop(): Promise<void>;
}

/**
 * Starts `node <plane>/dist/main.js` with exactly `env` (and PATH), listening on `port`, and
 * resolves once its `/readyz` answers 200: the control plane reaches its database, the data
 * plane serves a config. Rejects with its output when it exits first or is not ready in time.
 * `root` is where the build is: the repository's, or another release's.
 */
export async function startPlaneProcess(
  plane: 'control-plane' | 'data-plane',
  port: number,
  env: Record<string, string>,
  readyWithinMs = 60_000,
  root = ROOT,
): Promise<PlaneProcess> {
  const child: ChildProcess = spawn(process.execPath, [join(root, plane, 'dist', 'main.js')], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let partial = '';
  const collect = (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    logs.push(...lines.filter(Boolean));
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let ended = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      ended = true;
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyWithinMs;
  for (;;) {
    if (ended) throw new Error(`${plane} on port ${port} exited before it was ready:\n${logs.slice(-20).join('\n')}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${plane} on port ${port} was not ready within ${readyWithinMs} ms:\n${logs.slice(-20).join('\n')}`);
    }
    const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) }).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    logs,
    exited,
    kill: (signal) => void (ended || child.kill(signal)),
    async stop() {
      if (ended) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(force);
    },
  };
}

/**
 * Gives the first owner (created by the first control plane on an empty database) an owner API
 * token, stored as `createApiToken` stores one; returns the token and the organization's id.
 */
export async function firstOwnerToken(db: pg.Client, keyPepperBase64: string): Promise<{ token: string; orgId: string }> {
  const token = generateSecret('api_token');
  const { rows } = await db.query<{ organization_id: string }>(
    `insert into api_tokens (id, created_at, updated_at, organization_id, name, prefix, token_hash, role, created_by_id)
     select gen_random_uuid(), now(), now(), organization_id, 'test token', $1, $2, 'owner', user_id from memberships limit 1
     returning organization_id`,
    [displayPrefix(token), hashSecret(token, Buffer.from(keyPepperBase64, 'base64'))],
  );
  if (!rows[0]) throw new Error('the database has no first owner yet');
  return { token, orgId: rows[0].organization_id };
}

/** What processes of one test system share: a fresh database, a state directory and a local KMS key file in it. */
export interface ProcessSystemBase {
  readonly databaseUrl: string;
  readonly dir: string;
  /** `KEYWARD_KMS` for every plane. */
  readonly kmsSpec: string;
}

/**
 * Creates a database named `kw_<name>_…` on the test server and a temporary directory with a KMS
 * key file; `cleanups` gets how to remove both.
 */
export async function processSystemBase(pgAdminUrl: string, name: string, cleanups: (() => Promise<unknown>)[]): Promise<ProcessSystemBase> {
  const admin = new pg.Client({ connectionString: pgAdminUrl });
  await admin.connect();
  const dbName = `kw_${name}_${randomBytes(4).toString('hex')}`;
  await admin.query(`create database "${dbName}"`);
  cleanups.push(async () => {
    await admin.query(`drop database if exists "${dbName}" with (force)`);
    await admin.end();
  });
  const dir = await mkdtemp(join(tmpdir(), `keyward-${name}-`));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await LocalFileKms.open(join(dir, 'kek.json'), { create: true });
  return { databaseUrl: pgAdminUrl.replace(/\/[^/?]*(\?|$)/, `/${dbName}$1`), dir, kmsSpec: `local:${join(dir, 'kek.json')}` };
}

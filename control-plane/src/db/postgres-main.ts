/**
 * The embedded PostgreSQL as a process of its own, run by `npm start` beside the planes so that
 * a crashed control plane never leaves a database behind, and stopped after the planes. It
 * reports `{ type: 'ready', databaseUrl }` to its parent over IPC once the `keyward` database
 * exists, stops the server on SIGTERM/SIGINT, and also when its parent goes away.
 *
 * Environment: `KEYWARD_STATE_DIR` (data under `<state>/pg`, log in `<state>/postgres.log`) and
 * `KEYWARD_EMBEDDED_PG_PORT` (preferred port, 54329 by default; when it is taken, by another
 * checkout or program, a free port is used and the sentence saying so is printed).
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { embeddedDataDir } from './embedded-data-dir.js';
import { freePort, portIsFree, startEmbeddedPostgres, type RunningPostgres } from './embedded-postgres.js';
import { postgresUser } from './postgres-binaries.js';
import { clearStaleServer } from './stale-postgres.js';

const DEFAULT_PORT = 54329;
/** After the parent vanished, the planes it ran get this long to stop before the database does. */
const ORPHAN_GRACE_MS = 5_000;

async function main() {
  const stateDir = resolve(process.env.KEYWARD_STATE_DIR || '.keyward');
  const preferred = preferredPort(process.env.KEYWARD_EMBEDDED_PG_PORT);
  await mkdir(stateDir, { recursive: true });
  const logFile = createWriteStream(join(stateDir, 'postgres.log'), { flags: 'a', mode: 0o600 });
  const dataDir = await embeddedDataDir(stateDir, await postgresUser());
  let stopping = false;
  let pg: RunningPostgres | null = null;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await pg?.stop().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.on('disconnect', () => setTimeout(() => void stop(), ORPHAN_GRACE_MS));

  const onLog = (line: string) => void logFile.write(line);
  // A server an earlier run left behind still holds its port: stop it before looking for one.
  await clearStaleServer(dataDir, (line) => {
    process.stdout.write(line);
    onLog(line);
  });
  pg = await startEmbeddedPostgres({ dataDir, port: await choosePort(preferred), onLog });
  await pg.ensureDatabase('keyward');
  void pg.exited.then((how) => {
    if (stopping) return;
    process.stderr.write(`The embedded PostgreSQL stopped unexpectedly (${how}); its log is ${join(stateDir, 'postgres.log')}.\n`);
    process.exit(1);
  });
  process.send?.({ type: 'ready', databaseUrl: pg.urlFor('keyward'), port: pg.port, dataDir });
}

function preferredPort(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    process.stderr.write('Keyward database cannot start: KEYWARD_EMBEDDED_PG_PORT must be a port number between 1 and 65535.\n');
    process.exit(78);
  }
  return port;
}

async function choosePort(preferred: number): Promise<number> {
  if (await portIsFree(preferred)) return preferred;
  const port = await freePort();
  process.stdout.write(`PostgreSQL port ${preferred} is in use by another program or checkout; the embedded PostgreSQL uses port ${port} instead.\n`);
  return port;
}

main().catch((error: unknown) => {
  process.stderr.write(`Keyward database failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

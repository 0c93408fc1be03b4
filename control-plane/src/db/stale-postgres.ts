import { readFileSync } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const STOP_TIMEOUT_MS = 20_000;

/**
 * Makes the data directory free for a new server. A `postmaster.pid` left by an earlier run
 * either names a PostgreSQL still serving this directory: if the Node process that started it
 * still runs (another start on the same state directory), this one refuses with a sentence;
 * if that process crashed and left it running, the server is asked to stop (fast shutdown) and
 * awaited. Or the file names a process that is gone or is something else (the pid was reused
 * after a reboot or a container restart): the file is removed, since PostgreSQL would refuse
 * to start while that pid is alive.
 */
export async function clearStaleServer(dataDir: string, log: (line: string) => void): Promise<void> {
  const lockFile = join(dataDir, 'postmaster.pid');
  const lock = await readFile(lockFile, 'utf8').catch(() => null);
  if (lock === null) return;
  const pid = Number(lock.split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && (await isPostgresServing(pid, dataDir))) {
    const owner = await runningParent(pid);
    if (owner) {
      throw new Error(
        `PostgreSQL on ${dataDir} is in use by another running start (process ${owner}); stop that one first, or give this one another KEYWARD_STATE_DIR.`,
      );
    }
    log(`Stopping PostgreSQL (pid ${pid}) left running on ${dataDir} by an earlier run.\n`);
    signal(pid, 'SIGINT');
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (alive(pid) && Date.now() < deadline) await sleep(100);
    if (alive(pid)) {
      signal(pid, 'SIGKILL');
      while (alive(pid)) await sleep(100);
    }
  }
  await unlink(lockFile).catch(() => undefined);
}

/** True when the process is a PostgreSQL server whose data directory (`-D`) is `dataDir`. */
async function isPostgresServing(pid: number, dataDir: string): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => null);
  if (cmdline === null) return alive(pid) && (await lockNamesDir(dataDir));
  const args = cmdline.split('\0');
  const d = args.indexOf('-D');
  return /(^|\/)postgres$/.test(args[0] ?? '') && d >= 0 && resolve(args[d + 1] ?? '') === resolve(dataDir);
}

/**
 * The pid of the Node process that still runs the server (another start on the same state
 * directory), or null when the server was orphaned: its parent is gone and it was re-parented
 * to init or a subreaper.
 */
async function runningParent(pid: number): Promise<number | null> {
  const ppid = Number(/^\d+ \(.*\) \S (\d+)/.exec(readStat(pid) ?? '')?.[1]);
  if (!ppid || ppid === 1) return null;
  const args = (await readFile(`/proc/${ppid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  return /(^|\/)node$/.test(args[0] ?? '') ? ppid : null;
}

/** Without /proc (macOS), trust the lock file's own second line, the data directory it locks. */
async function lockNamesDir(dataDir: string): Promise<boolean> {
  const lock = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '');
  return resolve(lock.split('\n')[1] ?? '') === resolve(dataDir);
}

/** True while the process exists and is not a zombie (an orphan's parent may never reap it, e.g. in a container). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readStat(pid);
  return stat === null || !/^\d+ \(.*\) Z/.test(stat);
}

function readStat(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
}

function signal(pid: number, name: NodeJS.Signals) {
  try {
    process.kill(pid, name);
  } catch {
    /* already gone */
  }
}

// The parts `npm start` runs — the embedded PostgreSQL, the control plane, a data plane — each
// as a child process that is started, watched, restarted with backoff after a crash, and stopped
// on request. Children run in process groups of their own, so a Ctrl-C reaches only the start
// script, which stops them in order; each child also stops when the start script disappears
// (its IPC channel closes), so a killed start leaves nothing running.
import { spawn } from 'node:child_process';
import { root } from './lib.mjs';

/** Waits before restart attempt 1, 2, 3…; the last one repeats. */
const BACKOFF_MS = [1000, 2000, 4000, 8000, 16000, 30000];
/** A part that ran this long before crashing starts over at the first backoff step. */
const STABLE_MS = 60_000;
const KILL_AFTER_MS = 10_000;
/** Exit code of a configuration error (EX_CONFIG): restarting would fail the same way. */
const EX_CONFIG = 78;

/**
 * @param {{ name: string, script: string, env: () => Record<string, string>, ready: (child: import('node:child_process').ChildProcess) => Promise<boolean> }} spec
 *   `env` is read at every (re)start; `ready` resolves true once the part serves, false if it exits first.
 * @param {{ onFatal: (sentence: string) => void }} hooks `onFatal` hears a part that cannot run: it
 *   failed before it was ever ready, or its configuration is wrong.
 */
export function supervise(spec, { onFatal }) {
  let child = null;
  let everReady = false;
  let stopping = false;
  let restartTimer = null;
  let failures = 0;
  let startedAt = 0;

  const launch = async () => {
    restartTimer = null;
    startedAt = Date.now();
    child = spawn(process.execPath, [spec.script], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, ...spec.env() },
      detached: true,
    });
    child.once('exit', (code, signal) => exited(code, signal));
    const ok = await spec.ready(child);
    if (ok) everReady = true;
    return ok;
  };

  const exited = (code, signal) => {
    if (stopping) return;
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    if (!everReady || code === EX_CONFIG) {
      onFatal(`The ${spec.name} could not start (${how}); the reason is printed above.`);
      return;
    }
    if (Date.now() - startedAt >= STABLE_MS) failures = 0;
    const delay = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)];
    failures += 1;
    console.error(`The ${spec.name} stopped unexpectedly (${how}); restarting it in ${delay / 1000} s.`);
    restartTimer = setTimeout(() => void launch(), delay);
  };

  return {
    name: spec.name,
    /** Starts the part; resolves true once it is ready. */
    start: launch,
    /** The running process's id, if any. */
    get pid() {
      return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    /** Stops the part (SIGTERM, then SIGKILL after 10 s) and cancels any pending restart. */
    async stop() {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
      await gone;
      clearTimeout(force);
    },
  };
}

/** Resolves true once `url` answers 2xx, false when the child exits first or after two minutes. */
export async function healthy(url, child) {
  for (let i = 0; i < 1200 && child.exitCode === null && child.signalCode === null; i++) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** Resolves with the child's first IPC message of the given type, or null when it exits first. */
export function message(child, type) {
  return new Promise((resolve) => {
    const onMessage = (m) => {
      if (m && m.type === type) {
        child.off('message', onMessage);
        resolve(m);
      }
    };
    child.on('message', onMessage);
    child.once('exit', () => resolve(null));
  });
}

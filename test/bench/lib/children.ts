/**
 * Server processes the benchmark starts: each its own child (so CPU and memory can be read per
 * process), optionally pinned to a core with `taskset`, output sent to a log file, and all of
 * them stopped at the end — also when the benchmark fails or is interrupted.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** A running child server. */
export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** Where its stdout and stderr go. */
  readonly logFile: string;
  /** The first IPC message it sent (servers announce their address this way), if it uses IPC. */
  readonly hello: Record<string, unknown> | null;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

/** How to start a child. */
export interface ChildSpec {
  readonly name: string;
  /** A JavaScript file run with this Node. */
  readonly script: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Extra Node flags (e.g. `--cpu-prof`). */
  readonly nodeFlags?: readonly string[];
  /** Core list for `taskset -c` (e.g. `"1"`); null runs unpinned. */
  readonly cores: string | null;
  readonly logFile: string;
  /** Wait for the child's first IPC message (its address) instead of returning at once. */
  readonly waitForHello?: boolean;
  /** Give up waiting after this long (default 120 s: a first PostgreSQL initdb is slow). */
  readonly startTimeoutMs?: number;
  readonly cwd?: string;
}

const running = new Set<Child>();
let hooksInstalled = false;

/** True when `taskset` (util-linux) can pin processes here. */
export function canPin(): boolean {
  return spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }).status === 0;
}

/** Pins this process (all its threads) to `cores`; returns false when that failed. */
export function pinSelf(cores: string): boolean {
  return spawnSync('taskset', ['-a', '-p', '-c', cores, String(process.pid)], { stdio: 'ignore' }).status === 0;
}

/** Starts a child; rejects (and kills it) when it exits or stays silent before it said hello. */
export async function startChild(spec: ChildSpec): Promise<Child> {
  installHooks();
  const fd = openSync(spec.logFile, 'a');
  const nodeArgs = [...(spec.nodeFlags ?? []), spec.script, ...(spec.args ?? [])];
  // taskset execs Node in place, so the pid (and the IPC channel) are the server's own.
  const [command, args] = spec.cores !== null ? ['taskset', ['-c', spec.cores, process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const child = spawn(command, args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', fd, fd, 'ipc'],
  });
  closeSync(fd);
  const exited = once(child, 'exit').then(() => undefined);
  let hello: Record<string, unknown> | null = null;
  const entry: Child = {
    name: spec.name,
    pid: child.pid ?? -1,
    process: child,
    logFile: spec.logFile,
    get hello() {
      return hello;
    },
    async stop(graceMs = 10_000) {
      running.delete(entry);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  running.add(entry);
  if (!spec.waitForHello) {
    child.disconnect?.();
    return entry;
  }
  try {
    hello = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${spec.name} did not start within ${spec.startTimeoutMs ?? 120_000} ms (see ${spec.logFile}).`)),
        spec.startTimeoutMs ?? 120_000,
      );
      child.once('message', (message) => {
        clearTimeout(timer);
        const value = message as Record<string, unknown>;
        if (typeof value.error === 'string') reject(new Error(`${spec.name} failed to start: ${value.error} (see ${spec.logFile})`));
        else resolve(value);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${spec.name} exited (${code ?? signal}) before it was ready; see ${spec.logFile}.`));
      });
    });
  } catch (err) {
    await entry.stop(2_000);
    throw err;
  }
  // The address is all the benchmark needs; an open channel would keep both processes busy.
  child.disconnect();
  return entry;
}

/** Stops every child still running, in reverse start order. */
export async function stopAllChildren(): Promise<void> {
  for (const child of [...running].reverse()) await child.stop();
}

/**
 * Kills children when this process dies unexpectedly. A signal triggers a graceful stop first
 * (the control plane stops its PostgreSQL); `exit` can only SIGKILL synchronously.
 */
function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.process.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping the benchmark's servers…\n`);
      void stopAllChildren().finally(() => process.exit(130));
    });
  }
}

/** Polls `url` until it answers 200 (any status with `anyStatus`), or fails after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs: number, child?: Child, anyStatus = false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child && child.process.exitCode !== null) throw new Error(`${child.name} exited before it answered ${url}; see ${child.logFile}.`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200 || anyStatus) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (${last}).`);
}

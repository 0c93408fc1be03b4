import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** `npm start` (or any command) run in its own process group, with its output collected. */
export interface StartedCommand {
  readonly child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output (searched from `from`), or rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number, from?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code once the command has ended. */
  readonly exited: Promise<number | null>;
  /** Sends a signal to the whole process group, as a terminal's Ctrl-C does. */
  signalGroup(signal: NodeJS.Signals): void;
}

/** Runs a shell command line in `cwd`, in a new process group. */
export function startCommand(command: string, cwd: string, env: NodeJS.ProcessEnv): StartedCommand {
  const child = spawn('sh', ['-c', command], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => text,
    exited,
    signalGroup(signal) {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        /* the group is gone */
      }
    },
    waitFor(pattern, timeoutMs, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = text.slice(from).match(pattern);
          if (m) {
            done();
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${pattern}; output so far:\n${text.slice(-4000)}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** A process seen in /proc. */
export interface ProcessInfo {
  readonly pid: number;
  readonly args: string[];
  readonly cwd: string | null;
}

/** Every process of the machine (Linux /proc), skipping zombies. */
function listProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (/^\d+ \(.*\) Z/.test(stat)) continue;
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      let cwd: string | null = null;
      try {
        cwd = readlinkSync(`/proc/${name}/cwd`);
      } catch {
        /* not ours to read */
      }
      out.push({ pid: Number(name), args, cwd });
    } catch {
      /* ended meanwhile */
    }
  }
  return out;
}

/** The processes `npm start` in `checkout` runs: node processes working there, and the PostgreSQL on `dataDir`. */
export function keywardProcesses(checkout: string, dataDir: string): { node: ProcessInfo[]; postgres: ProcessInfo[] } {
  const all = listProcesses();
  return {
    node: all.filter((p) => p.cwd === checkout && p.pid !== process.pid),
    postgres: all.filter((p) => /(^|\/)postgres$/.test(p.args[0] ?? '') && p.args.includes(dataDir)),
  };
}

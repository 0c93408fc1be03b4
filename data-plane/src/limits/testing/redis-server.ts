import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** A throwaway `redis-server` child process for tests and benchmarks. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** False after `stop` until `restart`. */
  readonly running: boolean;
  /** Stops the server (its data is gone: nothing is persisted). */
  stop(): Promise<void>;
  /** Starts a fresh, empty server on the same port. */
  restart(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open but nothing answers. */
  pause(): void;
  resume(): void;
}

/**
 * Starts `redis-server` (Debian's package) on a free loopback port with persistence off, and
 * resolves once it accepts connections. The child is killed if this process exits first.
 */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | null = await launch(port);
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    const running = child;
    child = null;
    if (running === null || running.exitCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGCONT');
    running.kill('SIGTERM');
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== null;
    },
    async stop() {
      await stop();
      process.removeListener('exit', killOnExit);
    },
    async restart() {
      await stop();
      child = await launch(port);
    },
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
  };
}

/** The arguments of a loopback server on `port` with persistence off. */
function serverArgs(port: number): string[] {
  return ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'notice'];
}

async function launch(port: number, args: readonly string[] = serverArgs(port)): Promise<ChildProcess> {
  const child = spawn('redis-server', [...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections') || output.includes('Sentinel ID is')) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error('redis-server is not installed (apt-get install -y redis-server).') : error),
    );
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code} before it was ready:\n${output}`)));
  });
  child.stderr!.resume();
  return child;
}

/** Several `redis-server` processes started together, killed if this process exits first. */
interface ProcessGroup {
  readonly children: ChildProcess[];
  stopAll(): Promise<void>;
}

async function launchGroup(specs: readonly { port: number; args: readonly string[] }[], dir: string): Promise<ProcessGroup> {
  const children: ChildProcess[] = [];
  const killOnExit = () => children.forEach((child) => child.kill('SIGKILL'));
  process.once('exit', killOnExit);
  try {
    for (const spec of specs) children.push(await launch(spec.port, spec.args));
  } catch (error) {
    killOnExit();
    throw error;
  }
  return {
    children,
    async stopAll() {
      process.removeListener('exit', killOnExit);
      await Promise.all(children.filter((c) => c.exitCode === null && c.signalCode === null).map((c) => stopChild(c)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGCONT');
  child.kill('SIGKILL');
  await exited;
}

/** A throwaway Redis Cluster of `masters` nodes (no replicas), slots spread over all of them. */
export interface RedisClusterServers {
  /** `redis+cluster://` naming every node. */
  readonly url: string;
  readonly ports: readonly number[];
  stop(): Promise<void>;
}

/** Starts a Redis Cluster on loopback ports and resolves once every slot is served. */
export async function startRedisCluster(masters = 3): Promise<RedisClusterServers> {
  const dir = await mkdtemp(join(tmpdir(), 'keyward-redis-cluster-'));
  const ports = await Promise.all(Array.from({ length: masters }, () => freePort()));
  // Each node's cluster bus gets a free port of its own too: by default it is the port plus 10,000, which may be taken (or past 65535).
  const busPorts = await Promise.all(ports.map(() => freePort()));
  const group = await launchGroup(
    ports.map((port, i) => ({
      port,
      args: [
        ...serverArgs(port),
        '--dir',
        dir,
        '--cluster-enabled',
        'yes',
        '--cluster-port',
        String(busPorts[i]),
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        '2000',
      ],
    })),
    dir,
  );
  try {
    await redisCli(['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-yes']);
    for (const port of ports) {
      await until(async () => (await redisCli(['-p', String(port), 'cluster', 'info'])).includes('cluster_state:ok'), 'cluster_state:ok');
    }
  } catch (error) {
    await group.stopAll();
    throw error;
  }
  return { url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`, ports, stop: () => group.stopAll() };
}

/** A throwaway Sentinel setup: a master, one replica and one sentinel watching them (quorum 1). */
export interface RedisSentinelServers {
  /** `redis+sentinel://` naming the sentinel and the master name. */
  readonly url: string;
  readonly masterPort: number;
  readonly replicaPort: number;
  /** Kills the current master with SIGKILL (its data survives on the replica it fed). */
  killMaster(): Promise<void>;
  /** Resolves once the sentinel names a master on `port`. */
  waitForMaster(port: number, withinMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The master name the test sentinel watches. */
const SENTINEL_MASTER = 'keyward';

/** Starts a master, its replica and a sentinel, and resolves once the replica is in sync. */
export async function startRedisSentinel(): Promise<RedisSentinelServers> {
  const dir = await mkdtemp(join(tmpdir(), 'keyward-redis-sentinel-'));
  const [masterPort, replicaPort, sentinelPort] = [await freePort(), await freePort(), await freePort()];
  const config = join(dir, 'sentinel.conf');
  await writeFile(
    config,
    [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${SENTINEL_MASTER} 1000`,
      `sentinel failover-timeout ${SENTINEL_MASTER} 5000`,
      '',
    ].join('\n'),
  );
  const group = await launchGroup(
    [
      // A replica's first sync writes a snapshot file: into the throwaway folder.
      { port: masterPort, args: [...serverArgs(masterPort), '--dir', dir] },
      { port: replicaPort, args: [...serverArgs(replicaPort), '--dir', dir, '--replicaof', '127.0.0.1', String(masterPort)] },
      { port: sentinelPort, args: [config, '--sentinel'] },
    ],
    dir,
  );
  const masterNow = async () => (await redisCli(['-p', String(sentinelPort), 'sentinel', 'get-master-addr-by-name', SENTINEL_MASTER])).split('\n')[1]?.trim();
  try {
    await until(async () => (await redisCli(['-p', String(replicaPort), 'info', 'replication'])).includes('master_link_status:up'), 'the replica in sync');
  } catch (error) {
    await group.stopAll();
    throw error;
  }
  return {
    url: `redis+sentinel://127.0.0.1:${sentinelPort}/${SENTINEL_MASTER}`,
    masterPort,
    replicaPort,
    async killMaster() {
      const port = Number(await masterNow());
      const master = group.children[port === masterPort ? 0 : 1]!;
      await stopChild(master);
    },
    waitForMaster: (port, withinMs = 30_000) => until(async () => (await masterNow()) === String(port), `the sentinel to name port ${port}`, withinMs),
    stop: () => group.stopAll(),
  };
}

async function redisCli(args: readonly string[]): Promise<string> {
  const { stdout } = await execFileAsync('redis-cli', [...args], { timeout: 10_000 });
  return stdout;
}

async function until(check: () => Promise<boolean>, what: string, withinMs = 15_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // Not up yet.
    }
    if (Date.now() > deadline) throw new Error(`Redis test servers: waited ${withinMs} ms for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('No port.'))));
    });
  });
}

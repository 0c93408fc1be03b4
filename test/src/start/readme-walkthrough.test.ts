import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@keyward/control-plane';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sectionCodeBlocks } from './support/readme-blocks.js';
import { keywardProcesses, startCommand, type StartedCommand } from './support/keyward-process.js';

/**
 * The README's promise, kept by running it: a fresh clone of HEAD (commit first — a clone has no
 * uncommitted changes) in a `mktemp -d` folder (mode 0700, so as root the postgres user cannot
 * enter it), `npm start` there, then the "Try it" walk-through's own code blocks, taken from
 * the README so the test breaks when the README drifts. Then the crash paths: a killed control
 * plane, a killed start that leaves its PostgreSQL behind, a taken PostgreSQL port, Ctrl-C.
 */
const repo = resolve(import.meta.dirname, '../../..');
const MINUTE = 60_000;

let work: string;
let checkout: string;
let ports: { cp: number; dp: number; pg: number; mock: number };
let env: NodeJS.ProcessEnv;
let start: StartedCommand | null = null;
let mock: StartedCommand | null = null;
let signInToken: string;
let apiToken: string;
const blockers: Server[] = [];

const stateDir = () => join(checkout, '.keyward');
/** Where the embedded PostgreSQL keeps its data: `.keyward/pg`, or the directory `.keyward/pg-location` names. */
const dataDir = () => {
  const pointer = join(stateDir(), 'pg-location');
  return existsSync(pointer) ? readFileSync(pointer, 'utf8').trim() : join(stateDir(), 'pg');
};
const running = () => {
  const found = keywardProcesses(checkout, dataDir());
  return { node: found.node.filter((p) => !p.args.join(' ').includes('mock-provider')), postgres: found.postgres };
};
const npmStart = (extraEnv: NodeJS.ProcessEnv = {}) => startCommand('npm start', checkout, { ...env, ...extraEnv });
const graphql = async (query: string): Promise<{ data?: Record<string, unknown>; errors?: unknown[] }> => {
  const ask = () =>
    fetch(`http://127.0.0.1:${ports.cp}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });
  // A kept-alive connection the server has just closed fails once; a new one does not.
  const res = await ask().catch(ask);
  return (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
};
const untilServing = async (started: StartedCommand, from = 0) => {
  await started.waitFor(new RegExp(`"data plane listening"|"port":${ports.dp}`), 3 * MINUTE, from);
  for (let i = 0; i < 300; i++) {
    const ok = await Promise.all(
      [ports.cp, ports.dp].map((p) =>
        fetch(`http://127.0.0.1:${p}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      ),
    );
    if (ok.every(Boolean)) return;
    await sleep(100);
  }
  throw new Error('Keyward did not answer /healthz on both planes.');
};
/** Ctrl-C: SIGINT to the process group, then wait until every process of the start has ended; returns how long that took. */
const ctrlC = async (started: StartedCommand) => {
  const t = Date.now();
  started.signalGroup('SIGINT');
  await started.exited;
  while (running().node.length + running().postgres.length > 0 && Date.now() - t < MINUTE) await sleep(100);
  return Date.now() - t;
};

beforeAll(async () => {
  const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
  work = mkdtempSync(join(tmpdir(), 'keyward-clone-'));
  checkout = join(work, 'keyward');
  execFileSync('git', ['clone', '--quiet', '--no-checkout', repo, checkout]);
  execFileSync('git', ['checkout', '--quiet', '--detach', head], { cwd: checkout });
  ports = { cp: await freePort(), dp: await freePort(), pg: await freePort(), mock: await freePort() };
  // The planes' settings come from `npm start`, not from this test runner's environment.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(NODE_ENV|VITEST.*|KEYWARD_.*|DATABASE_URL|TEST_.*|MOCK_PROVIDER_.*)$/.test(k)),
  );
  env = {
    ...inherited,
    KEYWARD_CP_PORT: String(ports.cp),
    KEYWARD_DP_PORT: String(ports.dp),
    KEYWARD_EMBEDDED_PG_PORT: String(ports.pg),
    KEYWARD_PUBLIC_URL: `http://localhost:${ports.cp}`,
  };
}, MINUTE);

afterAll(async () => {
  for (const s of blockers) s.close();
  for (const c of [start, mock]) {
    if (c && c.child.exitCode === null) {
      c.signalGroup('SIGINT');
      await Promise.race([c.exited, sleep(20_000)]);
      c.signalGroup('SIGKILL');
    }
  }
  if (checkout) {
    const left = running();
    for (const p of [...left.node, ...left.postgres]) spawnSync('kill', ['-9', String(p.pid)]);
    const data = dataDir();
    if (!data.startsWith(work)) rmSync(data, { recursive: true, force: true });
  }
  if (work) rmSync(work, { recursive: true, force: true });
}, MINUTE);

describe('npm start from a fresh clone, as the README says', () => {
  it(
    'installs, builds and prints the one-time sign-in link, keeping PostgreSQL where the postgres user can reach it',
    async () => {
      expect(statSync(work).mode & 0o777).toBe(0o700);
      const t = Date.now();
      start = npmStart();
      await start.waitFor(/Building shared, control-plane, data-plane, console, test…/, 5 * MINUTE);
      const installed = Date.now() - t;
      const [, token] = await start.waitFor(/Sign in: http:\/\/localhost:\d+\/signin\?token=(\S+)/, 8 * MINUTE);
      signInToken = token;
      await untilServing(start);
      console.log(`fresh clone: installed in ${installed} ms, built and serving after ${Date.now() - t} ms`);
      if (userInfo().uid === 0) {
        // PostgreSQL runs as the postgres user, who cannot enter a 0700 folder of root's.
        expect(dataDir()).toMatch(/^\/var\/lib\/keyward\/pg-[0-9a-f]{16}$/);
      }
      expect(running().postgres).toHaveLength(1);
    },
    10 * MINUTE,
  );

  it(
    'runs the "Try it" walk-through: API token, credentials, key, the three official clients, the usage query',
    async () => {
      const readme = readFileSync(join(checkout, 'README.md'), 'utf8');
      const blocks = sectionCodeBlocks(readme, 'Try it');
      expect(blocks.map((b) => b.lang)).toEqual(['sh', 'sh', 'sh', 'js', 'js', 'js', 'sh']);
      mock = startCommand('npm run mock-provider', checkout, { ...env, MOCK_PROVIDER_PORT: String(ports.mock) });
      await mock.waitFor(/mock provider listening/, MINUTE);

      // The README's addresses, on this run's ports; the jar in this run's folder; the printed token.
      const localise = (code: string) =>
        code
          .replaceAll('localhost:4000', `localhost:${ports.cp}`)
          .replaceAll('localhost:8080', `localhost:${ports.dp}`)
          .replaceAll('127.0.0.1:9090', `127.0.0.1:${ports.mock}`)
          .replaceAll('/tmp/kw.jar', join(work, 'kw.jar'))
          .replace(/^TOKEN='[^']*'$/m, `TOKEN='${signInToken}'`);
      // The clients run beside the test package's node_modules, which has the three SDKs (and,
      // outside the package, do not count as a change to rebuild).
      const clientsDir = join(work, 'clients');
      mkdirSync(clientsDir);
      symlinkSync(join(checkout, 'test', 'node_modules'), join(clientsDir, 'node_modules'));
      const script = ['set -e'];
      for (const block of blocks) {
        if (block.lang === 'sh') {
          script.push(localise(block.code));
        } else {
          const name = /^\/\/ (\S+\.mjs)/.exec(block.code)?.[1];
          expect(name, 'each client snippet names its file in its first line').toBeTruthy();
          writeFileSync(join(clientsDir, name!), localise(block.code));
          script.push(`echo "== ${name}"`, `node ${name}`);
        }
      }
      script.push('echo "== KW_API=$KW_API"');
      const result = spawnSync('bash', ['-c', script.join('\n')], { cwd: clientsDir, env, encoding: 'utf8', timeout: 2 * MINUTE });
      expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
      const out = result.stdout;
      expect(out).toContain('"signInWithLinkToken":{"user":{"email":"owner@keyward.local"}}');
      expect(out.match(/"createCredential":\{"id":"[^"]+","lastFour":"[^"]{4}"\}/g)).toHaveLength(3);
      for (const name of ['openai-demo.mjs', 'anthropic-demo.mjs', 'gemini-demo.mjs']) {
        expect(out).toContain(`== ${name}\nHello from the mock provider.\n`);
      }
      apiToken = /== KW_API=(kwt_\S+)/.exec(out)![1];
      // Events reach the control plane in batches: the README's query, once more, until all three are in.
      const query = JSON.parse(/-d '(\{"query":"\{ usageEvents[^']*)'/.exec(blocks[6].code)![1]).query as string;
      let models: string[] = [];
      for (let i = 0; i < 50 && models.length < 3; i++) {
        const answer = await graphql(query);
        models = ((answer.data?.usageEvents as { nodes: { model: string; decision: string }[] } | undefined)?.nodes ?? []).map((n) => n.model);
        if (models.length < 3) await sleep(200);
      }
      expect(models.sort()).toEqual(['claude-haiku-4-5', 'gemini-2.5-flash', 'gpt-4o-mini']);
    },
    3 * MINUTE,
  );

  it(
    'restarts a control plane killed with SIGKILL, which then serves again',
    async () => {
      const cp = running().node.find((p) => p.args.some((a) => a.endsWith('control-plane/dist/main.js')));
      expect(cp).toBeDefined();
      const from = start!.output().length;
      process.kill(cp!.pid, 'SIGKILL');
      await start!.waitFor(/The control plane stopped unexpectedly \(signal SIGKILL\); restarting it in 1 s\./, 10_000, from);
      await start!.waitFor(/"control plane listening"/, MINUTE, from);
      const answer = await graphql('{ usageEvents(first: 5) { nodes { model } } }');
      expect(answer.errors).toBeUndefined();
      expect(running().postgres).toHaveLength(1);
    },
    2 * MINUTE,
  );

  it(
    'recovers, without rebuilding, from a killed start that left its PostgreSQL running',
    async () => {
      const before = running();
      const [postmaster] = before.postgres;
      // Every process of the start dies at once, as with `kill -9`, except PostgreSQL: the state a
      // crashed control plane used to leave behind.
      for (const p of before.node) process.kill(p.pid, 'SIGKILL');
      await start!.exited;
      await sleep(300);
      expect(running().node).toEqual([]);
      expect(running().postgres.map((p) => p.pid)).toEqual([postmaster.pid]);
      expect(readFileSync(join(dataDir(), 'postmaster.pid'), 'utf8').split('\n')[0]).toBe(String(postmaster.pid));

      start = npmStart();
      await untilServing(start);
      expect(start.output()).toContain('Build is up to date.');
      expect(start.output()).toContain(`Stopping PostgreSQL (pid ${postmaster.pid}) left running on ${dataDir()} by an earlier run.`);
      expect(start.output()).not.toMatch(/undefined|\n\s+at /);
      const answer = await graphql('{ usageEvents(first: 5) { nodes { model } } }');
      expect((answer.data?.usageEvents as { nodes: unknown[] } | undefined)?.nodes).toHaveLength(3);
    },
    3 * MINUTE,
  );

  it(
    'stops the data plane, then the control plane, then PostgreSQL on Ctrl-C',
    async () => {
      const from = start!.output().length;
      const ms = await ctrlC(start!);
      console.log(`Ctrl-C stopped everything in ${ms} ms`);
      expect(ms).toBeLessThan(20_000);
      const after = start!.output().slice(from);
      expect(after.indexOf('"data plane stopped"')).toBeGreaterThanOrEqual(0);
      expect(after.indexOf('"data plane stopped"')).toBeLessThan(after.indexOf('"service":"control-plane","signal":"SIGTERM","msg":"stopping"'));
      expect(after).not.toMatch(/the database system is shutting down|terminating connection due to administrator command/i);
      expect(running()).toEqual({ node: [], postgres: [] });
      expect(existsSync(join(dataDir(), 'postmaster.pid'))).toBe(false);
    },
    MINUTE,
  );

  it(
    "rebuilds what changed, takes a free port when PostgreSQL's port is taken, and keeps a second start off its database",
    async () => {
      appendFileSync(join(checkout, 'data-plane/src/version.ts'), '\n// changed after the last build\n');
      const blocker = createServer();
      await new Promise<void>((done) => blocker.listen(ports.pg, '127.0.0.1', done));
      blockers.push(blocker);
      start = npmStart();
      await untilServing(start);
      expect(start.output()).toContain('Building data-plane, test…');
      const [, other] = await start.waitFor(
        new RegExp(`PostgreSQL port ${ports.pg} is in use by another program or checkout; the embedded PostgreSQL uses port (\\d+) instead\\.`),
        1000,
      );
      expect(Number(other)).not.toBe(ports.pg);
      expect((await graphql('{ usageEvents(first: 5) { nodes { model } } }')).errors).toBeUndefined();

      // A second start on the same state directory must not take the running one's database away.
      const second = npmStart({ KEYWARD_CP_PORT: String(await freePort()), KEYWARD_DP_PORT: String(await freePort()) });
      expect(await second.exited).not.toBe(0);
      expect(second.output()).toMatch(
        /Keyward database failed to start: PostgreSQL on \S+ is in use by another running start \(process \d+\); stop that one first, or give this one another KEYWARD_STATE_DIR\.\n/,
      );
      expect((await graphql('{ usageEvents(first: 5) { nodes { model } } }')).errors).toBeUndefined();

      expect(await ctrlC(start)).toBeLessThan(20_000);
      expect(running()).toEqual({ node: [], postgres: [] });
    },
    5 * MINUTE,
  );

  it(
    'says in one sentence why it cannot start',
    async () => {
      start = npmStart({ KEYWARD_EMBEDDED_PG_PORT: 'fifty' });
      expect(await start.exited).not.toBe(0);
      const output = start.output();
      expect(output).toContain('Keyward database cannot start: KEYWARD_EMBEDDED_PG_PORT must be a port number between 1 and 65535.\n');
      expect(output).not.toMatch(/undefined|\n\s+at /);
      expect(running()).toEqual({ node: [], postgres: [] });
    },
    MINUTE,
  );
});

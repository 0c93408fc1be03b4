// `npm start`: install, build what changed, then run the embedded PostgreSQL (unless
// DATABASE_URL is set), the control plane and console on :4000 and a data-plane node on :8080.
// A part that crashes is restarted with backoff; Ctrl-C stops the data plane, then the control
// plane, then PostgreSQL.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildChanged, checkNode, ensureInstalled, readEnvFile, root } from './lib.mjs';
import { healthy, message, supervise } from './supervise.mjs';

checkNode();
ensureInstalled();
buildChanged();

const stateDir = resolve(process.env.KEYWARD_STATE_DIR || join(root, '.keyward'));
// Traversable but not listable: PostgreSQL runs as its own user and may need to reach .keyward/pg;
// the secrets and key files inside are 0600.
mkdirSync(stateDir, { recursive: true });
chmodSync(stateDir, 0o711);
const secretsFile = join(stateDir, 'secrets.env');
if (!existsSync(secretsFile)) {
  const { generateSecret } = await import('../shared/dist/index.js');
  const lines = [
    `KEYWARD_KEY_PEPPER=${randomBytes(32).toString('base64')}`,
    `KEYWARD_HASH_SALT=${randomBytes(32).toString('base64')}`,
    `KEYWARD_NODE_TOKEN=${generateSecret('node_token')}`,
  ];
  writeFileSync(secretsFile, lines.join('\n') + '\n', { mode: 0o600 });
}
chmodSync(secretsFile, 0o600);
const secrets = readEnvFile(secretsFile);
const cpPort = process.env.KEYWARD_CP_PORT || '4000';
const dpPort = process.env.KEYWARD_DP_PORT || '8080';

/** What every part shares. */
const common = {
  NODE_ENV: process.env.NODE_ENV || 'development',
  KEYWARD_STATE_DIR: stateDir,
  KEYWARD_KMS: process.env.KEYWARD_KMS || `local:${join(stateDir, 'kek.json')}`,
  ...secrets,
  ...pick(process.env, ['KEYWARD_KEY_PEPPER', 'KEYWARD_HASH_SALT', 'KEYWARD_NODE_TOKEN']),
};

/** The environment handed to the control plane (DATABASE_URL is filled in once PostgreSQL is ready). */
const controlPlaneEnv = {
  ...common,
  KEYWARD_CP_PORT: cpPort,
  KEYWARD_CONSOLE_DIR: join(root, 'console', 'dist'),
  // A local installation: every feature on, no plans; the console shows agents the local data plane.
  KEYWARD_EDITION: process.env.KEYWARD_EDITION || 'self-hosted',
  KEYWARD_GATEWAY_URL: process.env.KEYWARD_GATEWAY_URL || `http://localhost:${dpPort}`,
  ...pick(process.env, ['DATABASE_URL']),
};

/** The environment handed to the data plane. */
const dataPlaneEnv = {
  ...common,
  KEYWARD_DP_PORT: dpPort,
  KEYWARD_CONTROL_PLANE_URL: `http://127.0.0.1:${cpPort}`,
  KEYWARD_DP_STATE_DIR: join(stateDir, 'data-plane'),
  KEYWARD_ALLOW_LOOPBACK_UPSTREAMS: process.env.KEYWARD_ALLOW_LOOPBACK_UPSTREAMS || 'true',
  KEYWARD_DRAIN_SECONDS: process.env.KEYWARD_DRAIN_SECONDS || '3',
};

let stopping = false;
const hooks = { onFatal: (sentence) => void stop(1, sentence) };

const database = controlPlaneEnv.DATABASE_URL
  ? null
  : supervise(
      {
        name: 'embedded PostgreSQL',
        script: 'control-plane/dist/db/postgres-main.js',
        env: () => ({ KEYWARD_STATE_DIR: stateDir, ...pick(process.env, ['KEYWARD_EMBEDDED_PG_PORT']) }),
        // A restarted server may have had to take another port: the control plane follows it.
        ready: async (child) => {
          const ready = await message(child, 'ready');
          if (ready) controlPlaneEnv.DATABASE_URL = ready.databaseUrl;
          return ready !== null;
        },
      },
      hooks,
    );
const controlPlane = supervise(
  {
    name: 'control plane',
    script: 'control-plane/dist/main.js',
    env: () => controlPlaneEnv,
    ready: (child) => healthy(`http://127.0.0.1:${cpPort}/healthz`, child),
  },
  hooks,
);
const dataPlane = supervise(
  {
    name: 'data plane',
    script: 'data-plane/dist/main.js',
    env: () => dataPlaneEnv,
    ready: (child) => healthy(`http://127.0.0.1:${dpPort}/healthz`, child),
  },
  hooks,
);
/** In start order; stopped in reverse. */
const parts = [database, controlPlane, dataPlane].filter(Boolean);

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('SIGHUP', () => void stop(0));

for (const part of parts) {
  if (stopping) break;
  if (!(await part.start())) {
    void stop(1, `The ${part.name} did not become ready within two minutes; stopping.`);
    break;
  }
}

/** Stops the planes, then PostgreSQL, so no plane sees its database go away first. */
async function stop(code, sentence) {
  if (stopping) return;
  stopping = true;
  if (sentence) console.error(sentence);
  for (const part of [...parts].reverse()) await part.stop();
  process.exit(code);
}

function pick(env, names) {
  return Object.fromEntries(names.filter((n) => env[n]).map((n) => [n, env[n]]));
}

// `npm start`: install, build, then run the control plane (embedded PostgreSQL unless
// DATABASE_URL is set) on :4000 and a data-plane node on :8080. Ctrl-C stops both.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAll, checkNode, ensureInstalled, readEnvFile, root, startChild } from './lib.mjs';

checkNode();
ensureInstalled();
buildAll();

const stateDir = process.env.KEYWARD_STATE_DIR || join(root, '.keyward');
// Traversable but not listable: PostgreSQL runs as its own user and needs to reach .keyward/pg;
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
const common = {
  NODE_ENV: process.env.NODE_ENV || 'development',
  KEYWARD_STATE_DIR: stateDir,
  KEYWARD_KMS: process.env.KEYWARD_KMS || `local:${join(stateDir, 'kek.json')}`,
  ...secrets,
  ...pick(process.env, ['KEYWARD_KEY_PEPPER', 'KEYWARD_HASH_SALT', 'KEYWARD_NODE_TOKEN']),
};

let stopping = false;
const children = [];

const controlPlane = startChild('control plane', 'control-plane/dist/main.js', {
  ...common,
  KEYWARD_CP_PORT: cpPort,
  KEYWARD_CONSOLE_DIR: join(root, 'console', 'dist'),
  // A local installation: every feature on, no plans; the console shows agents the local data plane.
  KEYWARD_EDITION: process.env.KEYWARD_EDITION || 'self-hosted',
  KEYWARD_GATEWAY_URL: process.env.KEYWARD_GATEWAY_URL || `http://localhost:${process.env.KEYWARD_DP_PORT || '8080'}`,
});
children.push(controlPlane);

if (await waitForHealth(`http://127.0.0.1:${cpPort}/healthz`, controlPlane)) {
  children.push(
    startChild('data plane', 'data-plane/dist/main.js', {
      ...common,
      KEYWARD_CONTROL_PLANE_URL: `http://127.0.0.1:${cpPort}`,
      KEYWARD_DP_STATE_DIR: join(stateDir, 'data-plane'),
      KEYWARD_ALLOW_LOOPBACK_UPSTREAMS: process.env.KEYWARD_ALLOW_LOOPBACK_UPSTREAMS || 'true',
      KEYWARD_DRAIN_SECONDS: process.env.KEYWARD_DRAIN_SECONDS || '3',
    }),
  );
} else {
  console.error('The control plane did not become healthy; stopping.');
  stop(1);
}

function stop(code = 0, askAfterMs = 0) {
  if (stopping) return;
  stopping = true;
  // Ctrl-C in a terminal reaches the children too; asking again at once would make the data
  // plane skip its drain ("second signal"), so give them a moment to stop on their own.
  const ask = setTimeout(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  }, askAfterMs);
  const force = setTimeout(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    process.exit(code || 1);
  }, askAfterMs + 8000);
  Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null))).then(() => {
    clearTimeout(ask);
    clearTimeout(force);
    process.exit(code);
  });
}
process.on('SIGINT', () => stop(0, 1000));
process.on('SIGTERM', () => stop(0));
for (const c of children) {
  c.on('exit', (code) => {
    if (!stopping) console.error(`The ${c.name} exited unexpectedly (code ${code}); stopping the rest.`);
    stop(stopping ? 0 : 1);
  });
}

async function waitForHealth(url, child) {
  for (let i = 0; i < 600 && child.exitCode === null; i++) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function pick(env, names) {
  return Object.fromEntries(names.filter((n) => env[n]).map((n) => [n, env[n]]));
}

// Helpers shared by `npm start` and `npm test`: Node version check, dependency install, build.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packagesToBuild, writeStamps } from './build-stamp.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const PNPM = 'pnpm@10.34.8';

/** Stops with a sentence when Node is older than the project supports. */
export function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    console.error(`Keyward needs Node 20.19 or newer; this is ${process.versions.node}.`);
    process.exit(1);
  }
}

/** Runs pnpm (fetched through npx, pinned) in the repository root and waits for it. */
export function pnpm(args, { quiet = false } = {}) {
  const result = spawnSync('npx', ['--yes', PNPM, ...args], {
    cwd: root,
    stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    env: { ...process.env, npm_config_update_notifier: 'false' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    if (quiet) process.stderr.write(`${result.stdout}${result.stderr}`);
    console.error(`pnpm ${args.join(' ')} failed.`);
    process.exit(result.status ?? 1);
  }
}

/** Installs dependencies when node_modules is missing or older than the lockfile. */
export function ensureInstalled({ log = console.log } = {}) {
  const marker = join(root, 'node_modules', '.modules.yaml');
  const lock = join(root, 'pnpm-lock.yaml');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  log('Installing dependencies…');
  pnpm(['install', '--frozen-lockfile']);
}

/**
 * Builds the packages whose sources changed since their last successful build, and those that
 * depend on them (TypeScript to dist, the console with Vite); nothing when all are current.
 */
export function buildChanged({ log = console.log } = {}) {
  const changed = packagesToBuild(root);
  if (changed.length === 0) {
    log('Build is up to date.');
    return;
  }
  log(`Building ${changed.map((p) => p.dir).join(', ')}…`);
  const filters = changed.flatMap((p) => ['--filter', p.name]);
  pnpm(['-r', '--workspace-concurrency=1', ...filters, 'run', 'build'], { quiet: !process.env.KEYWARD_VERBOSE_BUILD });
  writeStamps(root, changed);
}

/** Reads KEY=value lines. */
export function readEnvFile(path) {
  const out = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/**
 * Installs and builds what changed, then runs the compiled `entry` (a path below the repository)
 * with `args` and exits with its status. `log` takes the install and build progress lines (a
 * command whose output is read by programs sends them to standard error).
 */
export function runBuilt(entry, args, { log = console.log } = {}) {
  checkNode();
  ensureInstalled({ log });
  buildChanged({ log });
  const result = spawnSync(process.execPath, [join(root, entry), ...args], { cwd: root, stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

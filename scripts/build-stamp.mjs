// Which workspace packages need a build: each package's fingerprint (a hash of every file it is
// built from, of the lockfile and root configs, and of the fingerprints of the workspace packages
// it depends on) is compared with the one written to `<package>/dist/.build-stamp` after its last
// successful build. Content, not modification times, so a checkout that rewrites files unchanged
// costs nothing, and a deleted `dist` always rebuilds.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT_INPUTS = ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', 'tsconfig.json'];
/** Directories that are outputs, caches or dependencies, never build inputs. */
const SKIPPED = new Set(['node_modules', 'dist', '.vite', 'test-artifacts', 'coverage', 'bench-results', '.keyward']);
const STAMP = '.build-stamp';

/** The workspace packages in build order (dependencies first), as `{ dir, name, deps }`. */
export function workspacePackages(root) {
  const dirs = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8')
    .split(/^onlyBuiltDependencies:/m)[0]
    .split('\n')
    .map((line) => /^\s*-\s*['"]?([^'"\s]+)['"]?\s*$/.exec(line)?.[1])
    .filter(Boolean);
  const packages = dirs.map((dir) => {
    const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    const deps = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
    return { dir, name: manifest.name, deps };
  });
  const names = new Set(packages.map((p) => p.name));
  for (const p of packages) p.deps = p.deps.filter((d) => names.has(d));
  const ordered = [];
  const visit = (p) => {
    if (ordered.includes(p)) return;
    for (const d of p.deps) visit(packages.find((q) => q.name === d));
    ordered.push(p);
  };
  packages.forEach(visit);
  return ordered;
}

/** Fingerprints of every package, by name. */
export function fingerprints(root, packages = workspacePackages(root)) {
  const common = createHash('sha256');
  for (const file of ROOT_INPUTS) if (existsSync(join(root, file))) common.update(file).update(readFileSync(join(root, file)));
  const shared = common.digest('hex');
  const result = new Map();
  for (const p of packages) {
    const hash = createHash('sha256').update(shared);
    for (const d of p.deps) hash.update(result.get(d));
    for (const file of inputFiles(join(root, p.dir))) hash.update(relative(root, file)).update('\0').update(readFileSync(file));
    result.set(p.name, hash.digest('hex'));
  }
  return result;
}

/** The packages whose sources changed since their last successful build (with their dependents). */
export function packagesToBuild(root) {
  const packages = workspacePackages(root);
  const now = fingerprints(root, packages);
  return packages.filter((p) => readStamp(root, p) !== now.get(p.name));
}

/** Records the current fingerprints of these packages, after they were built. */
export function writeStamps(root, built) {
  const now = fingerprints(root);
  for (const p of built) writeFileSync(join(root, p.dir, 'dist', STAMP), `${now.get(p.name)}\n`);
}

function readStamp(root, p) {
  const file = join(root, p.dir, 'dist', STAMP);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
}

function inputFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (SKIPPED.has(entry.name) || entry.name.endsWith('.tsbuildinfo')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...inputFiles(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

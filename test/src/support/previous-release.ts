import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The packages a fleet runs: built from the previous release's sources. */
const PLANE_PACKAGES = ['shared', 'data-plane', 'control-plane'] as const;

/** The release before the current schema, checked out and built beside the repository. */
export interface PreviousRelease {
  /** The commit the release was built from. */
  readonly commit: string;
  /** Its root: `control-plane/dist/main.js` and `data-plane/dist/main.js` are below it. */
  readonly root: string;
  /** The migrations the current release runs that this one does not know. */
  readonly newMigrations: readonly string[];
}

const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).trim();

/**
 * The release before the last schema change: the first-parent commit of main just before the
 * commit that last changed `control-plane/src/migrations`. Its sources come from git history
 * (a clone with its history, as `git clone` makes), its dependencies are the current install's
 * (the planes' own workspace packages excepted, which are its own), and it is built with the
 * current TypeScript into a cache folder keyed by the commit.
 */
export function buildPreviousRelease(): PreviousRelease {
  if (git('rev-parse', '--is-shallow-repository') === 'true') {
    throw new Error('The upgrade test builds the previous release from git history, and this clone is shallow: clone with its history.');
  }
  const lastSchemaChange = git('log', '--first-parent', '-1', '--format=%H', '--', 'control-plane/src/migrations');
  const commit = git('rev-parse', `${lastSchemaChange}^1`);
  const migrationFiles = (rev: string) =>
    new Set(
      git('ls-tree', '--name-only', rev, 'control-plane/src/migrations/')
        .split('\n')
        .map((path) => path.split('/').pop()!)
        .filter((name) => /^Migration\d+\.ts$/.test(name)),
    );
  const before = migrationFiles(commit);
  const newMigrations = [...migrationFiles('HEAD')].filter((name) => !before.has(name)).sort();

  const root = join(ROOT, 'node_modules', '.cache', 'keyward-previous-release', commit);
  const built = join(root, '.built');
  if (!existsSync(built)) {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    const archive = execFileSync('git', ['archive', '--format=tar', commit, 'tsconfig.json', 'package.json', ...PLANE_PACKAGES], {
      cwd: ROOT,
      maxBuffer: 256 * 1024 * 1024,
    });
    execFileSync('tar', ['-x', '-C', root], { input: archive });
    for (const pkg of PLANE_PACKAGES) linkDependencies(pkg, root);
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const pkg of PLANE_PACKAGES) {
      execFileSync(process.execPath, [tsc, '-p', join(root, pkg, 'tsconfig.build.json')], { cwd: join(root, pkg), stdio: 'pipe' });
    }
    writeFileSync(built, `${commit}\n`);
  }
  return { commit, root, newMigrations };
}

/**
 * Gives the release's copy of a package a `node_modules` whose entries are the current
 * install's, except the workspace's own packages (`@keyward/<folder>`), which point at the
 * release's copies, so no current code runs inside the previous release.
 */
function linkDependencies(pkg: string, releaseRoot: string): void {
  const installed = join(ROOT, pkg, 'node_modules');
  const target = join(releaseRoot, pkg, 'node_modules');
  if (!existsSync(installed)) return;
  mkdirSync(target, { recursive: true });
  for (const entry of readdirSync(installed)) {
    if (entry === '.bin') continue;
    if (entry === '@keyward') {
      mkdirSync(join(target, entry), { recursive: true });
      for (const own of readdirSync(join(installed, entry))) {
        symlinkSync(join(releaseRoot, own), join(target, entry, own));
      }
      continue;
    }
    symlinkSync(join(installed, entry), join(target, entry));
  }
}

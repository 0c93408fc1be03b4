import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './console/support/browser.js';

const CONFIG = join(REPO_ROOT, '.dependency-cruiser.cjs');
const CLI = join(REPO_ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const OXLINT = join(REPO_ROOT, 'node_modules', 'oxlint', 'bin', 'oxlint');
const KNIP = join(REPO_ROOT, 'node_modules', 'knip', 'bin', 'knip.js');
const PRETTIER = join(REPO_ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs');

/** Every TypeScript source of the given folders, tests included (their imports obey the same rules). */
async function sources(root: string, folders: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  async function walk(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'dist') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(relative(root, path));
    }
  }
  for (const folder of folders) await walk(join(root, folder));
  return found.sort();
}

/** Runs dependency-cruiser with the project's rules on `files`, from `cwd`. */
function cruise(cwd: string, files: readonly string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [CLI, '--config', CONFIG, '--output-type', 'err', ...files], { cwd, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('the import rules (.dependency-cruiser.cjs)', () => {
  it('hold for every package: no cycles, steps below the pipeline, providers at the bottom, translation over providers, lists at the top, packages through their surface', async () => {
    const files = await sources(REPO_ROOT, ['shared/src', 'control-plane/src', 'data-plane/src', 'test/src']);
    expect(files.length).toBeGreaterThan(500);
    const { status, output } = cruise(REPO_ROOT, files);
    expect(output).toMatch(/no dependency violations found \(\d+ modules/);
    expect(status).toBe(0);
  }, 180_000);

  it('fail with the rule’s name when a step imports the pipeline, providers or translation import a layer above them or modules import each other in a circle', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keyward-deps-'));
    try {
      const write = async (path: string, text: string) => {
        await mkdir(dirname(join(dir, path)), { recursive: true });
        await writeFile(join(dir, path), text);
      };
      await write('data-plane/src/pipeline/proxy.ts', 'export const proxy = 1;\n');
      await write('data-plane/src/policy/policy-step.ts', "import { proxy } from '../pipeline/proxy.js';\nexport const step = proxy;\n");
      await write('data-plane/src/steps/contract.ts', 'export const contract = 1;\n');
      await write('data-plane/src/providers/types.ts', "import { contract } from '../steps/contract.js';\nexport const types = contract;\n");
      await write('data-plane/src/routing/route.ts', 'export const route = 1;\n');
      await write('data-plane/src/translate/index.ts', "import { route } from '../routing/route.js';\nexport const translate = route;\n");
      await write('shared/src/a.ts', "import { b } from './b.js';\nexport const a = () => b;\n");
      await write('shared/src/b.ts', "import { a } from './a.js';\nexport const b = () => a;\n");
      const { status, output } = cruise(dir, [
        'data-plane/src/policy/policy-step.ts',
        'data-plane/src/providers/types.ts',
        'data-plane/src/translate/index.ts',
        'shared/src/a.ts',
      ]);
      expect(status).not.toBe(0);
      expect(output).toContain('steps-below-pipeline');
      expect(output).toContain('providers-at-the-bottom');
      expect(output).toContain('translation-over-providers');
      expect(output).toContain('no-cycles');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the linter (.oxlintrc.json)', () => {
  it('finds nothing in any package, scripts included', () => {
    const folders = ['shared/src', 'control-plane/src', 'data-plane/src', 'test/src', 'console/src', 'scripts'];
    const result = spawnSync(process.execPath, [OXLINT, '-c', '.oxlintrc.json', '--deny-warnings', ...folders], { cwd: REPO_ROOT, encoding: 'utf8' });
    const output = `${result.stdout}${result.stderr}`;
    expect(output).toMatch(/Found 0 warnings and 0 errors/);
    expect(result.status).toBe(0);
  });
});

describe('unused code (knip.jsonc)', () => {
  it('finds no unused file, export or dependency in any package', () => {
    const result = spawnSync(process.execPath, [KNIP, '--no-progress', '--no-config-hints'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
  }, 180_000);
});

describe('the formatter (.prettierrc.json)', () => {
  it('leaves every file as it is (run `npx prettier --write .` to format)', () => {
    const result = spawnSync(process.execPath, [PRETTIER, '--list-different', '.'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
  }, 180_000);
});

// `npm run bench`: install, build, then run the compiled benchmark (test/bench/run.ts). Extra
// arguments go to it, e.g. `npm run bench -- --quick` or `npm run bench -- --rounds 3`.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildChanged, checkNode, ensureInstalled, root } from './lib.mjs';

checkNode();
ensureInstalled();
buildChanged();
const result = spawnSync(process.execPath, [join(root, 'test', 'dist', 'bench', 'run.js'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);

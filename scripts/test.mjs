// `npm test`: install, build (end-to-end tests run the built processes), then every test of
// every package with vitest. Extra arguments go to vitest (e.g. `npm test -- shared`).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildChanged, checkNode, ensureInstalled, root } from './lib.mjs';

checkNode();
ensureInstalled();
buildChanged();
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const result = spawnSync(process.execPath, [vitest, 'run', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);

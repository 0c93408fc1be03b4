// `npm run bench:config-apply`: install, build, then time how a node takes in config changes with
// 10,000 keys loaded (test/bench/config-apply.ts). Extra arguments go to it, e.g.
// `npm run bench:config-apply -- --keys 20000 --deltas 500`.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildChanged, checkNode, ensureInstalled, root } from './lib.mjs';

checkNode();
ensureInstalled();
buildChanged();
const result = spawnSync(process.execPath, [join(root, 'test', 'dist', 'bench', 'config-apply.js'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);

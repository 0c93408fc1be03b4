// `npm run fuzz`: every fuzz target (the `fuzz` folders of shared/, data-plane/ and control-plane/) with a long
// budget and a fresh seed: `KEYWARD_FUZZ_RUNS` inputs per property (20,000 unless set, e.g.
// `KEYWARD_FUZZ_RUNS=100000 npm run fuzz`). Inside `npm test` the same targets run a short,
// fixed budget. Extra arguments go to vitest.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { root } from './lib.mjs';

const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const env = { ...process.env, KEYWARD_FUZZ_RUNS: process.env.KEYWARD_FUZZ_RUNS || '20000' };
const args = ['run', 'shared/src/fuzz/', 'data-plane/src/fuzz/', 'control-plane/src/fuzz/', '--testTimeout', '0', ...process.argv.slice(2)];
const result = spawnSync(process.execPath, [vitest, ...args], { cwd: root, stdio: 'inherit', env });
process.exit(result.status ?? 1);

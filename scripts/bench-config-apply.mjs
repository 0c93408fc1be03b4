// `npm run bench:config-apply`: install, build, then time how a node takes in config changes with
// 10,000 keys loaded (test/bench/config-apply.ts). Extra arguments go to it, e.g.
// `npm run bench:config-apply -- --keys 20000 --deltas 500`.
import { runBuilt } from './lib.mjs';

runBuilt('test/dist/bench/config-apply.js', process.argv.slice(2));

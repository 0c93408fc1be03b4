// `npm run bench`: install, build, then run the compiled benchmark (test/bench/run.ts). Extra
// arguments go to it, e.g. `npm run bench -- --quick` or `npm run bench -- --rounds 3`.
// `npm run bench -- ingest-chain [--events N]` runs test/bench/ingest-chain.ts instead.
import { runBuilt } from './lib.mjs';

const [entry, args] = process.argv[2] === 'ingest-chain' ? ['ingest-chain.js', process.argv.slice(3)] : ['run.js', process.argv.slice(2)];
runBuilt(`test/dist/bench/${entry}`, args);

// `npm run bench`: install, build, then run the compiled benchmark (test/bench/run.ts). Extra
// arguments go to it, e.g. `npm run bench -- --quick` or `npm run bench -- --rounds 3`.
// `npm run bench -- ingest-chain [--events N]` runs test/bench/ingest-chain.ts instead, and
// `npm run bench -- mcp-overhead [--calls N]` (`npm run bench:mcp`) test/bench/mcp-overhead.ts.
import { runBuilt } from './lib.mjs';

const ENTRIES = { 'ingest-chain': 'ingest-chain.js', 'mcp-overhead': 'mcp-overhead.js' };
const named = ENTRIES[process.argv[2]];
const [entry, args] = named ? [named, process.argv.slice(3)] : ['run.js', process.argv.slice(2)];
runBuilt(`test/dist/bench/${entry}`, args);

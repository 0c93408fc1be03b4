// `npm run org:import -- <archive.ndjson.gz>`: install, build, then import an organization archive
// into the Keyward database at DATABASE_URL (control-plane/src/org-import-main.ts).
import { runBuilt } from './lib.mjs';

runBuilt('control-plane/dist/org-import-main.js', process.argv.slice(2), { log: console.error });

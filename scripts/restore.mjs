// `npm run restore -- <file.dump.age> --identity-file <path>`: install, build, then restore an
// encrypted backup into the empty database at DATABASE_URL (control-plane/src/backup-main.ts).
import { runBuilt } from './lib.mjs';

runBuilt('control-plane/dist/backup-main.js', ['restore', ...process.argv.slice(2)], { log: console.error });

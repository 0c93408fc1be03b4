// `npm run backup`: install, build, then write an age-encrypted pg_dump of DATABASE_URL into
// KEYWARD_BACKUP_DIR for KEYWARD_BACKUP_RECIPIENTS (control-plane/src/backup-main.ts).
import { runBuilt } from './lib.mjs';

runBuilt('control-plane/dist/backup-main.js', ['backup', ...process.argv.slice(2)], { log: console.error });

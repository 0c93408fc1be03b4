// `npm run audit:verify -- --org <id> [--from …] [--to …]`: install, build, then re-walk an
// organization's audit chains (control-plane/src/audit-verify.ts). Progress lines go to standard
// error, so standard output holds only the verdict.
import { runBuilt } from './lib.mjs';

runBuilt('control-plane/dist/audit-verify.js', process.argv.slice(2), { log: console.error });

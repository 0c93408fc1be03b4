/**
 * `npm run audit:verify -- --org <organization id> [--from <ISO time>] [--to <ISO time>]`:
 * re-walks one organization's audit chains straight from the database the control plane uses
 * (`DATABASE_URL`, parsed as the control plane parses it) and prints every place they were
 * tampered with, the first one first. Exits 0 when the trail verifies, 1 when it does not, 2
 * when it cannot run (with one sentence saying why). Needs no KMS: only public keys are read.
 */
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { publicSigningKeys } from './audit-chain/signing-key.js';
import { trailLines } from './audit-chain/trail-lines.js';
import { verifyTrailLines } from './audit-chain/verify.js';
import { ConfigError, loadDatabaseUrl } from './config.js';
import { ormOptions } from './database.js';

const USAGE = 'usage: npm run audit:verify -- --org <organization id> [--from <ISO time>] [--to <ISO time>]';

function parseArgs(argv: readonly string[]): { orgId: string; from: Date | null; to: Date | null } {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i]!, argv[i + 1]];
    if (!['--org', '--from', '--to'].includes(name) || value === undefined) throw new ConfigError(`${USAGE} (unexpected "${name}")`);
    values.set(name, value);
  }
  const orgId = values.get('--org');
  if (!orgId || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(orgId))
    throw new ConfigError(`--org must be an organization id (a UUID); ${USAGE}`);
  const time = (name: string) => {
    const raw = values.get(name);
    if (raw === undefined) return null;
    const at = new Date(raw);
    if (Number.isNaN(at.getTime())) throw new ConfigError(`${name} must be an ISO 8601 time, like 2026-01-31T00:00:00Z, not "${raw}".`);
    return at;
  };
  return { orgId, from: time('--from'), to: time('--to') };
}

async function main(): Promise<number> {
  let range;
  let databaseUrl;
  try {
    range = parseArgs(process.argv.slice(2));
    databaseUrl = loadDatabaseUrl(process.env);
    if (!databaseUrl) throw new ConfigError('DATABASE_URL must name the PostgreSQL database of the control plane.');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`audit:verify cannot run: ${error.message}\n`);
    return 2;
  }
  const orm = await MikroORM.init({ ...ormOptions(databaseUrl), pool: { min: 0, max: 2 } });
  try {
    const em = orm.em.fork({ clear: true }) as EntityManager;
    const result = await verifyTrailLines(trailLines(em, await publicSigningKeys(em), range));
    for (const chain of result.chains) {
      const start = chain.anchorSeq === null ? 'from its first row' : `from the checkpoint at seq ${chain.anchorSeq}`;
      process.stdout.write(
        `${chain.chain} chain: ${chain.rowsChecked} rows and ${chain.checkpointsChecked} checkpoints checked ${start} to seq ${chain.lastSeq}` +
          `${chain.contentPurged > 0 ? ` (content removed by retention from ${chain.contentPurged} rows)` : ''}\n`,
      );
    }
    for (const problem of result.problems)
      process.stdout.write(`${problem.problem} ${problem.chain} seq=${problem.seq ?? '-'} row=${problem.rowId ?? '-'}: ${problem.message}\n`);
    process.stdout.write(result.ok ? 'The audit trail verifies.\n' : `The audit trail does not verify: ${result.problems.length} problem(s).\n`);
    return result.ok ? 0 : 1;
  } finally {
    await orm.close(true);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const cause = error instanceof Error ? error.message : String(error);
    process.stderr.write(`audit:verify failed: ${cause.split('\n')[0] || 'an unknown error'}\n`);
    process.exit(2);
  },
);

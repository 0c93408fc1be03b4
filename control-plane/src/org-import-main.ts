/**
 * `npm run org:import -- <archive.ndjson.gz>`: imports an organization archive (from
 * `exportOrganization`) into the Keyward database at `DATABASE_URL`, all or nothing, and prints
 * what it inserted and what must be re-created with its secret. Exits 0 when done, 1 when the
 * import failed, 2 when it cannot run (one sentence saying why).
 */
import { ConfigError, loadDatabaseUrl } from './config.js';
import { importOrganization } from './org-archive/org-import.js';

const USAGE = 'usage: npm run org:import -- <archive.ndjson.gz>';

async function main(argv: readonly string[]): Promise<number> {
  try {
    const databaseUrl = loadDatabaseUrl(process.env);
    if (!databaseUrl) throw new ConfigError('DATABASE_URL must name the PostgreSQL database of the Keyward to import into.');
    if (argv.length !== 1 || argv[0]!.startsWith('-')) throw new ConfigError(USAGE);
    const summary = await importOrganization(databaseUrl, argv[0]!);
    const total = Object.values(summary.rows).reduce((a, b) => a + b, 0);
    process.stdout.write(`imported organization ${summary.organizationId}: ${total} rows\n`);
    for (const [table, n] of Object.entries(summary.rows)) process.stdout.write(`  ${table}: ${n}\n`);
    if (summary.toRecreate.length > 0) {
      process.stdout.write('re-create these with their secrets (secrets are never exported):\n');
      for (const item of summary.toRecreate) process.stdout.write(`  ${item}\n`);
    }
    process.stdout.write('Keys are imported revoked: issue new ones. Restart the control plane to publish the organization to nodes.\n');
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`org:import cannot run: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`org:import failed: ${(error as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));

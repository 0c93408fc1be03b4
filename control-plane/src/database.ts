import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import pg from 'pg';
import { MIGRATIONS } from './migrations/index.js';
import { ENTITIES } from './entities.js';
import type { Logger } from './logger.js';

/** ORM options shared by the server, the migration generator and tests: every entity and migration. */
export function ormOptions(clientUrl: string, log?: Logger): Options {
  return {
    clientUrl,
    entities: ENTITIES,
    extensions: [Migrator],
    discovery: { requireEntitiesArray: true, disableDynamicFileAccess: true },
    migrations: {
      migrationsList: MIGRATIONS,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      emit: 'ts',
    },
    forceUtcTimezone: true,
    allowGlobalContext: false,
    pool: { min: 0, max: 20 },
    debug: false,
    logger: (message: string) => log?.debug({ orm: message }, 'orm'),
    // The query builder's own notices ("Connection Error: …" while PostgreSQL is down) go to the
    // JSON log too, instead of being printed to stdout beside it.
    driverOptions: { log: driverLog(log) },
  };
}

function driverLog(log: Logger | undefined) {
  const to = (level: 'debug' | 'warn' | 'error') => (message: unknown) => log?.[level]({ driver: String(message) }, 'database driver');
  return { debug: to('debug'), warn: to('warn'), error: to('error'), deprecate: to('warn') };
}

/** Held while migrating, so control planes starting together on one database migrate one at a time. */
const MIGRATION_LOCK = "select pg_advisory_lock(hashtext('keyward:migrations'))";

/**
 * Connects and brings the schema up to date. The migrations run under a session advisory lock on
 * a connection of their own (ended afterwards, which releases it): a second control plane
 * starting at the same moment waits, then finds nothing left to run.
 */
export async function openDatabase(clientUrl: string, log?: Logger): Promise<MikroORM> {
  const orm = await MikroORM.init(ormOptions(clientUrl, log));
  const lock = new pg.Client({ connectionString: clientUrl });
  try {
    await lock.connect();
    await lock.query(MIGRATION_LOCK);
    await orm.getMigrator().up();
  } catch (error) {
    await orm.close(true);
    throw error;
  } finally {
    await lock.end().catch(() => undefined);
  }
  return orm;
}

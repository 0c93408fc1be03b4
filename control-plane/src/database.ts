import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
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
  };
}

/** Connects and brings the schema up to date. */
export async function openDatabase(clientUrl: string, log?: Logger): Promise<MikroORM> {
  const orm = await MikroORM.init(ormOptions(clientUrl, log));
  await orm.getMigrator().up();
  return orm;
}

import { readFile } from 'node:fs/promises';
import { checkUsageEventFields, USAGE_EVENT_FIELDS, type EventFieldCheck, type EventFieldSpec } from '@keyward/shared';
import { MikroORM } from '@mikro-orm/postgresql';
import { isObjectType, Kind, parse, type GraphQLSchema } from 'graphql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { ormOptions } from '../database.js';
import { createKeywardPubSub } from '../graphql/pubsub.js';
import { buildKeywardSchema } from '../schema.js';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane.js';
import { eventSelectList, insertEventsStatement, toUsageEventMessage } from './event-columns.js';
import { UsageEventRecord } from './usage-event.entity.js';

/**
 * The field table in `shared/` is the one definition of a usage event. What is derived from it
 * (validator, insert statement, row mapping, export columns) follows by construction; what is
 * written by hand (GraphQL type, entity, migration, console fragment) is checked here, so a field
 * added to the table fails this file until every consumer handles it.
 */

interface Consumers {
  /** GraphQL field name → its type as printed (`[String!]!`). */
  graphqlFields: ReadonlyMap<string, string>;
  entityColumns: ReadonlyMap<string, string>;
  databaseColumns: ReadonlyMap<string, string>;
  consoleFragmentFields: ReadonlySet<string>;
}

/** The PostgreSQL `data_type` each column type reads back as. */
const DATA_TYPES: Record<EventFieldSpec['columnType'], string> = {
  uuid: 'uuid',
  text: 'text',
  boolean: 'boolean',
  smallint: 'smallint',
  bigint: 'bigint',
  timestamptz: 'timestamp with time zone',
  jsonb: 'jsonb',
};

/** Every place a field of the table is missing, as sentences naming the consumer. */
function gapsFor(fields: readonly EventFieldSpec[], consumers: Consumers): string[] {
  const gaps: string[] = [];
  for (const field of fields) {
    const graphqlType = consumers.graphqlFields.get(field.name);
    if (field.graphql && graphqlType === undefined) gaps.push(`GraphQL type UsageEvent has no field "${field.name}"`);
    else if (field.graphql && Boolean(field.list) !== graphqlType!.startsWith('['))
      gaps.push(`GraphQL field UsageEvent.${field.name} is ${graphqlType}, which does not match a ${field.list ? 'list' : 'single value'}`);
    if (consumers.entityColumns.get(field.name) !== field.column) gaps.push(`entity UsageEventRecord does not map "${field.name}" to column ${field.column}`);
    const dataType = consumers.databaseColumns.get(field.column);
    if (dataType !== DATA_TYPES[field.columnType]) gaps.push(`table usage_events has no ${field.columnType} column ${field.column} (a migration is missing)`);
    if (field.graphql && !field.content && !consumers.consoleFragmentFields.has(field.name)) {
      gaps.push(`console fragment UsageEventFields does not select "${field.name}"`);
    }
  }
  return gaps;
}

let cp: TestControlPlane;
let consumers: Consumers;

beforeAll(async () => {
  cp = await startTestControlPlane(inject('pgAdminUrl'));
  const schema: GraphQLSchema = await buildKeywardSchema(createKeywardPubSub());
  const type = schema.getType('UsageEvent');
  if (!isObjectType(type)) throw new Error('UsageEvent is not an object type');
  const orm = await MikroORM.init({ ...ormOptions(cp.databaseUrl), connect: false });
  const meta = orm.getMetadata().get(UsageEventRecord.name);
  await orm.close(true);
  const db = new pg.Client({ connectionString: cp.databaseUrl });
  await db.connect();
  const { rows } = await db.query<{ column_name: string; data_type: string }>(
    `select column_name, data_type from information_schema.columns where table_name = 'usage_events'`,
  );
  await db.end();
  const fragmentSource = await readFile(new URL('../../../console/src/events/operations.graphql', import.meta.url), 'utf8');
  const fragment = parse(fragmentSource).definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === 'UsageEventFields');
  if (fragment?.kind !== Kind.FRAGMENT_DEFINITION) throw new Error('the console has no UsageEventFields fragment');
  consumers = {
    graphqlFields: new Map(Object.values(type.getFields()).map((f) => [f.name, String(f.type)])),
    entityColumns: new Map(Object.values(meta.properties).map((p) => [p.name === 'organization' ? 'orgId' : p.name, p.fieldNames?.[0] ?? ''])),
    databaseColumns: new Map(rows.map((r) => [r.column_name, r.data_type])),
    consoleFragmentFields: new Set(fragment.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []))),
  };
});

afterAll(async () => {
  await cp?.close();
});

describe('the usage event field table', () => {
  it('is handled by the GraphQL type, the entity, the database and the console', () => {
    expect(gapsFor(USAGE_EVENT_FIELDS, consumers)).toEqual([]);
  });

  it('fails for a field added to it until every hand-written consumer handles it, while the derived ones follow', () => {
    const score: EventFieldCheck = (value, path) => {
      if (typeof value !== 'number') throw new Error(`"${path}" must be a number`);
    };
    const scratch: readonly EventFieldSpec[] = [
      ...USAGE_EVENT_FIELDS,
      { name: 'riskScore', column: 'risk_score', columnType: 'smallint', check: score, graphql: true },
    ];
    expect(gapsFor(scratch, consumers)).toEqual([
      'GraphQL type UsageEvent has no field "riskScore"',
      'entity UsageEventRecord does not map "riskScore" to column risk_score',
      'table usage_events has no smallint column risk_score (a migration is missing)',
      'console fragment UsageEventFields does not select "riskScore"',
    ]);

    // Derived: the validator, the insert statement and the row mapping need no change.
    expect(() => checkUsageEventFields({}, '', scratch.slice(-1))).toThrow(/riskScore/);
    const insert = insertEventsStatement(scratch);
    expect(insert).toContain('risk_score');
    expect(insert).toContain('"riskScore" smallint');
    expect(eventSelectList(scratch)).toContain('risk_score as "riskScore"');
    expect(toUsageEventMessage({ receivedAt: new Date(0).toISOString(), riskScore: 7 }, scratch)).toMatchObject({ riskScore: 7 });
  });
});

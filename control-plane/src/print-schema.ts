/**
 * Writes the GraphQL schema as SDL to `control-plane/schema.graphql` (the console generates its
 * typed operations from it). Run by the build, so a schema change that breaks the console
 * breaks the console's build.
 */
import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { printSchema } from 'graphql';
import { createKeywardPubSub } from './graphql/pubsub.js';
import { buildKeywardSchema } from './schema.js';

const out = process.argv[2] ?? 'schema.graphql';
const schema = await buildKeywardSchema(createKeywardPubSub());
await writeFile(out, printSchema(schema) + '\n');

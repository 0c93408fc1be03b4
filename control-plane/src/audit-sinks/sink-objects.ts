import { createGuardedAgent, openSecret } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from '../config-publish/sql.js';
import { deleteObject, listObjects, S3Error } from '../s3/s3-bucket.js';
import type { Services } from '../services.js';
import { AuditSink, sinkAad } from './sink.entity.js';
import { networkFailure } from './transports/http-post.js';
import { isSinkObjectName, sinkBucket } from './transports/s3.js';

const TIMEOUT_MS = 10_000;

/** An S3 sink whose objects could not be deleted: where they are, and why (never a key). */
export interface SinkObjectsLeft {
  readonly bucket: string;
  readonly folder: string;
  readonly error: string;
}

/**
 * Deletes the objects Keyward wrote for an organization into its S3 sinks' buckets: it pauses
 * the organization's sinks (so the worker writes no more), lists `<prefix>/<orgId>/` in each
 * bucket and deletes the names Keyward gives its batches (`isSinkObjectName`); anything else in
 * that folder is the customer's and stays. Connections follow the sinks' address rules. Resolves
 * with the sinks whose bucket could not be listed or emptied; running it again carries on.
 * Other kinds of sink (webhook, Splunk, syslog, OTLP) keep nothing Keyward could delete.
 */
export async function deleteSinkObjects(services: Services, em: EntityManager, orgId: string): Promise<SinkObjectsLeft[]> {
  await sqlRows(em, 'update audit_sinks set paused = true where organization_id = ? and kind = ?', [orgId, 's3']);
  const sinks = await em.find(AuditSink, { organization: orgId, kind: 's3' }, { filters: { tenant: false } });
  if (sinks.length === 0) return [];
  const agent = createGuardedAgent({ allowLoopback: services.config.allowLoopbackUpstreams, connect: { timeout: TIMEOUT_MS } });
  const options = { dispatcher: agent, timeoutMs: TIMEOUT_MS };
  const left: SinkObjectsLeft[] = [];
  try {
    for (const sink of sinks) {
      const secret = await openSecret(services.kms, sink.sealed(), sinkAad(orgId, sink.id));
      const bucket = sinkBucket({ orgId, settings: sink.settings, secret });
      try {
        for (const name of await listObjects(bucket, '', options)) if (isSinkObjectName(name)) await deleteObject(bucket, name, options);
      } catch (error) {
        left.push({ bucket: sink.settings.bucket!, folder: bucket.prefix, error: error instanceof S3Error ? error.message : networkFailure(error) });
      }
    }
  } finally {
    await agent.close();
  }
  return left;
}

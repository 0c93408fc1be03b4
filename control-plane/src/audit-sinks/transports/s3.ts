import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { bucketBase, putObject, S3Error, type S3Bucket } from '../../s3/s3-bucket.js';
import type { FormattedRecord } from '../formats/index.js';
import { networkFailure } from './http-post.js';
import { SinkSendError, type SinkTarget, type SinkTransport } from './types.js';

/** Where a sink's objects of one organization go: `<prefix>/<orgId>/` in its bucket. */
export function sinkBucket(target: Pick<SinkTarget, 'orgId' | 'settings' | 'secret'>): S3Bucket {
  const { endpoint, bucket, region, prefix, accessKeyId } = target.settings;
  return {
    base: bucketBase(endpoint, bucket!, region!),
    prefix: `${prefix ? `${prefix}/` : ''}${target.orgId}/`,
    region: region!,
    accessKeyId: accessKeyId!,
    secretAccessKey: target.secret,
  };
}

/**
 * The object name of a batch under the organization's folder: `<chain>/YYYY/MM/DD/HH/<chain>-<first seq>-<last seq>.ndjson.gz`,
 * the hour (UTC) of its first record, positions zero-padded so names sort in chain order. A batch
 * sent again after a failure has the same name and the same content: the retry overwrites it.
 */
function objectName(records: readonly FormattedRecord[]): string {
  const first = records[0]!.source;
  const last = records[records.length - 1]!.source;
  const hour = records[0]!.time.toISOString().slice(0, 13).replace(/[-T]/g, '/');
  const pad = (n: number) => String(n).padStart(12, '0');
  return `${first.chain}/${hour}/${first.chain}-${pad(first.seq)}-${pad(last.seq)}.ndjson.gz`;
}

/** Whether a name under the organization's folder is one Keyward writes (`objectName`): anything else there is the customer's. */
export function isSinkObjectName(name: string): boolean {
  return /^(usage|audit)\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\1-\d{12}-\d{12}\.ndjson\.gz$/.test(name);
}

/**
 * An S3-compatible bucket: each batch is one gzip NDJSON object (`PUT`, signed with AWS
 * Signature V4 by `s3/s3-bucket.ts`), sent through the same guarded agent as every other sink so the
 * address rules hold at connect time. The worker sends an S3 sink's chain at most once per
 * interval (hourly by default), so objects gather an hour of rows. A custom endpoint is
 * addressed path-style (`<endpoint>/<bucket>/<key>`), AWS virtual-hosted style.
 */
export const s3Transport: SinkTransport = async (target, records, context) => {
  const body = gzipSync(Buffer.from(records.map((r) => `${JSON.stringify(r.json)}\n`).join(''), 'utf8'));
  const described = {
    sha256: createHash('sha256').update(body).digest('hex'),
    length: body.length,
    headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
  };
  try {
    await putObject(sinkBucket(target), objectName(records), body, described, { dispatcher: context.agent, timeoutMs: context.timeoutMs });
  } catch (error) {
    if (!(error instanceof S3Error)) throw new SinkSendError(networkFailure(error));
    const status = error.status;
    throw new SinkSendError(`the bucket answered HTTP ${status}`, status >= 400 && status < 500 && status !== 408 && status !== 429);
  }
};

/** Whether an S3 sink's chain may send now: first time, or not yet in the current interval window. */
export function s3Due(target: Pick<SinkTarget, 'sink'>, lastDeliveredAt: Date | null, intervalSeconds: number, now = Date.now()): boolean {
  if (target.sink.kind !== 's3' || !lastDeliveredAt) return true;
  const window = intervalSeconds * 1000;
  return Math.floor(lastDeliveredAt.getTime() / window) < Math.floor(now / window);
}

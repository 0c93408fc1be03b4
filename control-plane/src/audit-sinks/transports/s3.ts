import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import aws4 from 'aws4';
import { request } from 'undici';
import type { FormattedRecord } from '../formats/index.js';
import { networkFailure } from './http-post.js';
import { SinkSendError, type SinkTarget, type SinkTransport } from './types.js';

/**
 * The object key of a batch: `<prefix>/<orgId>/<chain>/YYYY/MM/DD/HH/<chain>-<first seq>-<last seq>.ndjson.gz`,
 * the hour (UTC) of its first record, positions zero-padded so keys sort in chain order. A batch
 * sent again after a failure has the same key and the same content: the retry overwrites it.
 */
function objectKey(prefix: string, orgId: string, records: readonly FormattedRecord[]): string {
  const first = records[0]!.source;
  const last = records[records.length - 1]!.source;
  const hour = records[0]!.time.toISOString().slice(0, 13).replace(/[-T]/g, '/');
  const pad = (n: number) => String(n).padStart(12, '0');
  return `${prefix ? `${prefix}/` : ''}${orgId}/${first.chain}/${hour}/${first.chain}-${pad(first.seq)}-${pad(last.seq)}.ndjson.gz`;
}

/**
 * An S3-compatible bucket: each batch is one gzip NDJSON object (`PUT`, signed with AWS
 * Signature V4 by `aws4`), sent through the same guarded agent as every other sink so the
 * address rules hold at connect time. The worker sends an S3 sink's chain at most once per
 * interval (hourly by default), so objects gather an hour of rows. A custom endpoint is
 * addressed path-style (`<endpoint>/<bucket>/<key>`), AWS virtual-hosted style.
 */
export const s3Transport: SinkTransport = async (target, records, context) => {
  const { endpoint, bucket, region, prefix, accessKeyId } = target.settings;
  const key = objectKey(prefix ?? '', target.orgId, records);
  const body = gzipSync(Buffer.from(records.map((r) => `${JSON.stringify(r.json)}\n`).join(''), 'utf8'));
  const base = new URL(endpoint ? `${endpoint}/${bucket}/` : `https://${bucket}.s3.${region}.amazonaws.com/`);
  const url = new URL(key.split('/').map(encodeURIComponent).join('/'), base);
  const signed = aws4.sign(
    {
      host: url.host,
      path: url.pathname,
      method: 'PUT',
      service: 's3',
      region,
      body,
      headers: {
        'content-type': 'application/x-ndjson',
        'content-encoding': 'gzip',
        'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
      },
    },
    { accessKeyId, secretAccessKey: target.secret },
  );
  let status: number;
  try {
    const res = await request(url, {
      method: 'PUT',
      headers: signed.headers as Record<string, string>,
      body,
      dispatcher: context.agent,
      headersTimeout: context.timeoutMs,
      bodyTimeout: context.timeoutMs,
    });
    status = res.statusCode;
    await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
  } catch (error) {
    throw new SinkSendError(networkFailure(error));
  }
  if (status < 200 || status >= 300) {
    throw new SinkSendError(`the bucket answered HTTP ${status}`, status >= 400 && status < 500 && status !== 408 && status !== 429);
  }
};

/** Whether an S3 sink's chain may send now: first time, or not yet in the current interval window. */
export function s3Due(target: Pick<SinkTarget, 'sink'>, lastDeliveredAt: Date | null, intervalSeconds: number, now = Date.now()): boolean {
  if (target.sink.kind !== 's3' || !lastDeliveredAt) return true;
  const window = intervalSeconds * 1000;
  return Math.floor(lastDeliveredAt.getTime() / window) < Math.floor(now / window);
}

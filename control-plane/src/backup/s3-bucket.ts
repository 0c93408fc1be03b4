import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { ConfigError } from '../config-error.js';
import { bucketBase, putObject, type S3Bucket } from '../s3/s3-bucket.js';

/**
 * Reads `KEYWARD_BACKUP_S3_URL`: `s3://<bucket>/<prefix>` on AWS (region from
 * `KEYWARD_BACKUP_S3_REGION`, else `AWS_REGION`, else us-east-1), or
 * `http(s)://<host>/<bucket>/<prefix>` on an S3-compatible service; the keys are the usual
 * `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`. Null when the URL is not set.
 */
export function backupBucketFrom(env: NodeJS.ProcessEnv): S3Bucket | null {
  const raw = env.KEYWARD_BACKUP_S3_URL?.trim();
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('KEYWARD_BACKUP_S3_URL must be s3://<bucket>/<prefix> or http(s)://<host>/<bucket>/<prefix>.');
  }
  const accessKeyId = env.AWS_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY?.trim();
  if (!accessKeyId || !secretAccessKey) throw new ConfigError('KEYWARD_BACKUP_S3_URL needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.');
  const region = env.KEYWARD_BACKUP_S3_REGION?.trim() || env.AWS_REGION?.trim() || 'us-east-1';
  const path = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
  const folder = (p: string) => (p ? `${p}/` : '');
  if (url.protocol === 's3:') {
    if (!url.hostname) throw new ConfigError('KEYWARD_BACKUP_S3_URL names no bucket: s3://<bucket>/<prefix>.');
    return { base: bucketBase(null, url.hostname, region), prefix: folder(path), region, accessKeyId, secretAccessKey };
  }
  const [bucket, ...rest] = path.split('/');
  if (!['http:', 'https:'].includes(url.protocol) || !bucket)
    throw new ConfigError('KEYWARD_BACKUP_S3_URL must be s3://<bucket>/<prefix> or http(s)://<host>/<bucket>/<prefix>.');
  return { base: bucketBase(url.origin, bucket, region), prefix: folder(rest.join('/')), region, accessKeyId, secretAccessKey };
}

/** Uploads a file as `<prefix><name>`, streamed (its SHA-256 is read first, for the signature). */
export async function uploadBackup(bucket: S3Bucket, path: string, name: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  const { size } = await stat(path);
  const described = { sha256: hash.digest('hex'), length: size, headers: { 'content-type': 'application/octet-stream' } };
  return (await putObject(bucket, name, createReadStream(path), described)).toString();
}

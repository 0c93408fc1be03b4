import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import aws4 from 'aws4';
import { request } from 'undici';
import { ConfigError } from '../config-error.js';

/** Where backups go in a bucket, and the keys that may write there. */
export interface BackupBucket {
  /** The bucket's base URL, ending in `/`: path-style on a custom endpoint, virtual-hosted on AWS. */
  readonly base: URL;
  /** Key prefix, `''` or ending in `/`. */
  readonly prefix: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * Reads `KEYWARD_BACKUP_S3_URL`: `s3://<bucket>/<prefix>` on AWS (region from
 * `KEYWARD_BACKUP_S3_REGION`, else `AWS_REGION`, else us-east-1), or
 * `http(s)://<host>/<bucket>/<prefix>` on an S3-compatible service; the keys are the usual
 * `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`. Null when the URL is not set.
 */
export function backupBucketFrom(env: NodeJS.ProcessEnv): BackupBucket | null {
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
    return { base: new URL(`https://${url.hostname}.s3.${region}.amazonaws.com/`), prefix: folder(path), region, accessKeyId, secretAccessKey };
  }
  const [bucket, ...rest] = path.split('/');
  if (!['http:', 'https:'].includes(url.protocol) || !bucket)
    throw new ConfigError('KEYWARD_BACKUP_S3_URL must be s3://<bucket>/<prefix> or http(s)://<host>/<bucket>/<prefix>.');
  return { base: new URL(`${url.origin}/${bucket}/`), prefix: folder(rest.join('/')), region, accessKeyId, secretAccessKey };
}

/** One request to the bucket, signed with AWS Signature V4 (`aws4`, as the S3 audit sink signs). */
async function send(bucket: BackupBucket, method: 'PUT' | 'GET' | 'DELETE', url: URL, headers: Record<string, string>, body?: NodeJS.ReadableStream) {
  const signed = aws4.sign(
    { host: url.host, path: `${url.pathname}${url.search}`, method, service: 's3', region: bucket.region, headers },
    { accessKeyId: bucket.accessKeyId, secretAccessKey: bucket.secretAccessKey },
  );
  const res = await request(url, { method, headers: signed.headers as Record<string, string>, body: body as never });
  const text = await res.body.text();
  if (res.statusCode < 200 || res.statusCode >= 300) {
    const code = /<Code>([^<]{1,100})<\/Code>/.exec(text)?.[1];
    throw new Error(`the bucket answered HTTP ${res.statusCode}${code ? ` (${code})` : ''} to ${method} ${url.pathname}`);
  }
  return text;
}

const objectUrl = (bucket: BackupBucket, name: string) => new URL(`${bucket.prefix}${name}`.split('/').map(encodeURIComponent).join('/'), bucket.base);

/** Uploads a file as `<prefix><name>`, streamed (its SHA-256 is read first, for the signature). */
export async function uploadBackup(bucket: BackupBucket, path: string, name: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  const { size } = await stat(path);
  const url = objectUrl(bucket, name);
  await send(
    bucket,
    'PUT',
    url,
    { 'content-type': 'application/octet-stream', 'content-length': String(size), 'x-amz-content-sha256': hash.digest('hex') },
    createReadStream(path),
  );
  return url.toString();
}

const EMPTY_SHA256 = createHash('sha256').digest('hex');

/** The names (without the prefix) of the objects under the prefix that start with `start`, every page of the listing. */
export async function listBackups(bucket: BackupBucket, start: string): Promise<string[]> {
  const names: string[] = [];
  let token: string | null = null;
  do {
    const url = new URL(bucket.base);
    url.searchParams.set('list-type', '2');
    url.searchParams.set('prefix', `${bucket.prefix}${start}`);
    if (token) url.searchParams.set('continuation-token', token);
    const xml = await send(bucket, 'GET', url, { 'x-amz-content-sha256': EMPTY_SHA256 });
    for (const [, key] of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) names.push(unescapeXml(key!).slice(bucket.prefix.length));
    token = /<IsTruncated>true<\/IsTruncated>/.test(xml) ? unescapeXml(/<NextContinuationToken>([^<]*)</.exec(xml)?.[1] ?? '') || null : null;
  } while (token);
  return names;
}

export async function deleteBackup(bucket: BackupBucket, name: string): Promise<void> {
  await send(bucket, 'DELETE', objectUrl(bucket, name), { 'x-amz-content-sha256': EMPTY_SHA256 });
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!);
}

import { createHash } from 'node:crypto';
import aws4 from 'aws4';
import { request, type Dispatcher } from 'undici';

/** A place in an S3-compatible bucket, and the keys that may use it. */
export interface S3Bucket {
  /** The bucket's base URL, ending in `/`: path-style on a custom endpoint, virtual-hosted on AWS. */
  readonly base: URL;
  /** Key prefix, `''` or ending in `/`. */
  readonly prefix: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** How a request travels: the agent to connect with (the guarded one for customers' buckets) and its timeout. */
export interface S3RequestOptions {
  readonly dispatcher?: Dispatcher;
  readonly timeoutMs?: number;
}

/** The bucket answered, but not with 2xx: the status and S3's error code, never a key or signature. */
export class S3Error extends Error {
  override name = 'S3Error';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** A bucket's base URL: `<endpoint>/<bucket>/` (path-style) on a custom endpoint, `https://<bucket>.s3.<region>.amazonaws.com/` on AWS. */
export function bucketBase(endpoint: string | null | undefined, bucket: string, region: string): URL {
  return new URL(endpoint ? `${endpoint.replace(/\/+$/, '')}/${bucket}/` : `https://${bucket}.s3.${region}.amazonaws.com/`);
}

const EMPTY_SHA256 = createHash('sha256').digest('hex');

const objectUrl = (bucket: S3Bucket, name: string) => new URL(`${bucket.prefix}${name}`.split('/').map(encodeURIComponent).join('/'), bucket.base);

/** One request to the bucket, signed with AWS Signature V4 (`aws4`); resolves with the body of a 2xx answer. */
async function send(
  bucket: S3Bucket,
  method: 'PUT' | 'GET' | 'DELETE',
  url: URL,
  headers: Record<string, string>,
  body: Buffer | NodeJS.ReadableStream | undefined,
  options: S3RequestOptions,
): Promise<string> {
  const signed = aws4.sign(
    { host: url.host, path: `${url.pathname}${url.search}`, method, service: 's3', region: bucket.region, headers },
    { accessKeyId: bucket.accessKeyId, secretAccessKey: bucket.secretAccessKey },
  );
  const res = await request(url, {
    method,
    headers: signed.headers as Record<string, string>,
    body: body as never,
    dispatcher: options.dispatcher,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  if (res.statusCode >= 200 && res.statusCode < 300) return res.body.text();
  const text = await res.body.text().catch(() => '');
  const code = /<Code>([^<]{1,100})<\/Code>/.exec(text)?.[1];
  throw new S3Error(`the bucket answered HTTP ${res.statusCode}${code ? ` (${code})` : ''} to ${method} ${url.pathname}`, res.statusCode);
}

/** Writes `<prefix><name>`; `sha256` (hex) and `length` describe `body`, which a stream is read once to send. */
export async function putObject(
  bucket: S3Bucket,
  name: string,
  body: Buffer | NodeJS.ReadableStream,
  described: { sha256: string; length: number; headers?: Record<string, string> },
  options: S3RequestOptions = {},
): Promise<URL> {
  const url = objectUrl(bucket, name);
  const headers = { ...described.headers, 'content-length': String(described.length), 'x-amz-content-sha256': described.sha256 };
  await send(bucket, 'PUT', url, headers, body, options);
  return url;
}

/** The names (without the prefix) of the objects under the prefix that start with `start`, every page of the listing. */
export async function listObjects(bucket: S3Bucket, start = '', options: S3RequestOptions = {}): Promise<string[]> {
  const names: string[] = [];
  let token: string | null = null;
  do {
    const url = new URL(bucket.base);
    url.searchParams.set('list-type', '2');
    url.searchParams.set('prefix', `${bucket.prefix}${start}`);
    if (token) url.searchParams.set('continuation-token', token);
    const xml = await send(bucket, 'GET', url, { 'x-amz-content-sha256': EMPTY_SHA256 }, undefined, options);
    for (const [, key] of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) names.push(unescapeXml(key!).slice(bucket.prefix.length));
    token = /<IsTruncated>true<\/IsTruncated>/.test(xml) ? unescapeXml(/<NextContinuationToken>([^<]*)</.exec(xml)?.[1] ?? '') || null : null;
  } while (token);
  return names;
}

export async function deleteObject(bucket: S3Bucket, name: string, options: S3RequestOptions = {}): Promise<void> {
  await send(bucket, 'DELETE', objectUrl(bucket, name), { 'x-amz-content-sha256': EMPTY_SHA256 }, undefined, options);
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!);
}

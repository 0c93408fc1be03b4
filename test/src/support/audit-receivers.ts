import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { createServer as createHttpServer, get as httpGet, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import S3rver from 's3rver';
import { freePort } from './system.js';

/** A receiver a test can stop for a while and start again on the same port, keeping what it received. */
export interface StoppableReceiver {
  readonly port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

async function waitForTcp(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Debian's rsyslogd run by the test, its received messages written one per line as `MSGID SD MSG`. */
export interface Rsyslog extends StoppableReceiver {
  readonly transport: 'tcp' | 'tls' | 'udp';
  /** PEM certificate of the test CA (TLS only). */
  readonly caCertificate: string | null;
  /** Every line written so far: `{ msgid, sd, json }`. */
  lines(): Promise<{ msgid: string; sd: string; json: any }[]>;
}

/**
 * Starts `rsyslogd -n` with its own configuration in `dir`: one input (imtcp, imtcp with the
 * gtls driver and a self-signed certificate for 127.0.0.1, or imudp) and one output file.
 */
export async function startRsyslog(dir: string, transport: 'tcp' | 'tls' | 'udp'): Promise<Rsyslog> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  let caCertificate: string | null = null;
  let global = `global(workDirectory="${dir}" maxMessageSize="64k")`;
  let input = `module(load="imtcp")\ninput(type="imtcp" port="${port}")`;
  if (transport === 'udp') input = `module(load="imudp")\ninput(type="imudp" port="${port}" address="127.0.0.1")`;
  if (transport === 'tls') {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    caCertificate = await readFile(join(dir, 'cert.pem'), 'utf8');
    global = `global(workDirectory="${dir}" maxMessageSize="64k" defaultNetstreamDriver="gtls" defaultNetstreamDriverCAFile="${dir}/cert.pem" defaultNetstreamDriverCertFile="${dir}/cert.pem" defaultNetstreamDriverKeyFile="${dir}/key.pem")`;
    input = `module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")\ninput(type="imtcp" port="${port}")`;
  }
  const out = join(dir, 'received.log');
  await writeFile(
    join(dir, 'rsyslog.conf'),
    `${global}\n${input}\ntemplate(name="line" type="string" string="%msgid% %structured-data% %msg%\\n")\naction(type="omfile" file="${out}" template="line")\n`,
  );
  let child: ChildProcess | null = null;
  const receiver: Rsyslog = {
    port,
    transport,
    caCertificate,
    async start() {
      child = spawn('rsyslogd', ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslogd.pid')], { stdio: 'ignore' });
      if (transport === 'udp') await new Promise((resolve) => setTimeout(resolve, 1_000));
      else await waitForTcp(port);
    },
    async stop() {
      const running = child;
      child = null;
      if (!running || running.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGTERM');
      });
    },
    async lines() {
      const text = await readFile(out, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const match = /^(\S+) (\[[^\]]*\]) (.*)$/.exec(line);
          if (!match) throw new Error(`rsyslog wrote an unexpected line: ${line.slice(0, 200)}`);
          return { msgid: match[1]!, sd: match[2]!, json: JSON.parse(match[3]!) };
        });
    },
  };
  await receiver.start();
  return receiver;
}

/** An HTTP receiver written in the test that records each accepted request's path, headers and raw body. */
export interface HttpReceiver extends StoppableReceiver {
  readonly url: string;
  readonly requests: { path: string; headers: IncomingMessage['headers']; body: Buffer }[];
}

/** Starts an HTTP receiver on a fixed loopback port; `stop` closes it (connections refused), `start` listens again. */
export async function startHttpReceiver(): Promise<HttpReceiver> {
  const port = await freePort();
  let server: Server | null = null;
  const requests: HttpReceiver['requests'] = [];
  const receiver: HttpReceiver = {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    async start() {
      const s = createHttpServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          requests.push({ path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) });
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"Success","code":0}');
        });
      });
      await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
      server = s;
    },
    async stop() {
      const s = server;
      server = null;
      if (!s) return;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    },
  };
  await receiver.start();
  return receiver;
}

const require = createRequire(import.meta.url);

/** The protobuf types `@opentelemetry/otlp-transformer` generates from the OTLP `.proto` files. */
const otlpRoot = require('@opentelemetry/otlp-transformer/build/src/generated/root.js') as {
  opentelemetry: {
    proto: { collector: { logs: { v1: { ExportLogsServiceRequest: { decode(b: Uint8Array): unknown; toObject(m: unknown, o: object): any } } } } };
  };
};

/** Decodes an OTLP/HTTP protobuf logs request body exactly as a collector would. */
export function decodeOtlpLogs(body: Buffer): any {
  const type = otlpRoot.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
  return type.toObject(type.decode(body), { longs: String, enums: String, defaults: false });
}

/** `s3rver` from the npm registry, on a fixed port and directory, with one bucket. */
export interface S3Receiver extends StoppableReceiver {
  readonly endpoint: string;
  readonly bucket: string;
  /** Every object's key and NDJSON lines, in key order, read back through the S3 API. */
  objects(): Promise<{ key: string; encoding: string | undefined; lines: any[] }[]>;
}

export async function startS3rver(dir: string, bucket: string): Promise<S3Receiver> {
  const port = await freePort();
  let server: { close(): Promise<void> } | null = null;
  const endpoint = `http://127.0.0.1:${port}`;
  const fetchRaw = (path: string) =>
    new Promise<{ headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
      httpGet(`${endpoint}${path}`, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
  const receiver: S3Receiver = {
    port,
    endpoint,
    bucket,
    async start() {
      const s = new S3rver({ port, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: bucket, configs: [] }] });
      await s.run();
      server = s;
    },
    async stop() {
      const s = server;
      server = null;
      await s?.close();
    },
    async objects() {
      const list = (await fetchRaw(`/${bucket}?list-type=2&max-keys=1000`)).body.toString('utf8');
      const keys = [...list.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]!).sort();
      const objects = [];
      for (const key of keys) {
        const { headers, body } = await fetchRaw(`/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`);
        const text = gunzipSync(body).toString('utf8');
        objects.push({
          key,
          encoding: headers['content-encoding'],
          lines: text
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l)),
        });
      }
      return objects;
    },
  };
  await receiver.start();
  return receiver;
}

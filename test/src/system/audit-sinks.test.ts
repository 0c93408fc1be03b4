import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  decodeOtlpLogs,
  startHttpReceiver,
  startRsyslog,
  startS3rver,
  type HttpReceiver,
  type Rsyslog,
  type S3Receiver,
  type StoppableReceiver,
} from '../support/audit-receivers.js';
import { eventually, startTestSystem, type TestSystem } from '../support/system.js';

const SINKS = `{ auditSinks { id name lag lastError cursors { chain deliveredSeq headSeq attempts lastError } } }`;

interface SinkState {
  id: string;
  name: string;
  lag: number;
  lastError: string | null;
  cursors: { chain: string; deliveredSeq: number; headSeq: number; attempts: number; lastError: string | null }[];
}

/**
 * The audit trail leaving Keyward for the tools security teams run, against real receivers:
 * Debian's rsyslogd (TCP, TLS, UDP), `s3rver` and receivers written here that decode Splunk HEC
 * and OTLP/HTTP exactly. Requests go through a data plane to the mock provider; each receiver
 * is stopped while more requests are made, started again, and must then hold every usage event
 * exactly once, in the order the requests were made.
 */
describe('audit sinks against real receivers', () => {
  let system: TestSystem;
  let dir: string;
  let client: OpenAI;
  let tcp: Rsyslog;
  let tls: Rsyslog;
  let udp: Rsyslog;
  let s3: S3Receiver;
  let otlp: HttpReceiver;
  let splunk: HttpReceiver;
  const secrets: string[] = [];
  const requestIds: string[] = [];

  async function sinks(): Promise<SinkState[]> {
    const res = await system.owner.gql<{ auditSinks: SinkState[] }>(SINKS);
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data!.auditSinks;
  }

  async function createSink(input: Record<string, unknown>): Promise<string> {
    const res = await system.owner.gql<{ createAuditSink: { sink: { id: string } } }>(
      'mutation($input: CreateAuditSinkInput!) { createAuditSink(input: $input) { sink { id } } }',
      { input: { chains: ['USAGE'], ...input } },
    );
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data!.createAuditSink.sink.id;
  }

  async function call(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const { response } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `call ${i}` }] }).withResponse();
      requestIds.push(response.headers.get('x-request-id')!);
    }
  }

  /** Waits until every sink named has delivered all `count` usage events so far. */
  async function delivered(names: readonly string[], count: number, timeoutMs = 60_000): Promise<void> {
    await eventually(
      async () => {
        const all = await sinks();
        const done = names.every((name) => all.find((s) => s.name === name)?.cursors.find((c) => c.chain === 'USAGE')?.deliveredSeq === count);
        return done ? true : undefined;
      },
      timeoutMs,
      `${names.join(', ')} to deliver ${count} usage events`,
    );
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyward-sinks-'));
    system = await startTestSystem(inject('pgAdminUrl'), {
      controlPlaneEnv: { KEYWARD_AUDIT_SINK_POLL_MS: '100', KEYWARD_AUDIT_SINK_MAX_BACKOFF_SECONDS: '1', KEYWARD_AUDIT_SINK_S3_INTERVAL_SECONDS: '1' },
    });
    [tcp, tls, udp] = await Promise.all([startRsyslog(join(dir, 'tcp'), 'tcp'), startRsyslog(join(dir, 'tls'), 'tls'), startRsyslog(join(dir, 'udp'), 'udp')]);
    s3 = await startS3rver(join(dir, 's3'), 'keyward-audit');
    otlp = await startHttpReceiver();
    splunk = await startHttpReceiver();
    await system.addMockCredential();
    const key = await system.createKey();
    secrets.push(key.secret);
    client = new OpenAI({ apiKey: key.secret, baseURL: `${system.dp.url}/v1`, maxRetries: 0 });
  }, 180_000);

  afterAll(async () => {
    const logs = system?.allLogs() ?? [];
    expect(secrets.filter((secret) => logs.some((line) => line.includes(secret)))).toEqual([]);
    await Promise.all([tcp?.stop(), tls?.stop(), udp?.stop(), s3?.stop(), otlp?.stop(), splunk?.stop()]);
    await system?.close();
    await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('lose nothing while each receiver is down, and deliver every event once, in order, when it returns', async () => {
    const hecToken = randomBytes(16).toString('hex');
    const otlpToken = randomBytes(16).toString('hex');
    secrets.push(hecToken, otlpToken);
    await createSink({ name: 'syslog-tcp', kind: 'SYSLOG', host: '127.0.0.1', port: tcp.port, transport: 'TCP' });
    await createSink({
      name: 'syslog-tls',
      kind: 'SYSLOG',
      host: '127.0.0.1',
      port: tls.port,
      transport: 'TLS',
      caCertificate: tls.caCertificate,
      format: 'OCSF',
    });
    await createSink({ name: 's3', kind: 'S3', endpoint: s3.endpoint, bucket: s3.bucket, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', prefix: 'audit' });
    await createSink({ name: 'otlp', kind: 'OTLP', url: `${otlp.url}/v1/logs`, token: otlpToken, format: 'OCSF' });
    await createSink({ name: 'splunk', kind: 'SPLUNK_HEC', url: splunk.url, token: hecToken, index: 'security' });
    const reliable = ['syslog-tcp', 'syslog-tls', 's3', 'otlp', 'splunk'];
    const receivers: StoppableReceiver[] = [tcp, tls, s3, otlp, splunk];

    await call(3);
    await delivered(reliable, 3);

    await Promise.all(receivers.map((r) => r.stop()));
    await call(4);
    // Every sink fails while its receiver is down, and its cursor holds.
    const failing = await eventually(
      async () => {
        const all = await sinks();
        const stuck = reliable.map((name) => all.find((s) => s.name === name)!);
        return stuck.every((s) => s.lastError && s.lag === 4) ? stuck : undefined;
      },
      60_000,
      'every sink to report its receiver down',
    );
    for (const sink of failing) expect(sink.cursors[0]).toMatchObject({ deliveredSeq: 3, headSeq: 7 });
    expect(failing.find((s) => s.name === 'syslog-tcp')!.lastError).toMatch(/ECONNREFUSED/);

    await Promise.all(receivers.map((r) => r.start()));
    await call(1);
    await delivered(reliable, 8);
    expect(requestIds).toHaveLength(8);

    // syslog over TCP: RFC 5424 with octet counting, Keyward JSON in MSG.
    const tcpLines = (await tcp.lines()).filter((l) => l.msgid === 'usage');
    expect(tcpLines.map((l) => l.json.row.requestId)).toEqual(requestIds);
    expect(tcpLines.map((l) => l.json.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(tcpLines[3]!.sd).toBe(`[keyward@32473 chain="usage" seq="4" hash="${tcpLines[3]!.json.hash}"]`);

    // syslog over TLS, OCSF.
    const tlsLines = (await tls.lines()).filter((l) => l.msgid === 'usage');
    expect(tlsLines.map((l) => l.json.api.request.uid)).toEqual(requestIds);
    expect(tlsLines.every((l) => l.json.class_uid === 6003 && l.json.type_uid === 600301)).toBe(true);

    // S3: gzip NDJSON objects whose keys sort in chain order.
    const objects = await s3.objects();
    expect(objects.length).toBeGreaterThanOrEqual(2);
    for (const o of objects) expect(o.key).toMatch(/^audit\/[0-9a-f-]{36}\/usage\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/usage-\d{12}-\d{12}\.ndjson\.gz$/);
    expect(objects.flatMap((o) => o.lines.map((l) => l.row.requestId))).toEqual(requestIds);

    // OTLP/HTTP: protobuf ExportLogsServiceRequest, decoded by @opentelemetry/otlp-transformer.
    expect(
      otlp.requests.every(
        (r) => r.path === '/v1/logs' && r.headers['content-type'] === 'application/x-protobuf' && r.headers.authorization === `Bearer ${otlpToken}`,
      ),
    ).toBe(true);
    const logRecords = otlp.requests.flatMap((r) => {
      const decoded = decodeOtlpLogs(r.body);
      const [resourceLogs] = decoded.resourceLogs;
      expect(resourceLogs.resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'keyward' } });
      expect(resourceLogs.scopeLogs[0].scope).toEqual({ name: 'keyward.audit', version: '1' });
      return resourceLogs.scopeLogs[0].logRecords;
    });
    const otlpEvents = logRecords.map((rec: any) => ({ rec, body: JSON.parse(rec.body.stringValue) })).filter((e: any) => e.body.metadata.log_name === 'usage');
    expect(otlpEvents.map((e: any) => e.body.api.request.uid)).toEqual(requestIds);
    const first = otlpEvents[0]!.rec;
    expect(first).toMatchObject({ severityNumber: 'SEVERITY_NUMBER_INFO', severityText: 'INFO' });
    expect(BigInt(first.timeUnixNano) / 1_000_000n).toBe(BigInt(otlpEvents[0]!.body.time));
    expect(first.attributes).toContainEqual({ key: 'keyward.seq', value: { intValue: '1' } });

    // Splunk HEC: the event endpoint, the Splunk authorization scheme, concatenated event objects.
    expect(splunk.requests.every((r) => r.path === '/services/collector/event' && r.headers.authorization === `Splunk ${hecToken}`)).toBe(true);
    const hecEvents = splunk.requests.flatMap((r) =>
      r.body
        .toString('utf8')
        .split('\n')
        .map((line) => JSON.parse(line)),
    );
    expect(hecEvents.map((e) => e.event.row.requestId)).toEqual(requestIds);
    expect(hecEvents[0]).toMatchObject({ host: 'keyward', source: 'keyward:usage', sourcetype: 'keyward:audit', index: 'security' });
  }, 240_000);

  it('send syslog over UDP, which has no acknowledgement, while the receiver is up', async () => {
    await createSink({ name: 'syslog-udp', kind: 'SYSLOG', host: '127.0.0.1', port: udp.port, transport: 'UDP', backfill: true });
    await delivered(['syslog-udp'], requestIds.length);
    const lines = await eventually(async () => {
      const got = (await udp.lines()).filter((l) => l.msgid === 'usage');
      return got.length === requestIds.length ? got : undefined;
    });
    expect(lines.map((l) => l.json.row.requestId)).toEqual(requestIds);
  }, 120_000);
});

import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startReceiver, type ReceivedRequest, type Receiver } from '../testing/approval-fixtures.js';
import {
  createLocalKmsFile,
  createNodeTokenFor,
  createOrgWithMember,
  findSecretsInLogs,
  postEvents,
  restartableControlPlane,
  usageEvent,
  type LocalKmsFile,
  type OrgMember,
  type RestartableControlPlane,
} from '../testing/enforcement-fixtures.js';
import { gqlRequest } from '../testing/test-control-plane.js';
import type { RunningControlPlane } from '../server.js';
import type { UsageEvent } from '@keyward/shared';
import { verifyWebhookSignature } from '../webhooks/signing.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { requirePlanFeature } from '../billing/plans.js';
import { MAX_REFUSALS } from './sink-worker.js';

const SINK_FIELDS = `id name kind format chains paused url index sourcetype host port transport bucket region prefix accessKeyId hasSecret lag lastError
  cursors { chain deliveredSeq headSeq lag attempts lastError lastDeliveredAt nextAttemptAt }
  deadLetters { id chain fromSeq toSeq attempts error }`;
const CREATE = `mutation($input: CreateAuditSinkInput!) { createAuditSink(input: $input) { signingSecret sink { ${SINK_FIELDS} } } }`;
const LIST = `{ auditSinks { ${SINK_FIELDS} } }`;

let restartable: RestartableControlPlane;
let cp: RunningControlPlane;
let kms: LocalKmsFile;
let receiver: Receiver;
const secrets: string[] = [];

interface Sink {
  id: string;
  kind: string;
  format: string;
  lag: number;
  lastError: string | null;
  hasSecret: boolean;
  cursors: { chain: string; deliveredSeq: number; headSeq: number; lag: number; attempts: number; lastError: string | null; nextAttemptAt: string | null }[];
  deadLetters: { id: string; chain: string; fromSeq: number; toSeq: number; attempts: number; error: string }[];
  [field: string]: unknown;
}

function gql<T>(member: OrgMember, query: string, variables?: Record<string, unknown>) {
  return gqlRequest<T>(cp.url, query, variables, { token: member.token });
}

async function createSink(member: OrgMember, input: Record<string, unknown>): Promise<{ sink: Sink; signingSecret: string | null }> {
  const res = await gql<{ createAuditSink: { sink: Sink; signingSecret: string | null } }>(member, CREATE, { input });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  if (res.data!.createAuditSink.signingSecret) secrets.push(res.data!.createAuditSink.signingSecret);
  return res.data!.createAuditSink;
}

async function sinkOf(member: OrgMember, id: string): Promise<Sink> {
  const res = await gql<{ auditSinks: Sink[] }>(member, LIST);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!.auditSinks.find((s) => s.id === id)!;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every NDJSON record the receiver accepted (answered 2xx) on `path`, in arrival order. */
function accepted(path: string, statusOf: Map<ReceivedRequest, number>): any[] {
  return receiver.requests
    .filter((r) => r.path === path && (statusOf.get(r) ?? 200) < 300)
    .flatMap((r) =>
      r.body
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
    );
}

/** An organization with a key and a node token, to store usage events the way nodes do. */
async function orgWithNode(): Promise<{ owner: OrgMember; keyId: string; nodeToken: string }> {
  const owner = await createOrgWithMember(cp, 'owner');
  secrets.push(owner.token);
  const key = await owner.gql<{ createKey: { key: { id: string } } }>('mutation { createKey(input: { name: "agent", ownerLabel: "agent" }) { key { id } } }');
  const nodeToken = await createNodeTokenFor(owner);
  secrets.push(nodeToken);
  return { owner, keyId: key.data!.createKey.key.id, nodeToken };
}

async function storeEvents(
  org: { owner: OrgMember; keyId: string; nodeToken: string },
  count: number,
  model = 'gpt-4o-mini',
  overrides: Partial<UsageEvent> = {},
): Promise<string[]> {
  const events = Array.from({ length: count }, () => usageEvent(org.owner.orgId, org.keyId, { model, ...overrides }));
  const res = await postEvents(cp, org.nodeToken, { type: 'events', nodeId: 'node-a', events });
  expect(res.status).toBe(200);
  return events.map((e) => e.id);
}

beforeAll(async () => {
  kms = await createLocalKmsFile();
  receiver = await startReceiver();
  restartable = await restartableControlPlane(inject('pgAdminUrl'), {
    ...kms.env,
    KEYWARD_AUDIT_SINK_POLL_MS: '100',
    KEYWARD_AUDIT_SINK_MAX_BACKOFF_SECONDS: '1',
  });
  cp = await restartable.start();
});

afterAll(async () => {
  expect(findSecretsInLogs(restartable?.logs ?? [], secrets.filter(Boolean))).toEqual([]);
  await restartable?.destroy();
  await receiver?.close();
  await kms?.remove();
});

describe('audit sink configuration', () => {
  it('refuses a malformed sink with a message naming the field', async () => {
    const owner = await createOrgWithMember(cp, 'admin');
    secrets.push(owner.token);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ name: '', kind: 'HTTPS', url: 'https://siem.example.com/' }, /name/],
      [{ name: 'a', kind: 'HTTPS', url: 'https://siem.example.com/', chains: [] }, /chains/],
      [{ name: 'a', kind: 'HTTPS' }, /^url: is required/],
      [{ name: 'a', kind: 'HTTPS', url: 'not a url' }, /^url: the URL must be an absolute URL/],
      [{ name: 'a', kind: 'SPLUNK_HEC', url: 'https://splunk.example.com:8088' }, /^token: is required/],
      [{ name: 'a', kind: 'SYSLOG', host: 'logs.example.com', port: 70000 }, /^port: must be a whole number from 1 to 65535/],
      [{ name: 'a', kind: 'SYSLOG', host: 'logs.example.com', caCertificate: 'nope' }, /^caCertificate: must be a PEM certificate/],
      [{ name: 'a', kind: 'SYSLOG', host: 'bad host!' }, /^host: must be a host name or an IP address/],
      [{ name: 'a', kind: 'S3', bucket: 'Bad_Bucket', accessKeyId: 'AK', secretAccessKey: 'SK' }, /^bucket: must be 3 to 63/],
      [{ name: 'a', kind: 'S3', bucket: 'logs', secretAccessKey: 'SK' }, /^accessKeyId: is required/],
      [{ name: 'a', kind: 'S3', bucket: 'logs', accessKeyId: 'AK', secretAccessKey: 'SK', prefix: 'a/../b' }, /^prefix: must be/],
    ];
    for (const [input, message] of cases) {
      const res = await gql(owner, CREATE, { input });
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(input)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message, JSON.stringify(input)).toMatch(message);
    }
  });

  it('refuses private, link-local and metadata addresses like credential base URLs do', async () => {
    const owner = await createOrgWithMember(cp, 'admin');
    secrets.push(owner.token);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ name: 'a', kind: 'HTTPS', url: 'https://10.1.2.3/ingest' }, /^url: .*private/],
      [{ name: 'a', kind: 'OTLP', url: 'http://169.254.169.254/v1/logs' }, /^url: /],
      [{ name: 'a', kind: 'SPLUNK_HEC', url: 'https://metadata.google.internal', token: 'x' }, /^url: /],
      [{ name: 'a', kind: 'SYSLOG', host: '192.168.1.20', transport: 'TCP' }, /^host: must be a public address, not a private/],
      [{ name: 'a', kind: 'SYSLOG', host: '169.254.169.254', transport: 'UDP' }, /^host: must be a public address/],
      [{ name: 'a', kind: 'S3', endpoint: 'https://172.16.0.9', bucket: 'logs', accessKeyId: 'AK', secretAccessKey: 'SK' }, /^endpoint: .*private/],
    ];
    for (const [input, message] of cases) {
      const res = await gql(owner, CREATE, { input });
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(input)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message, JSON.stringify(input)).toMatch(message);
    }
    expect((await gql<{ auditSinks: unknown[] }>(owner, LIST)).data!.auditSinks).toEqual([]);
  });

  it('keeps secrets write-only: never answered, never in the audit trail, kept when an update leaves them out', async () => {
    const owner = await createOrgWithMember(cp, 'admin');
    secrets.push(owner.token);
    const token = `hec-${randomUUID()}`;
    const secretAccessKey = `sk-${randomUUID()}`;
    secrets.push(token, secretAccessKey);
    const splunk = await createSink(owner, { name: 'Splunk', kind: 'SPLUNK_HEC', url: `${receiver.url}/hec-keep`, token, index: 'keyward' });
    const s3 = await createSink(owner, {
      name: 'Bucket',
      kind: 'S3',
      endpoint: receiver.url,
      bucket: 'audit-logs',
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey,
    });
    expect(splunk.signingSecret).toBeNull();
    expect(splunk.sink).toMatchObject({ kind: 'SPLUNK_HEC', hasSecret: true, index: 'keyward', format: 'KEYWARD', chains: ['USAGE', 'AUDIT'] });
    expect(s3.sink).toMatchObject({ kind: 'S3', hasSecret: true, bucket: 'audit-logs', region: 'us-east-1', prefix: 'keyward', accessKeyId: 'AKIDEXAMPLE' });

    const renamed = await gql<{ updateAuditSink: Sink }>(
      owner,
      `mutation($input: UpdateAuditSinkInput!) { updateAuditSink(input: $input) { ${SINK_FIELDS} } }`,
      {
        input: { id: splunk.sink.id, name: 'Splunk Cloud', sourcetype: 'keyward:test' },
      },
    );
    expect(renamed.errors).toBeUndefined();
    expect(renamed.data!.updateAuditSink).toMatchObject({ name: 'Splunk Cloud', sourcetype: 'keyward:test', hasSecret: true });
    const test = await gql<{ sendAuditSinkTestEvent: { ok: boolean } }>(owner, 'mutation($id: ID!) { sendAuditSinkTestEvent(id: $id) { ok error } }', {
      id: splunk.sink.id,
    });
    expect(test.data!.sendAuditSinkTestEvent.ok).toBe(true);
    const got = await receiver.waitFor((r) => r.path === '/hec-keep/services/collector/event');
    expect(got.headers.authorization).toBe(`Splunk ${token}`);

    const log = await gql<{ auditLog: { entries: { action: string; args: any }[] } }>(owner, '{ auditLog { entries { action args } } }');
    const created = log.data!.auditLog.entries.filter((e) => e.action === 'createAuditSink').map((e) => e.args.input);
    expect(created.map((input) => input.token ?? input.secretAccessKey)).toEqual(['[redacted]', '[redacted]']);
    const everything = JSON.stringify([(await gql(owner, LIST)).data, log.data]);
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(secretAccessKey);
  });
});

describe('audit sink plans', () => {
  it('are an Enterprise feature where plans apply, and every installation’s on a self-hosted one', () => {
    expect(() => requirePlanFeature('service', { plan: 'pro' }, 'auditSinks')).toThrow('Audit sinks are available on the Enterprise plan.');
    expect(() => requirePlanFeature('service', { plan: 'enterprise' }, 'auditSinks')).not.toThrow();
    expect(() => requirePlanFeature('self-hosted', { plan: 'free' }, 'auditSinks')).not.toThrow();
  });
});

describe('audit sink delivery', () => {
  it('delivers both chains to an HTTPS sink as signed NDJSON, in order, once each', async () => {
    const org = await orgWithNode();
    const path = `/ndjson/${randomUUID()}`;
    const { sink, signingSecret } = await createSink(org.owner, { name: 'SIEM', kind: 'HTTPS', url: `${receiver.url}${path}` });
    expect(signingSecret).toMatch(/^whsec_/);
    const ids = [...(await storeEvents(org, 3)), ...(await storeEvents(org, 4))];

    const done = await until(
      () => sinkOf(org.owner, sink.id),
      (s) => s.lag === 0 && s.cursors.every((c) => c.deliveredSeq > 0 || c.chain === 'AUDIT'),
    );
    const usage = done.cursors.find((c) => c.chain === 'USAGE')!;
    expect(usage).toMatchObject({ deliveredSeq: 7, headSeq: 7, lag: 0, attempts: 0 });

    const posts = receiver.requests.filter((r) => r.path === path);
    for (const post of posts) {
      expect(post.headers['content-type']).toBe('application/x-ndjson');
      expect(verifyWebhookSignature(signingSecret!, post.body, String(post.headers['x-keyward-signature']))).toBe(true);
      expect(post.headers['x-keyward-sink']).toBe(sink.id);
    }
    const records = accepted(path, new Map());
    const usageRecords = records.filter((r) => r.chain === 'usage');
    expect(usageRecords.map((r) => r.id)).toEqual(ids);
    expect(usageRecords.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(usageRecords[0]).toMatchObject({
      type: 'row',
      chain: 'usage',
      prevHash: '0'.repeat(64),
      row: { id: ids[0], orgId: org.owner.orgId, model: 'gpt-4o-mini' },
    });
    expect(usageRecords[1].prevHash).toBe(usageRecords[0].hash);
    // As the trail export writes it: a usage link commits to its content's digest (format 2).
    expect(usageRecords[0]).toMatchObject({
      format: 2,
      contentDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
      content: { content: null },
      contentPurgedAt: null,
    });
    expect(usageRecords[0].row).not.toHaveProperty('content');
    // The sink was created after createKey and createNodeToken: the audit chain is exported from its creation on.
    const audit = records.filter((r) => r.chain === 'audit');
    expect(audit.map((r) => r.row.action)).toEqual(['createAuditSink']);
  });

  it('holds its cursor while the receiver is down and delivers everything in order when it returns', async () => {
    const org = await orgWithNode();
    const path = `/down/${randomUUID()}`;
    const { sink } = await createSink(org.owner, { name: 'Flaky', kind: 'HTTPS', url: `${receiver.url}${path}`, chains: ['USAGE'] });
    const statusOf = new Map<ReceivedRequest, number>();
    let down = true;
    receiver.respond = (req) => (req.path === path && down ? 503 : 200);
    const before = await storeEvents(org, 5);
    const failing = await until(
      () => sinkOf(org.owner, sink.id),
      (s) => s.cursors[0]!.attempts >= 2,
    );
    expect(failing.cursors[0]).toMatchObject({ deliveredSeq: 0, lag: 5, lastError: 'the receiver answered HTTP 503: nope' });
    expect(failing.lastError).toBe('the receiver answered HTTP 503: nope');
    expect(failing.cursors[0]!.nextAttemptAt).not.toBeNull();
    const during = await storeEvents(org, 4);
    // Same tick: every request recorded so far was answered 503, every later one 200.
    for (const r of receiver.requests.filter((q) => q.path === path)) statusOf.set(r, 503);
    down = false;
    await until(
      () => sinkOf(org.owner, sink.id),
      (s) => s.lag === 0,
    );
    const records = accepted(path, statusOf);
    expect(records.map((r) => r.id)).toEqual([...before, ...during]);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('moves a batch the receiver refuses for good to the dead-letter list, and sends it again on request', async () => {
    const org = await orgWithNode();
    const path = `/refuse/${randomUUID()}`;
    const { sink } = await createSink(org.owner, { name: 'Strict', kind: 'HTTPS', url: `${receiver.url}${path}`, chains: ['USAGE'] });
    let refuse = true;
    receiver.respond = (req) => (req.path === path && refuse ? 400 : 200);
    const refused = await storeEvents(org, 2);
    const dead = await until(
      () => sinkOf(org.owner, sink.id),
      (s) => s.deadLetters.length === 1,
    );
    expect(dead.deadLetters[0]).toMatchObject({ chain: 'USAGE', fromSeq: 1, toSeq: 2, attempts: MAX_REFUSALS, error: 'the receiver answered HTTP 400: nope' });
    expect(dead.cursors[0]).toMatchObject({ deliveredSeq: 2, attempts: 0 });
    expect(receiver.requests.filter((r) => r.path === path)).toHaveLength(MAX_REFUSALS);

    refuse = false;
    const later = await storeEvents(org, 1);
    await until(
      () => sinkOf(org.owner, sink.id),
      (s) => s.lag === 0 && s.cursors[0]!.deliveredSeq === 3,
    );
    const retried = await gql<{ retryAuditSinkDeadLetter: { ok: boolean; error: string | null } }>(
      org.owner,
      'mutation($id: ID!) { retryAuditSinkDeadLetter(id: $id) { ok error } }',
      { id: dead.deadLetters[0]!.id },
    );
    expect(retried.data!.retryAuditSinkDeadLetter).toEqual({ ok: true, error: null });
    const okBodies = receiver.requests.filter((r) => r.path === path).slice(MAX_REFUSALS);
    const ids = okBodies.flatMap((r) =>
      r.body
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).id),
    );
    expect(ids).toEqual([...later, ...refused]);
    expect((await sinkOf(org.owner, sink.id)).deadLetters).toEqual([]);
  });

  it('sends nothing while paused, and resumes from the cursor', async () => {
    const org = await orgWithNode();
    const path = `/paused/${randomUUID()}`;
    const { sink } = await createSink(org.owner, { name: 'Paused', kind: 'HTTPS', url: `${receiver.url}${path}`, chains: ['USAGE'] });
    const paused = await gql<{ pauseAuditSink: Sink }>(org.owner, 'mutation($id: ID!) { pauseAuditSink(id: $id) { paused } }', { id: sink.id });
    expect(paused.data!.pauseAuditSink.paused).toBe(true);
    const ids = await storeEvents(org, 3);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(receiver.requests.filter((r) => r.path === path)).toHaveLength(0);
    expect((await sinkOf(org.owner, sink.id)).lag).toBe(3);
    await gql(org.owner, 'mutation($id: ID!) { resumeAuditSink(id: $id) { paused } }', { id: sink.id });
    await until(
      () => sinkOf(org.owner, sink.id),
      (s) => s.lag === 0,
    );
    expect(accepted(path, new Map()).map((r) => r.id)).toEqual(ids);
  });

  it('exports OCSF API Activity to Splunk HEC in the collector’s batch format', async () => {
    const org = await orgWithNode();
    const path = `/splunk/${randomUUID()}`;
    const token = randomUUID();
    secrets.push(token);
    const { sink } = await createSink(org.owner, { name: 'Splunk', kind: 'SPLUNK_HEC', format: 'OCSF', url: `${receiver.url}${path}`, token, index: 'main' });
    const traceId = randomBytes(16).toString('hex');
    const [id] = await storeEvents(org, 1, 'gpt-4o', { traceId });
    await until(
      () => sinkOf(org.owner, sink.id),
      (s) => s.lag === 0 && s.cursors.every((c) => c.deliveredSeq > 0),
    );
    const posts = receiver.requests.filter((r) => r.path === `${path}/services/collector/event`);
    expect(posts.length).toBeGreaterThan(0);
    for (const post of posts) {
      expect(post.headers.authorization).toBe(`Splunk ${token}`);
      expect(post.headers['content-type']).toBe('application/json');
    }
    const events = posts.flatMap((p) => p.body.split('\n').map((line) => JSON.parse(line)));
    for (const e of events) {
      expect(Object.keys(e).sort()).toEqual(['event', 'host', 'index', 'source', 'sourcetype', 'time']);
      expect(e).toMatchObject({ host: 'keyward', index: 'main', sourcetype: 'ocsf:api_activity' });
      expect(typeof e.time).toBe('number');
    }
    const usage = events.find((e) => e.source === 'keyward:usage')!.event;
    expect(usage).toMatchObject({
      class_uid: 6003,
      category_uid: 6,
      activity_id: 1,
      type_uid: 600301,
      severity_id: 1,
      status_id: 1,
      metadata: { version: '1.1.0', product: { name: 'Keyward', vendor_name: 'Keyward' }, uid: id, log_name: 'usage', sequence: 1, correlation_uid: traceId },
      api: { operation: 'openai.chat.completions', service: { name: 'openai' } },
      actor: { user: { uid: org.keyId, name: 'test agent' } },
      cloud: { provider: 'openai' },
      unmapped: { model: 'gpt-4o', input_tokens: 10, output_tokens: 20, cost_micros: 150 },
    });
    const admin = events.find((e) => e.source === 'keyward:audit')!.event;
    expect(admin).toMatchObject({
      class_uid: 6003,
      activity_id: 1,
      api: { operation: 'createAuditSink', service: { name: 'Keyward' } },
      actor: { user: { type: 'Other' } },
    });
    // The API token that created the sink is the actor: `token:<id>`, its id as the OCSF user uid.
    expect(admin.unmapped.actor).toBe(`token:${admin.actor.user.uid}`);
  });

  it('resumes from the stored cursor after a control-plane restart, sending nothing twice', async () => {
    const org = await orgWithNode();
    const path = `/restart/${randomUUID()}`;
    const { sink } = await createSink(org.owner, { name: 'Restart', kind: 'HTTPS', url: `${receiver.url}${path}`, chains: ['USAGE'] });
    const first = await storeEvents(org, 3);
    await until(
      () => sinkOf(org.owner, sink.id),
      (s) => s.lag === 0,
    );
    await cp.close();
    cp = await restartable.start();
    const second = await storeEvents(org, 2);
    await until(
      () => sinkOf(org.owner, sink.id),
      (s) => s.lag === 0,
    );
    expect(accepted(path, new Map()).map((r) => r.id)).toEqual([...first, ...second]);
  });

  it('a receiver that never answers slows neither ingestion nor the other sinks', async () => {
    const hung: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    try {
      const org = await orgWithNode();
      const path = `/healthy/${randomUUID()}`;
      const slow = await createSink(org.owner, {
        name: 'Hung',
        kind: 'HTTPS',
        url: `http://127.0.0.1:${(hung.address() as AddressInfo).port}/`,
        chains: ['USAGE'],
      });
      const { sink } = await createSink(org.owner, { name: 'Healthy', kind: 'HTTPS', url: `${receiver.url}${path}`, chains: ['USAGE'] });
      const timings: number[] = [];
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        ids.push(...(await storeEvents(org, 20)));
        timings.push(performance.now() - started);
      }
      // The hung sink's first batch waits for its 10 s timeout; the healthy one delivers meanwhile.
      await until(
        () => sinkOf(org.owner, sink.id),
        (s) => s.lag === 0,
        8_000,
      );
      expect(accepted(path, new Map()).map((r) => r.id)).toEqual(ids);
      expect((await sinkOf(org.owner, slow.sink.id)).lag).toBe(100);
      expect(Math.max(...timings)).toBeLessThan(2_000);
    } finally {
      hung.closeAllConnections();
      await new Promise((resolve) => hung.close(resolve));
    }
  });
});

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gunzipSync } from 'node:zlib';
import { generateSecret, USAGE_EVENT_FIELDS, type UsageEvent } from '@keyward/shared';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createOrgWithMember, findSecretsInLogs, postEvents, usageEvent, addMember, type OrgMember } from '../testing/enforcement-fixtures.js';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane.js';
import { signExportLink } from './export-links.js';

// A full collection between samples, so the heap measured is what is alive, not garbage not yet collected.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const globalNodeToken = generateSecret('node_token');
const HOUR = 3_600_000;
const MB = 1024 * 1024;

let cp: TestControlPlane;
let db: pg.Client;
let owner: OrgMember;
let keyId: string;
const secrets: string[] = [];

beforeAll(async () => {
  cp = await startTestControlPlane(inject('pgAdminUrl'), { KEYWARD_NODE_TOKEN: globalNodeToken });
  db = new pg.Client({ connectionString: cp.databaseUrl });
  await db.connect();
  owner = await createOrgWithMember(cp, 'owner');
  secrets.push(owner.token, globalNodeToken);
  const key = await owner.gql<{ createKey: { key: { id: string }; secret: string } }>(
    'mutation { createKey(input: { name: "exporter", ownerLabel: "exporter" }) { key { id } secret } }',
  );
  keyId = key.data!.createKey.key.id;
  secrets.push(key.data!.createKey.secret);
});

afterAll(async () => {
  if (cp) expect(findSecretsInLogs(cp.logs, secrets)).toEqual([]);
  await db?.end();
  await cp?.close();
});

interface ExportArgs {
  kind: 'USAGE_EVENTS' | 'AUDIT_ENTRIES';
  format: 'NDJSON' | 'CSV';
  from: string;
  to: string;
  keyId?: string;
  decision?: string;
  actor?: string;
  action?: string;
}

const CREATE_EXPORT = `mutation($input: CreateExportInput!) { createExport(input: $input) { url fileName expiresAt } }`;

async function createExport(member: OrgMember, input: ExportArgs) {
  return member.gql<{ createExport: { url: string; fileName: string; expiresAt: string } }>(CREATE_EXPORT, { input });
}

/** Links name the public URL; the test reaches the same server at its real address. */
function reachable(link: string): string {
  const url = new URL(link);
  expect(url.origin).toBe(new URL(cp.config.publicUrl).origin);
  // A link is a capability until it expires: its signature must never reach a log.
  secrets.push(url.searchParams.get('signature')!);
  return `${cp.url}${url.pathname}${url.search}`;
}

async function exportUrl(member: OrgMember, input: ExportArgs): Promise<string> {
  const res = await createExport(member, input);
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return reachable(res.data.createExport.url);
}

async function store(events: UsageEvent[]): Promise<void> {
  const res = await postEvents(cp, globalNodeToken, { type: 'events', nodeId: 'node-export', events });
  expect(res.body).toEqual({ accepted: events.length, duplicates: 0 });
}

/** RFC 4180, as a spreadsheet reads it: quoted cells may hold commas, quotes (doubled) and line breaks; lines end in CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  const cell = /"((?:[^"]|"")*)"|([^",\r\n]*)/y;
  let at = 0;
  while (at < text.length) {
    const row: string[] = [];
    for (;;) {
      cell.lastIndex = at;
      const match = cell.exec(text)!;
      row.push(match[1] !== undefined ? match[1].replaceAll('""', '"') : match[2]!);
      at = cell.lastIndex;
      if (text[at] !== ',') break;
      at++;
    }
    expect(text.slice(at, at + 2)).toBe('\r\n');
    at += 2;
    rows.push(row);
  }
  return rows;
}

/** A plain HTTP GET that exposes the raw (possibly gzipped) body, as curl would see it. */
function getRaw(url: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => httpRequest(url, { headers }, resolve).on('error', reject).end());
}

async function readAll(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('bulk export', () => {
  const base = Date.parse('2026-11-02T00:00:00.000Z');
  const range = { from: new Date(base).toISOString(), to: new Date(base + 3 * HOUR).toISOString() };

  it('signs a link for the caller’s organization that streams the usage events of the range as NDJSON, filtered, without the caller’s token', async () => {
    const inside = [0.5, 1.5, 2.5].map((h, i) => usageEvent(owner.orgId, keyId, { startedAt: new Date(base + h * HOUR).toISOString(), model: `m-${i}` }));
    const blocked = usageEvent(owner.orgId, keyId, { startedAt: new Date(base + 2 * HOUR).toISOString(), decision: 'blocked', status: 403 });
    const outside = [usageEvent(owner.orgId, keyId, { startedAt: new Date(base - 1).toISOString() }), usageEvent(owner.orgId, keyId, { startedAt: range.to })];
    const other = await createOrgWithMember(cp, 'owner');
    secrets.push(other.token);
    await store([...inside, blocked, ...outside, usageEvent(other.orgId, keyId, { startedAt: new Date(base + HOUR).toISOString() })]);

    const created = await createExport(owner, { kind: 'USAGE_EVENTS', format: 'NDJSON', ...range });
    const link = created.data!.createExport;
    expect(link.url.startsWith(`${cp.config.publicUrl}/v1/exports/usage-events.ndjson?`)).toBe(true);
    expect(link.url).not.toContain(owner.token);
    expect(link.fileName).toBe('keyward-usage-events-20261102T000000Z-20261102T030000Z.ndjson');
    const ttl = Date.parse(link.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(14 * 60_000);
    expect(ttl).toBeLessThanOrEqual(15 * 60_000 + 1000);

    // No cookie, no token: the link is the authorization.
    const res = await fetch(reachable(link.url));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${link.fileName}"`);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    const rows = (await res.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows.map((r) => r.id)).toEqual([inside[0]!.id, inside[1]!.id, blocked.id, inside[2]!.id]);
    expect(rows[0]).toMatchObject({ id: inside[0]!.id, orgId: owner.orgId, keyId, model: 'm-0', startedAt: inside[0]!.startedAt, costMicros: 150, tags: [] });
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(['receivedAt', 'policyMatches', 'requestId', 'content']));

    const onlyBlocked = await (await fetch(await exportUrl(owner, { kind: 'USAGE_EVENTS', format: 'NDJSON', ...range, decision: 'BLOCKED' }))).text();
    expect(
      onlyBlocked
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { id: string }).id),
    ).toEqual([blocked.id]);
  });

  it('writes CSV with a header, RFC 4180 quoting and spreadsheet formulas neutralised', async () => {
    const at = base + 10 * HOUR;
    const tricky = usageEvent(owner.orgId, keyId, {
      startedAt: new Date(at).toISOString(),
      ownerLabel: '=HYPERLINK("http://evil.example","click")',
      model: 'say "hi",\nthen go',
      requestId: '+1+1',
      nodeId: '@SUM(A1)',
      clientIpHash: '-2',
      userAgentHash: ' padded ',
      tags: ['a,b', 'c'],
    });
    await store([tricky]);
    const url = await exportUrl(owner, { kind: 'USAGE_EVENTS', format: 'CSV', from: new Date(at).toISOString(), to: new Date(at + 1).toISOString() });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    const [header, row, ...rest] = parseCsv(await res.text());
    expect(rest).toEqual([]);
    expect(header!.slice(0, 3)).toEqual(['receivedAt', 'id', 'orgId']);
    const cell = (name: string) => row![header!.indexOf(name)];
    expect(cell('id')).toBe(tricky.id);
    expect(cell('ownerLabel')).toBe(`'=HYPERLINK("http://evil.example","click")`);
    expect(cell('model')).toBe('say "hi",\nthen go');
    expect(cell('requestId')).toBe(`'+1+1`);
    expect(cell('nodeId')).toBe(`'@SUM(A1)`);
    expect(cell('clientIpHash')).toBe(`'-2`);
    expect(cell('userAgentHash')).toBe(' padded ');
    expect(cell('tags')).toBe('["a,b","c"]');
    expect(cell('costMicros')).toBe('150');
    expect(cell('stream')).toBe('false');
    expect(cell('teamId')).toBe('');
  });

  it('exports admin audit entries by actor and action, and gzips for clients that accept it', async () => {
    for (const name of ['first', 'second']) {
      await owner.gql('mutation($n: String!) { createTeam(input: { name: $n }) { id } }', { n: `team-${name}` });
    }
    const now = Date.now();
    const window = { from: new Date(now - HOUR).toISOString(), to: new Date(now + HOUR).toISOString() };
    const url = await exportUrl(owner, { kind: 'AUDIT_ENTRIES', format: 'CSV', ...window, actor: `token:${await tokenIdOf(owner)}`, action: 'createTeam' });

    const gzipped = await getRaw(url, { 'accept-encoding': 'gzip, deflate' });
    expect(gzipped.statusCode).toBe(200);
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers.vary).toBe('accept-encoding');
    const [header, ...rows] = parseCsv(gunzipSync(await readAll(gzipped)).toString('utf8'));
    expect(header).toEqual(['id', 'orgId', 'createdAt', 'actor', 'action', 'targetId', 'outcome', 'errorCode', 'args', 'ipHash', 'userAgent', 'requestId']);
    expect(rows.map((r) => [r[4], JSON.parse(r[8]!).input.name])).toEqual([
      ['createTeam', 'team-first'],
      ['createTeam', 'team-second'],
    ]);

    const plain = await getRaw(url, { 'accept-encoding': 'gzip;q=0, identity' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(parseCsv((await readAll(plain)).toString('utf8'))).toHaveLength(3);
  });

  it('refuses a range, a role or a filter that does not fit when the link is asked for', async () => {
    const badRange = await createExport(owner, { kind: 'USAGE_EVENTS', format: 'CSV', from: range.to, to: range.from });
    expect(badRange.errors?.[0]).toMatchObject({ message: '`input.from` must be before `input.to`.', extensions: { code: 'BAD_USER_INPUT' } });

    const developer = await addMember(cp, owner.orgId, 'developer');
    secrets.push(developer.token);
    const audit = await createExport(developer, { kind: 'AUDIT_ENTRIES', format: 'NDJSON', ...range });
    expect(audit.errors?.[0]).toMatchObject({
      message: 'Your role (developer) does not allow audit:read, which exporting audit-entries needs.',
      extensions: { code: 'FORBIDDEN' },
    });
    expect((await createExport(developer, { kind: 'USAGE_EVENTS', format: 'NDJSON', ...range })).data?.createExport.url).toMatch(/^http/);

    const misplaced = await createExport(owner, { kind: 'AUDIT_ENTRIES', format: 'CSV', ...range, keyId });
    expect(misplaced.errors?.[0]).toMatchObject({ message: '`input.keyId` filters usage events only.', extensions: { code: 'BAD_USER_INPUT' } });

    // A key of another organization is not found, and no link names it.
    const outsider = await createOrgWithMember(cp, 'owner');
    secrets.push(outsider.token);
    const theirs = await createExport(outsider, { kind: 'USAGE_EVENTS', format: 'NDJSON', ...range, keyId });
    expect(theirs.data?.createExport ?? null).toBeNull();
    expect(theirs.errors?.[0]).toMatchObject({ message: `No key with id ${keyId} in this organization.`, extensions: { code: 'NOT_FOUND' } });
  });

  it('answers a forged, expired, malformed or other organization’s link with a precise status and no rows', async () => {
    const url = new URL(await exportUrl(owner, { kind: 'USAGE_EVENTS', format: 'NDJSON', ...range }));
    const answer = async (changed: URL) => {
      const res = await fetch(changed);
      const text = await res.text();
      expect(text).not.toMatch(/\bat \S+ \(|"row"|keyPrefix/);
      return { status: res.status, body: JSON.parse(text) as { error: { code: string; message: string } } };
    };
    const withParam = (name: string, value: string | null) => {
      const copy = new URL(url);
      if (value === null) copy.searchParams.delete(name);
      else copy.searchParams.set(name, value);
      return copy;
    };

    const other = await createOrgWithMember(cp, 'owner');
    secrets.push(other.token);
    const forged = {
      status: 403,
      body: {
        error: {
          code: 'EXPORT_LINK_FORGED',
          message: 'The export link was changed or not issued by this Keyward: its signature does not match. Create a new export.',
        },
      },
    };
    expect(await answer(withParam('org', other.orgId))).toEqual(forged);
    // An organization id is a UUID, the same in either case: upper-cased, the link still opens, and another's is still forged.
    const upperCased = await fetch(withParam('org', owner.orgId.toUpperCase()));
    expect({ status: upperCased.status, body: await upperCased.text() }).toEqual({ status: 200, body: await (await fetch(url)).text() });
    expect(await answer(withParam('org', other.orgId.toUpperCase()))).toEqual(forged);
    expect(await answer(withParam('to', new Date(base + 30 * HOUR).toISOString()))).toEqual(forged);
    expect(await answer(withParam('decision', 'allowed'))).toEqual(forged);
    const otherKind = new URL(url);
    otherKind.pathname = '/v1/exports/usage-events.csv';
    expect(await answer(otherKind)).toEqual(forged);

    const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000);
    const expired = signExportLink(cp.config.publicUrl, cp.config.keyPepper, {
      orgId: owner.orgId,
      kind: 'usage-events',
      format: 'ndjson',
      from: new Date(range.from),
      to: new Date(range.to),
      filters: {},
      expiresAt,
    });
    expect(await answer(new URL(reachable(expired)))).toEqual({
      status: 410,
      body: { error: { code: 'EXPORT_LINK_EXPIRED', message: `The export link expired at ${expiresAt.toISOString()}. Create a new export.` } },
    });

    expect(await answer(withParam('from', range.to))).toEqual({ status: 400, body: { error: { code: 'BAD_RANGE', message: '`from` must be before `to`.' } } });
    expect(await answer(withParam('signature', null))).toEqual({
      status: 400,
      body: { error: { code: 'EXPORT_LINK_MALFORMED', message: 'The export link is malformed: `signature` is missing.' } },
    });
    expect((await answer(withParam('from', 'yesterday'))).body.error.message).toBe(
      'The export link is malformed: `from` must be an ISO 8601 UTC time, like 2026-01-31T00:00:00.000Z.',
    );
    expect((await answer(withParam('actor', 'user:x'))).body.error.message).toBe(
      'The export link is malformed: `actor` is not a parameter of a usage-events export link.',
    );
    const unknownFile = new URL(url);
    unknownFile.pathname = '/v1/exports/secrets.csv';
    expect((await answer(unknownFile)).status).toBe(404);
  });
});

/** The id of the API token acting as `member`: the audit trail's actor is `token:<id>`. */
async function tokenIdOf(member: OrgMember): Promise<string> {
  const { rows } = await db.query<{ id: string }>(`select id from api_tokens where organization_id = $1 order by created_at limit 1`, [member.orgId]);
  return rows[0]!.id;
}

describe('bulk export memory', () => {
  const ROWS = 200_000;
  const base = Date.parse('2026-10-01T00:00:00.000Z');
  const range = { from: new Date(base).toISOString(), to: new Date(base + 24 * HOUR).toISOString() };
  let org: OrgMember;

  /** Live memory after a full collection: the V8 heap and the Buffers outside it (socket and gzip buffers). */
  const liveBytes = () => {
    collectGarbage();
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };

  beforeAll(async () => {
    org = await createOrgWithMember(cp, 'auditor');
    secrets.push(org.token);
    const template = usageEvent(org.orgId, keyId, { startedAt: new Date(base).toISOString(), ownerLabel: 'bulk agent', tags: ['bulk', 'export'] });
    await store([template]);
    // 200k more rows like it, spread over the day, written in the database directly (the ingestion path is not what is measured).
    const copied: Record<string, string> = { id: 'gen_random_uuid()', request_id: `'bulk-' || g`, started_at: 'e.started_at + make_interval(secs => g * 0.4)' };
    const columns = USAGE_EVENT_FIELDS.map((f) => f.column);
    await db.query(
      `insert into usage_events (created_at, updated_at, ${columns.join(', ')})
       select now(), now(), ${columns.map((c) => copied[c] ?? `e.${c}`).join(', ')}
         from usage_events e, generate_series(1, $2::int - 1) g where e.id = $1`,
      [template.id, ROWS],
    );
  }, 600_000);

  it('streams 200k rows with flat memory, and holds nothing back for a client that stops reading', async () => {
    const url = await exportUrl(org, { kind: 'USAGE_EVENTS', format: 'NDJSON', ...range });
    const baseline = liveBytes();
    const res = await getRaw(url);
    expect(res.statusCode).toBe(200);

    // A client that reads one chunk and then stops: the server must wait, not read the rest into
    // memory. A route that wrote without waiting for the socket buffered 17 MB in 6 s on a loaded
    // 2-core machine (and peaked at +34.5 MB), so 10 s of pause leaves a wide margin.
    const firstChunk = await new Promise<Buffer>((resolve) => res.once('data', resolve));
    res.pause();
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const whilePaused = liveBytes() - baseline;

    let bytes = firstChunk.length;
    let lines = firstChunk.toString('latin1').split('\n').length - 1;
    let peak = whilePaused;
    let sinceSample = 0;
    res.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      sinceSample += chunk.length;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      if (sinceSample > 8 * MB) {
        sinceSample = 0;
        peak = Math.max(peak, liveBytes() - baseline);
      }
    });
    res.resume();
    await new Promise((resolve, reject) => res.on('end', resolve).on('error', reject));

    console.log(
      `export of ${ROWS} rows: ${(bytes / MB).toFixed(1)} MB body, live memory +${(whilePaused / MB).toFixed(1)} MB while paused, peak +${(peak / MB).toFixed(1)} MB`,
    );
    expect(lines).toBe(ROWS);
    expect(bytes).toBeGreaterThan(100 * MB);
    // Flat: a few pages in flight, never the body (which is larger than 100 MB).
    expect(whilePaused).toBeLessThan(16 * MB);
    expect(peak).toBeLessThan(24 * MB);
  }, 300_000);
});

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chatThrough } from './support/openai-call.js';
import { startPoolSystem, type PoolSystem } from './support/pool-system.js';
import type { SmtpInbox } from './support/smtp-inbox.js';
import { eventually, type TestSystem } from './support/system.js';

/**
 * Key pools across the planes: an owner creates a pool and imports recipients from a CSV, each
 * recipient gets a single-use link by email (read from a real SMTP server), opening it reveals
 * the key once, and the node enforces the recipient's budget, the pool-wide cap, a pause and an
 * expiry exactly as it enforces any key's.
 */
describe('key pools across the planes', () => {
  let system: TestSystem;
  let inbox: SmtpInbox;
  let credentialId: string;
  const secrets: string[] = [];

  const POOL_FIELDS = 'id name status recipientCount limits { budget budgetPeriod requestsPerMinute } cap { budgetId limit spentMicros }';
  const RECIPIENT_FIELDS =
    'id email name status keyPrefix spentMicros remainingMicros currentPeriod lastUsedAt linkSentAt revealedAt limits { budget requestsPerMinute }';

  interface Recipient {
    id: string;
    email: string;
    name: string;
    status: string;
    keyPrefix: string | null;
    spentMicros: number;
    remainingMicros: number | null;
    lastUsedAt: string | null;
    linkSentAt: string | null;
    limits: { budget: string | null; requestsPerMinute: number | null };
  }

  const createPool = async (input: Record<string, unknown>) => {
    const res = await system.owner.gql<{ createPool: { id: string; cap: { budgetId: string } | null } }>(
      `mutation($input: CreatePoolInput!) { createPool(input: $input) { ${POOL_FIELDS} } }`,
      { input: { credentialIds: [credentialId], allowedModels: ['gpt-4o-mini'], ...input } },
    );
    expect(res.errors).toBeUndefined();
    return res.data!.createPool;
  };
  const importCsv = (poolId: string, csv: string) =>
    system.owner.gql<{ importPoolRecipients: Recipient[] }>(
      `mutation($poolId: ID!, $csv: String!) { importPoolRecipients(poolId: $poolId, csv: $csv) { ${RECIPIENT_FIELDS} } }`,
      { poolId, csv },
    );
  const recipientsOf = async (poolId: string) =>
    (await system.owner.gql<{ poolRecipients: Recipient[] }>(`query($poolId: ID!) { poolRecipients(poolId: $poolId) { ${RECIPIENT_FIELDS} } }`, { poolId }))
      .data!.poolRecipients;
  /** Opens a delivery link as the reveal page does: anonymously, with the token after the link's `#`. */
  const reveal = async (link: string) => {
    const token = new URL(link).hash.slice(1);
    const res = await fetch(`${system.cp.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation($token: String!) { revealPoolKey(token: $token) { secret prefix email poolName note limits { budget } } }',
        variables: { token },
      }),
    });
    const body = (await res.json()) as {
      data?: { revealPoolKey: { secret: string; prefix: string; email: string; poolName: string; note: string | null } };
      errors?: { message: string; extensions: { code: string } }[];
    };
    if (body.data?.revealPoolKey) secrets.push(body.data.revealPoolKey.secret);
    return body;
  };
  const linkIn = (text: string) => /https?:\/\/\S+\/key#[A-Za-z0-9_-]{43}/.exec(text)?.[0];
  const nodeVersion = () => system.dp.node.readiness().version ?? 0;
  const call = (secret: string) => chatThrough(system.dp.url, secret);

  let world: PoolSystem;

  beforeAll(async () => {
    ({ system, inbox, credentialId } = world = await startPoolSystem(inject('pgAdminUrl')));
  }, 60_000);

  afterAll(() => world?.close());

  it('refuses a CSV with bad lines as a whole, listing each line, and adds nobody', async () => {
    const pool = await createPool({ name: 'refused import' });
    const res = await importCsv(
      pool.id,
      'email,name,budget\nada@example.com,Ada,1.00\nnot-an-email,Bob\ncy@example.com,Cy,12.3456789\nada@example.com,Ada again\n',
    );
    expect(res.data).toBeNull();
    const error = res.errors![0] as unknown as { message: string; extensions: { code: string; lines: { line: number; message: string }[] } };
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain('3 lines of the CSV cannot be imported, so nobody was added.');
    expect(error.extensions.lines).toEqual([
      { line: 3, message: '"not-an-email" is not an email address.' },
      { line: 4, message: 'The budget "12.3456789" is not a US-dollar amount with at most 6 decimals, e.g. 25.00.' },
      { line: 5, message: 'ada@example.com is already on line 2.' },
    ]);
    expect(await recipientsOf(pool.id)).toEqual([]);
    expect(inbox.messages.filter((m) => m.to.includes('ada@example.com'))).toEqual([]);
  });

  it('emails each recipient a single-use link, reveals the key once, and the node enforces the recipient’s budget', async () => {
    const pool = await createPool({
      name: 'Course 101',
      note: 'For the exercises of week 3.',
      budgetPeriod: 'DAY',
      limits: { budget: '0.002', requestsPerMinute: 100 },
      cap: '10.00',
    });
    const res = await importCsv(pool.id, 'email,name,budget\nalice@example.com,Alice,\nbob@example.com,"Bob, B.",\ncarol@example.com,Carol,0.01\n');
    expect(res.errors).toBeUndefined();
    const imported = res.data!.importPoolRecipients;
    expect(imported.map((r) => [r.email, r.name, r.status, r.limits.budget, r.keyPrefix])).toEqual([
      ['alice@example.com', 'Alice', 'PENDING', '0.002', null],
      ['bob@example.com', 'Bob, B.', 'PENDING', '0.002', null],
      ['carol@example.com', 'Carol', 'PENDING', '0.01', null],
    ]);
    expect(imported.every((r) => r.linkSentAt !== null)).toBe(true);

    const mail = await inbox.mailTo('alice@example.com');
    expect(mail.subject).toBe('Your Keyward key for Course 101');
    expect(mail.text).toContain('For the exercises of week 3.');
    expect(mail.text).not.toMatch(/kw_/);
    const link = linkIn(mail.text)!;
    expect(link).toBeDefined();

    const before = nodeVersion();
    const opened = await reveal(link);
    expect(opened.errors).toBeUndefined();
    const key = opened.data!.revealPoolKey;
    expect(key).toMatchObject({ email: 'alice@example.com', poolName: 'Course 101', note: 'For the exercises of week 3.' });
    expect(key.secret.startsWith(key.prefix)).toBe(true);

    // A second visit reveals nothing and says why.
    const again = await reveal(link);
    expect(again.data).toBeNull();
    expect(again.errors![0].extensions.code).toBe('CONFLICT');
    expect(again.errors![0].message).toMatch(/^This link was already opened at .*: a key is shown only once\./);
    expect(JSON.stringify(again)).not.toContain('kw_');
    const forged = await reveal(link.replace(/#.{4}/, '#AAAA'));
    expect(forged.errors![0].extensions.code).toBe('NOT_FOUND');

    await eventually(() => (nodeVersion() > before ? true : undefined), 10_000, 'the revealed key to reach the node');
    const refusal = await eventually(
      async () => {
        const error = await call(key.secret);
        return error?.status === 429 ? error : undefined;
      },
      20_000,
      'the recipient’s budget to refuse a call',
    );
    expect(refusal).toMatchObject({ status: 429, code: 'budget_exceeded', type: 'insufficient_quota' });
    expect(refusal.message).toContain('alice@example.com in pool Course 101');

    const alice = await eventually(
      async () => (await recipientsOf(pool.id)).find((r) => r.email === 'alice@example.com' && r.spentMicros >= 2_000),
      10_000,
      'the spend on the owner’s view',
    );
    expect(alice).toMatchObject({ status: 'ACTIVE', keyPrefix: key.prefix, remainingMicros: 0 });
    expect(alice.lastUsedAt).not.toBeNull();
    // Bob has not opened his link: his key works for nobody yet.
    const bob = (await recipientsOf(pool.id)).find((r) => r.email === 'bob@example.com')!;
    expect(bob).toMatchObject({ status: 'PENDING', keyPrefix: null, spentMicros: 0 });

    const audit = await system.owner.gql<{ auditLog: { entries: { actor: string; action: string; outcome: string; ipHash: string; args: unknown }[] } }>(
      '{ auditLog(filter: { action: "revealPoolKey" }) { entries { actor action outcome ipHash args } } }',
    );
    const reveals = audit.data!.auditLog.entries;
    expect(JSON.stringify(reveals)).not.toContain(new URL(link).hash.slice(1));
    expect(reveals.map((e) => [e.actor, e.outcome])).toEqual(
      expect.arrayContaining([
        ['recipient alice@example.com', 'SUCCESS'],
        ['recipient alice@example.com', 'FAILURE'],
      ]),
    );
    expect(reveals.every((e) => e.ipHash && e.ipHash.length > 10)).toBe(true);
  });

  it('lets a recipient sign in with an emailed code to see only their own keys and spend, and rotate their key', async () => {
    let cookie = '';
    const asRecipient = async <T>(query: string, variables: Record<string, unknown> = {}) => {
      const res = await fetch(`${system.cp.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const set = res.headers.getSetCookie().find((c) => c.startsWith('kw_recipient='));
      if (set) cookie = set.split(';')[0];
      return (await res.json()) as { data?: T; errors?: { message: string; extensions: { code: string } }[] };
    };
    const KEYS = 'myPoolKeys { poolName organizationName recipient { id email status keyPrefix spentMicros remainingMicros limits { budget } } }';
    type Keys = { myPoolKeys: { poolName: string; recipient: Recipient }[] };

    expect((await asRecipient<Keys>(`{ ${KEYS} }`)).errors![0].extensions.code).toBe('UNAUTHENTICATED');
    expect((await asRecipient('mutation { requestRecipientCode(email: "Alice@Example.com") }')).data).toEqual({ requestRecipientCode: true });
    const mail = await eventually(
      () => inbox.messages.find((m) => m.to.includes('alice@example.com') && m.subject === 'Your code for your Keyward key page'),
      10_000,
      'the code',
    );
    const code = /Your code is: (\d{6})/.exec(mail.text)![1];
    expect((await asRecipient('mutation { signInAsRecipient(email: "alice@example.com", code: "000000") }')).errors![0].extensions.code).toBe(
      'UNAUTHENTICATED',
    );
    expect((await asRecipient('mutation($code: String!) { signInAsRecipient(email: "alice@example.com", code: $code) }', { code })).data).toEqual({
      signInAsRecipient: 'alice@example.com',
    });

    const mine = (await asRecipient<Keys>(`{ ${KEYS} }`)).data!.myPoolKeys;
    expect(mine.map((k) => [k.poolName, k.recipient.email, k.recipient.limits.budget])).toEqual([['Course 101', 'alice@example.com', '0.002']]);
    expect(mine[0].recipient.spentMicros).toBeGreaterThanOrEqual(2_000);
    expect(mine[0].recipient.remainingMicros).toBe(0);

    // Someone else's key is not there to rotate.
    const pools = (await system.owner.gql<{ pools: { id: string; name: string }[] }>('{ pools { id name } }')).data!.pools;
    const course = pools.find((p) => p.name === 'Course 101')!;
    const bob = (await recipientsOf(course.id)).find((r) => r.email === 'bob@example.com')!;
    const ROTATE = 'mutation($id: ID!) { rotateMyPoolKey(recipientId: $id) { secret key { recipient { keyPrefix } } } }';
    expect((await asRecipient(ROTATE, { id: bob.id })).errors![0].extensions.code).toBe('NOT_FOUND');

    const before = nodeVersion();
    const rotated = await asRecipient<{ rotateMyPoolKey: { secret: string; key: { recipient: { keyPrefix: string } } } }>(ROTATE, { id: mine[0].recipient.id });
    const secret = rotated.data!.rotateMyPoolKey.secret;
    secrets.push(secret);
    expect(secret.startsWith(rotated.data!.rotateMyPoolKey.key.recipient.keyPrefix)).toBe(true);
    await eventually(() => (nodeVersion() > before ? true : undefined), 5_000, 'the rotation to reach the node');
    // The new secret is the same key: still over its budget. The old one is no key at all.
    expect(await call(secret)).toMatchObject({ status: 429, code: 'budget_exceeded' });
    expect(await call(secrets[0])).toMatchObject({ status: 401, code: 'invalid_api_key' });
  });

  it('stops every key of a pool when it is paused or expired, and counts the pool-wide cap over all its keys', async () => {
    const pool = await createPool({ name: 'Workshop', cap: '0.0015', capPeriod: 'LIFETIME' });
    const res = await importCsv(pool.id, 'dan@example.com\nerin@example.com\n');
    expect(res.errors).toBeUndefined();
    const keyOf = async (email: string) => {
      const opened = await reveal(linkIn((await inbox.mailTo(email)).text)!);
      return opened.data!.revealPoolKey.secret;
    };
    const dan = await keyOf('dan@example.com');
    let before = nodeVersion();
    const erin = await keyOf('erin@example.com');
    await eventually(() => (nodeVersion() > before ? true : undefined), 10_000, 'the keys to reach the node');

    // Each spends 750 micro-dollars; together they reach the pool's cap of 1,500.
    expect(await call(dan)).toBeNull();
    expect(await call(erin)).toBeNull();
    const capped = await eventually(
      async () => {
        const error = await call(dan);
        return error?.status === 429 ? error : undefined;
      },
      10_000,
      'the pool-wide cap to refuse',
    );
    expect(capped).toMatchObject({ status: 429, code: 'budget_exceeded' });
    expect(capped.headers!.get('x-keyward-budget-id')).toBe(pool.cap!.budgetId);
    const capView = await eventually(
      async () => {
        const view = (
          await system.owner.gql<{ pool: { cap: { spentMicros: number } } }>('query($id: ID!) { pool(id: $id) { cap { spentMicros } } }', { id: pool.id })
        ).data!.pool;
        return view.cap.spentMicros >= 1_500 ? view : undefined;
      },
      10_000,
      'the pool’s spend',
    );
    expect(capView.cap.spentMicros).toBeGreaterThanOrEqual(1_500);

    // A pool without a cap, to see pause, resume and expiry.
    const open = await createPool({ name: 'Open pool' });
    await importCsv(open.id, 'fay@example.com\n');
    const fay = await keyOf('fay@example.com');
    before = nodeVersion();
    await eventually(async () => ((await call(fay)) === null ? true : undefined), 10_000, 'the key to work');

    before = nodeVersion();
    const paused = await system.owner.gql<{ pausePool: { status: string } }>('mutation($id: ID!) { pausePool(id: $id) { status } }', { id: open.id });
    expect(paused.data!.pausePool.status).toBe('PAUSED');
    await eventually(() => (nodeVersion() > before ? true : undefined), 5_000, 'the pause to reach the node');
    expect(await call(fay)).toMatchObject({ status: 403, code: 'key_paused' });

    before = nodeVersion();
    await system.owner.gql('mutation($id: ID!) { resumePool(id: $id) { status } }', { id: open.id });
    await eventually(() => (nodeVersion() > before ? true : undefined), 5_000, 'the resume to reach the node');
    expect(await call(fay)).toBeNull();

    before = nodeVersion();
    const expired = await system.owner.gql<{ expirePool: { status: string } }>('mutation($id: ID!) { expirePool(id: $id) { status } }', { id: open.id });
    expect(expired.data!.expirePool.status).toBe('EXPIRED');
    await eventually(() => (nodeVersion() > before ? true : undefined), 5_000, 'the expiry to reach the node');
    expect(await call(fay)).toMatchObject({ status: 401, code: 'key_expired' });
    expect((await recipientsOf(open.id))[0].status).toBe('EXPIRED');
  });

  it('extends, pauses, resumes and revokes chosen recipients at once, and only those', async () => {
    const pool = await createPool({ name: 'Bulk' });
    expect((await importCsv(pool.id, 'hal@example.com\nivy@example.com\n')).errors).toBeUndefined();
    const hal = (await reveal(linkIn((await inbox.mailTo('hal@example.com')).text)!)).data!.revealPoolKey.secret;
    const ivy = (await reveal(linkIn((await inbox.mailTo('ivy@example.com')).text)!)).data!.revealPoolKey.secret;
    // Both were imported in one transaction, possibly in the same millisecond: find each by address, not by position.
    const rows = await recipientsOf(pool.id);
    const halRow = rows.find((r) => r.email === 'hal@example.com')!;
    const ivyRow = rows.find((r) => r.email === 'ivy@example.com')!;
    const bulk = async (action: string, ids: string[], expiresAt?: string) => {
      const before = nodeVersion();
      const res = await system.owner.gql<{ updatePoolRecipients: { email: string; status: string; expiresAt: string | null }[] }>(
        'mutation($poolId: ID!, $ids: [ID!]!, $action: RecipientAction!, $expiresAt: DateTimeISO) { updatePoolRecipients(poolId: $poolId, recipientIds: $ids, action: $action, expiresAt: $expiresAt) { email status expiresAt } }',
        { poolId: pool.id, ids, action, expiresAt },
      );
      if (!res.errors) await eventually(() => (nodeVersion() > before ? true : undefined), 5_000, `${action} to reach the node`);
      return res;
    };
    await eventually(async () => ((await call(ivy)) === null ? true : undefined), 10_000, 'the keys to work');

    const until = new Date(Date.now() + 7 * 24 * 3600_000).toISOString();
    expect((await bulk('EXTEND', [halRow.id, ivyRow.id], until)).data!.updatePoolRecipients.map((r) => r.expiresAt)).toEqual([until, until]);
    expect((await bulk('EXTEND', [halRow.id])).errors![0].message).toBe('expiresAt is required to extend keys.');

    expect((await bulk('PAUSE', [halRow.id])).data!.updatePoolRecipients[0].status).toBe('PAUSED');
    expect(await call(hal)).toMatchObject({ status: 403, code: 'key_paused' });
    expect(await call(ivy)).toBeNull();
    await bulk('RESUME', [halRow.id]);
    expect(await call(hal)).toBeNull();

    expect((await bulk('REVOKE', [ivyRow.id])).data!.updatePoolRecipients[0].status).toBe('REVOKED');
    expect(await call(ivy)).toMatchObject({ status: 401 });
    expect(await call(hal)).toBeNull();
    expect((await bulk('PAUSE', [ivyRow.id])).errors![0].message).toBe('The key of ivy@example.com is revoked and can no longer be changed.');
  });

  it('refuses an expired link without revealing anything, and limits link openings per address', async () => {
    const pool = await createPool({ name: 'Late' });
    expect((await importCsv(pool.id, 'gil@example.com\n')).errors).toBeUndefined();
    const link = linkIn((await inbox.mailTo('gil@example.com')).text)!;
    const db = new pg.Client({ connectionString: system.cp.databaseUrl });
    await db.connect();
    try {
      // Stored as a keyed hash only: the token itself is nowhere in the row.
      const { rows } = await db.query("select row_to_json(r)::text as row from pool_recipients r where email = 'gil@example.com'");
      expect(rows[0].row).not.toContain(new URL(link).hash.slice(1));
      await db.query("update pool_recipients set link_expires_at = now() - interval '1 second' where email = 'gil@example.com'");
    } finally {
      await db.end();
    }
    const expired = await reveal(link);
    expect(expired.data).toBeNull();
    expect(expired.errors![0]).toMatchObject({ extensions: { code: 'CONFLICT' }, message: expect.stringMatching(/^This link expired at /) });

    const outcomes = [];
    for (let i = 0; i < 31; i++) outcomes.push((await reveal(`http://x/key#${'B'.repeat(42)}${i % 10}`)).errors![0].extensions.code);
    expect(outcomes.at(-1)).toBe('RATE_LIMITED');
    // Earlier tests opened links from this address too, so only the first few are sure to be counted as attempts, not refusals.
    expect(outcomes.slice(0, 10).every((c) => c === 'NOT_FOUND')).toBe(true);
  });

  it('never writes a key, a link token or a delivery link to the logs', () => {
    const logs = system.allLogs().join('\n');
    for (const secret of secrets) expect(logs).not.toContain(secret);
    for (const mail of inbox.messages) {
      const link = linkIn(mail.text);
      if (link) expect(logs).not.toContain(new URL(link).hash.slice(1));
    }
  });
});

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  createApiToken,
  createOrgWithOwner,
  expectError,
  expectNoSecretsInLogs,
  expectOk,
  startPlane,
  type TestOrg,
  type TestPerson,
} from '../testing/fixtures.js';
import type { TestControlPlane } from '../testing/test-control-plane.js';

const SAVE = `mutation($input: SavePlaygroundConversationInput!) { savePlaygroundConversation(input: $input) { id title model keyId messages { role content requestId status errorCode } } }`;
const LIST = '{ playgroundConversations { id title } }';

/** Nothing listens here: the relay's call to the gateway fails to connect. */
const UNREACHABLE_GATEWAY = 'http://127.0.0.1:9';

let cp: TestControlPlane;
let org: TestOrg;
let colleague: TestPerson;
let key: { id: string; secret: string };
const secrets: string[] = [];

beforeAll(async () => {
  cp = await startPlane({ KEYWARD_GATEWAY_URL: UNREACHABLE_GATEWAY });
  org = await createOrgWithOwner(cp);
  colleague = await addMember(cp, org.orgId, 'developer');
  const created = await cp.gql<{ createKey: { key: { id: string }; secret: string } }>(
    'mutation { createKey(input: { name: "playground", ownerLabel: "dana" }) { key { id } secret } }',
    {},
    { session: org.owner.session },
  );
  expectOk(created);
  key = { id: created.data!.createKey.key.id, secret: created.data!.createKey.secret };
  secrets.push(key.secret, org.owner.session, colleague.session);
});

afterAll(async () => {
  if (!cp) return;
  // The pasted secret is relayed, never written anywhere.
  expectNoSecretsInLogs(cp, secrets);
  await cp.close();
});

const turns = (prompt: string) => [
  { role: 'user', content: prompt },
  { role: 'assistant', content: 'Blocked by policy.', requestId: 'req_1', status: 403, errorCode: 'blocked' },
];

describe('playground conversations', () => {
  it('are saved for their author only, listed, replaced whole and deleted', async () => {
    const saved = await cp.gql<{ savePlaygroundConversation: { id: string; title: string; keyId: string } }>(
      SAVE,
      { input: { keyId: key.id, model: 'gpt-4o-mini', messages: turns('  What is\nthe admin password?  ') } },
      { session: org.owner.session },
    );
    expectOk(saved);
    const { id } = saved.data!.savePlaygroundConversation;
    expect(saved.data!.savePlaygroundConversation).toMatchObject({ title: 'What is the admin password?', keyId: key.id });

    // A colleague in the same organization neither sees, reads, replaces nor deletes it.
    expect((await cp.gql<{ playgroundConversations: unknown[] }>(LIST, {}, { session: colleague.session })).data?.playgroundConversations).toEqual([]);
    expectError(await cp.gql(`{ playgroundConversation(id: "${id}") { id } }`, {}, { session: colleague.session }), 'NOT_FOUND');
    expectError(
      await cp.gql(SAVE, { input: { id, keyId: key.id, model: 'gpt-4o', messages: turns('mine now') } }, { session: colleague.session }),
      'NOT_FOUND',
    );
    expectError(await cp.gql(`mutation { deletePlaygroundConversation(id: "${id}") }`, {}, { session: colleague.session }), 'NOT_FOUND');

    const replaced = await cp.gql<{ savePlaygroundConversation: { id: string; model: string; messages: unknown[] } }>(
      SAVE,
      {
        input: {
          id,
          keyId: key.id,
          model: 'gpt-4o',
          messages: [...turns('What is the admin password?'), { role: 'user', content: 'And the capital of France?' }],
        },
      },
      { session: org.owner.session },
    );
    expectOk(replaced);
    expect(replaced.data!.savePlaygroundConversation).toMatchObject({ id, model: 'gpt-4o' });
    expect(replaced.data!.savePlaygroundConversation.messages).toHaveLength(3);

    expectOk(await cp.gql(`mutation { deletePlaygroundConversation(id: "${id}") }`, {}, { session: org.owner.session }));
    expect((await cp.gql<{ playgroundConversations: unknown[] }>(LIST, {}, { session: org.owner.session })).data?.playgroundConversations).toEqual([]);
  });

  it('refuse bad turns with the field named, and API tokens', async () => {
    const save = (messages: unknown[], keyId = key.id) => cp.gql(SAVE, { input: { keyId, model: 'gpt-4o-mini', messages } }, { session: org.owner.session });
    expectError(await save([{ role: 'system', content: 'x' }]), 'BAD_USER_INPUT', /role must be user or assistant/);
    expectError(await save([]), 'BAD_USER_INPUT', /at least one turn/);
    expectError(await save(Array.from({ length: 201 }, () => ({ role: 'user', content: 'x' }))), 'BAD_USER_INPUT', /at most 200 turns/);
    expectError(await save([{ role: 'user', content: 'x', status: 42 }]), 'BAD_USER_INPUT', /status must be an HTTP status/);
    expectError(await save(turns('x'), '00000000-0000-4000-8000-000000000000'), 'NOT_FOUND', /No key/);
    const token = await createApiToken(cp, org.owner);
    secrets.push(token.secret);
    expectError(await cp.gql(LIST, {}, { token: token.secret }), 'FORBIDDEN');
  });

  it('go with the member who leaves, and come with their personal data', async () => {
    const leaver = await addMember(cp, org.orgId, 'developer');
    secrets.push(leaver.session);
    expectOk(await cp.gql(SAVE, { input: { keyId: key.id, model: 'gpt-4o-mini', messages: turns('my own chat') } }, { session: leaver.session }));
    const data = await cp.gql<{ exportMyData: { playgroundConversations: { title: string }[] } }>('mutation { exportMyData }', {}, { session: leaver.session });
    expectOk(data);
    expect(data.data!.exportMyData.playgroundConversations.map((c) => c.title)).toEqual(['my own chat']);
    expectOk(await cp.gql(`mutation { removeMember(memberId: "${leaver.memberId}") }`, {}, { session: org.owner.session }));
    const db = new pg.Client({ connectionString: cp.databaseUrl });
    await db.connect();
    try {
      const left = await db.query('select count(*)::int as n from playground_conversations where user_id = $1', [leaver.userId]);
      expect(left.rows[0].n).toBe(0);
    } finally {
      await db.end();
    }
  });
});

describe('the playground relay', () => {
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${cp.url}/v1/playground/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `kw_session=${org.owner.session}`, ...headers },
      body: JSON.stringify(body),
    });
  const request = { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] };

  it('relays only a secret of the chosen key, for a person at the console, from the console’s own pages', async () => {
    const answer = async (res: Response) => ({ status: res.status, body: (await res.json()) as { error: { code: string; message: string } } });

    const wrong = await answer(await post({ keyId: key.id, secret: `${key.secret}x`, request }));
    expect(wrong).toEqual({ status: 403, body: { error: { code: 'SECRET_NOT_FOR_KEY', message: 'This secret is not the secret of the key "playground".' } } });
    expect((await answer(await post({ keyId: key.id, secret: key.secret, request: 'hi' }))).body.error.message).toBe(
      'request must be an OpenAI chat completions request object.',
    );
    expect((await answer(await post({ keyId: 'k1', secret: key.secret, request }))).status).toBe(400);
    expect((await answer(await post({ keyId: '00000000-0000-4000-8000-000000000000', secret: key.secret, request }))).status).toBe(404);
    expect((await answer(await post({ keyId: key.id, secret: key.secret, request }, { 'sec-fetch-site': 'cross-site' }))).status).toBe(403);
    expect((await answer(await post({ keyId: key.id, secret: key.secret, request }, { cookie: '' }))).status).toBe(401);
    const token = await createApiToken(cp, org.owner);
    secrets.push(token.secret);
    expect(
      (await answer(await post({ keyId: key.id, secret: key.secret, request }, { cookie: '', authorization: `Bearer ${token.secret}` }))).body.error.code,
    ).toBe('FORBIDDEN');

    // The right secret is relayed; here no gateway listens, which the member is told.
    const relayed = await answer(await post({ keyId: key.id, secret: key.secret, request }));
    expect(relayed.status).toBe(502);
    expect(relayed.body.error).toEqual({
      code: 'GATEWAY_UNREACHABLE',
      message: 'The gateway at http://127.0.0.1:9 did not answer; check KEYWARD_GATEWAY_URL and that a node is running.',
    });
  });
});

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { generateSecret, uuidv7 } from '@keyward/shared';
import { gqlRequest } from '@keyward/control-plane/testing';
import { startMockProvider } from '../mock-provider/index.js';
import { firstOwnerToken, processSystemBase, startPlaneProcess, type PlaneProcess } from '../support/plane-process.js';
import { eventually, freePort } from '../support/system.js';

const WEEK_MS = 7 * 24 * 3_600_000;

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/**
 * Anomaly actions end to end, each plane a process of its own started from the build: a key in
 * a runaway loop on one data-plane node scores past its organization's threshold and is frozen
 * there at once, the control plane stores the freeze, writes it to the audit trail and pushes it,
 * and the second node refuses the key too (in each API family's error format), while a normal
 * key is served throughout. Unfreezing it, an audited mutation, restores it on both nodes.
 */
describe('a runaway loop frozen on every node', () => {
  it('freezes the looping key on both nodes, leaves a normal key alone, and unfreezing restores it', { timeout: 240_000 }, async () => {
    const { databaseUrl, dir, kmsSpec } = await processSystemBase(inject('pgAdminUrl'), 'anomaly', cleanups);
    const shared = {
      KEYWARD_KMS: kmsSpec,
      KEYWARD_KEY_PEPPER: randomBytes(32).toString('base64'),
      KEYWARD_HASH_SALT: randomBytes(32).toString('base64'),
      KEYWARD_NODE_TOKEN: generateSecret('node_token'),
      KEYWARD_ALLOW_LOOPBACK_UPSTREAMS: 'true',
      KEYWARD_DRAIN_SECONDS: '2',
      LOG_LEVEL: 'info',
    };
    const mock = await startMockProvider();
    cleanups.push(() => mock.close());

    const cpPort = await freePort();
    const cp = await startPlaneProcess('control-plane', cpPort, {
      ...shared,
      DATABASE_URL: databaseUrl,
      KEYWARD_CP_PORT: String(cpPort),
      KEYWARD_STATE_DIR: join(dir, 'cp'),
      KEYWARD_ANOMALY_LEARN_MS: '500',
    });
    cleanups.push(() => cp.stop());
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    cleanups.push(() => db.end());
    const { token, orgId } = await firstOwnerToken(db, shared.KEYWARD_KEY_PEPPER);
    const gql = async <T>(query: string, variables?: Record<string, unknown>): Promise<T> => {
      const res = await gqlRequest<T>(cp.url, query, variables, { token });
      if (!res.data) throw new Error(`${query.slice(0, 40)}… failed: ${JSON.stringify(res.errors)}`);
      return res.data;
    };
    await gql(`mutation($input: CreateCredentialInput!) { createCredential(input: $input) { id } }`, {
      input: { provider: 'OPENAI_COMPATIBLE', name: 'mock', apiKey: `sk-mock-${randomBytes(12).toString('hex')}`, baseUrl: `${mock.url}/v1` },
    });
    const createKey = async (name: string) => {
      const { createKey: created } = await gql<{ createKey: { key: { id: string }; secret: string } }>(
        `mutation($input: CreateKeyInput!) { createKey(input: $input) { key { id } secret } }`,
        { input: { name, ownerLabel: 'anomaly test', allowedModels: [] } },
      );
      return { id: created.key.id, secret: created.secret };
    };
    const looping = await createKey('retry loop');
    const normal = await createKey('normal agent');
    await gql(`mutation { setAnomalyResponse(input: { scopeKind: ORGANIZATION, action: FREEZE, threshold: 80 }) { action threshold } }`);

    const nodes: PlaneProcess[] = [];
    for (const i of [0, 1]) {
      const port = await freePort();
      const node = await startPlaneProcess('data-plane', port, {
        ...shared,
        KEYWARD_CONTROL_PLANE_URL: cp.url,
        KEYWARD_DP_PORT: String(port),
        KEYWARD_DP_HOST: '127.0.0.1',
        KEYWARD_NODE_ID: `anomaly-node-${i}`,
        KEYWARD_DP_STATE_DIR: join(dir, `dp-${i}`),
        KEYWARD_EVENT_FLUSH_MS: '20',
        KEYWARD_EVENT_RETRY_MAX_MS: '300',
        KEYWARD_CONFIG_RETRY_MAX_MS: '300',
      });
      cleanups.push(() => node.stop());
      nodes.push(node);
    }
    const [first, second] = nodes as [PlaneProcess, PlaneProcess];
    const openai = (node: PlaneProcess, secret: string) => new OpenAI({ apiKey: secret, baseURL: `${node.url}/v1`, maxRetries: 0 });
    const chat = (node: PlaneProcess, secret: string, text = 'hello') =>
      openai(node, secret).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] });

    // What this client looks like to the nodes, from one call of the normal key.
    await chat(first, normal.secret);
    const probe = await eventually(
      async () => (await db.query('select * from usage_events where key_id = $1', [normal.id])).rows[0],
      10_000,
      'the probe event',
    );
    // Three weeks of the loop key's usual traffic, as nodes would have reported it: two calls a minute.
    // Whole minutes, so both calls of a minute fall in the same minute.
    const now = Math.floor(Date.now() / 60_000) * 60_000;
    const history = [];
    for (let week = 1; week <= 3; week++) {
      for (let minute = 0; minute < 40; minute++) {
        for (const second of [5, 35]) {
          history.push({
            id: uuidv7(),
            orgId,
            keyId: looping.id,
            keyPrefix: probe.key_prefix,
            ownerLabel: 'anomaly test',
            teamId: null,
            provider: probe.provider,
            credentialId: probe.credential_id,
            api: probe.api,
            endpoint: probe.endpoint,
            model: probe.model,
            stream: false,
            status: 200,
            decision: 'allowed',
            errorCode: null,
            startedAt: new Date(now - week * WEEK_MS - minute * 60_000 + second * 1_000).toISOString(),
            latencyMs: 100,
            ttftMs: null,
            inputTokens: Number(probe.input_tokens),
            outputTokens: Number(probe.output_tokens),
            cachedInputTokens: 0,
            costMicros: Number(probe.cost_micros),
            clientIpHash: probe.client_ip_hash,
            userAgentHash: probe.user_agent_hash,
            userAgentFamilyHash: probe.user_agent_family_hash,
            requestId: `history-${week}-${minute}-${second}`,
            nodeId: 'history',
            tags: [],
            content: null,
          });
        }
      }
    }
    const posted = await fetch(`${cp.url}/v1/node/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${shared.KEYWARD_NODE_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'events', nodeId: 'history', events: history }),
    });
    expect(posted.status).toBe(200);

    // Learned, published, and served by both nodes.
    const version = await eventually(
      async () => {
        const { rows } = await db.query('select version, collections from config_versions where org_id = $1 order by version desc limit 1', [orgId]);
        const keys = Object.values((rows[0].collections as { keys: Record<string, { id: string; anomalyBaseline?: unknown }> }).keys);
        return keys.find((k) => k.id === looping.id)?.anomalyBaseline ? Number(rows[0].version) : undefined;
      },
      30_000,
      'the loop key’s learned baseline in the config',
    );
    const servedVersion = async (node: PlaneProcess) => ((await (await fetch(`${node.url}/readyz`)).json()) as { version: number }).version;
    for (const node of nodes) await eventually(async () => ((await servedVersion(node)) >= version ? true : undefined), 10_000, 'a node to serve the baseline');

    // The loop: calls in quick succession on the first node until it refuses the key.
    let answered = 0;
    let refusal: unknown = null;
    for (let i = 0; i < 80 && refusal === null; i++) {
      try {
        await chat(first, looping.secret, `retry ${i}`);
        answered += 1;
      } catch (error) {
        refusal = error;
      }
    }
    expect(answered).toBeGreaterThan(5);
    expect(refusal).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((refusal as InstanceType<typeof OpenAI.PermissionDeniedError>).message).toMatch(
      /frozen .* after unusual activity \(anomaly score \d+: requests \d+×/,
    );
    const frozenAt = Date.now();

    // The second node refuses it once the control plane has pushed the freeze, in every API family's own format.
    const onSecond = await eventually(
      async () => {
        try {
          await chat(second, looping.secret);
          return undefined;
        } catch (error) {
          return error;
        }
      },
      10_000,
      'the second node to refuse the frozen key',
    );
    expect(Date.now() - frozenAt).toBeLessThan(10_000);
    expect(onSecond).toBeInstanceOf(OpenAI.PermissionDeniedError);
    const anthropicRefusal = await new Anthropic({ apiKey: looping.secret, baseURL: second.url, maxRetries: 0 }).messages
      .create({ model: 'claude-3-5-haiku-latest', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .catch((error: unknown) => error);
    expect(anthropicRefusal).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect((anthropicRefusal as InstanceType<typeof Anthropic.PermissionDeniedError>).error).toMatchObject({
      type: 'error',
      error: { type: 'permission_error' },
    });
    const geminiRefusal = await new GoogleGenAI({ apiKey: looping.secret, httpOptions: { baseUrl: second.url } }).models
      .generateContent({ model: 'gemini-2.0-flash', contents: 'hi' })
      .catch((error: unknown) => error);
    expect(JSON.parse((geminiRefusal as Error).message)).toEqual({
      error: { code: 403, status: 'PERMISSION_DENIED', message: expect.stringMatching(/^This Keyward key was frozen/) },
    });

    // The normal key is served on both nodes throughout.
    for (const node of nodes) await expect(chat(node, normal.secret)).resolves.toMatchObject({ object: 'chat.completion' });

    // Stored on the key, on the event, and in the audit trail as done by anomaly scoring.
    const key = (await db.query('select frozen_at, frozen_reason from keys where id = $1', [looping.id])).rows[0];
    expect(key.frozen_at).not.toBeNull();
    expect(key.frozen_reason).toMatch(/^anomaly score \d+: requests/);
    const acted = (await db.query(`select count(*)::int as n from usage_events where key_id = $1 and anomaly_action = 'freeze'`, [looping.id])).rows[0];
    expect(acted.n).toBeGreaterThan(0);
    const frozeEntry = (await db.query(`select actor, outcome, args from audit_entries where action = 'freezeKey' and target_id = $1`, [looping.id])).rows;
    expect(frozeEntry).toHaveLength(1);
    expect(frozeEntry[0]).toMatchObject({
      actor: 'anomaly scoring',
      outcome: 'success',
      args: { keyId: looping.id, reasons: expect.arrayContaining(['request_rate']) },
    });
    const keyView = await gql<{ key: { frozenAt: string | null; frozenReason: string | null } }>('query($id: ID!) { key(id: $id) { frozenAt frozenReason } }', {
      id: looping.id,
    });
    expect(keyView.key.frozenAt).not.toBeNull();

    // A person unfreezes it: an audited mutation, and both nodes serve the key again.
    const unfrozen = await gql<{ unfreezeKey: { frozenAt: string | null } }>('mutation($id: ID!) { unfreezeKey(id: $id) { frozenAt } }', { id: looping.id });
    expect(unfrozen.unfreezeKey.frozenAt).toBeNull();
    for (const node of nodes) {
      await eventually(
        async () => {
          try {
            return await chat(node, looping.secret);
          } catch {
            return undefined;
          }
        },
        10_000,
        'the unfrozen key to be served',
      );
    }
    const unfreezeEntry = (await db.query(`select actor, outcome from audit_entries where action = 'unfreezeKey' and target_id = $1`, [looping.id])).rows;
    expect(unfreezeEntry).toEqual([{ actor: expect.stringMatching(/token/i), outcome: 'success' }]);
    const again = await gql<{ unfreezeKey: unknown }>('mutation($id: ID!) { unfreezeKey(id: $id) { frozenAt } }', { id: looping.id }).catch((e: Error) => e);
    expect(String(again)).toMatch(/is not frozen/);
  });
});

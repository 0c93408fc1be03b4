import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { generateSecret } from '@keyward/shared';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BEHAVIOUR_HEADER, startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { startEventCollector, type EventCollector } from './support/event-collector.js';
import { eventFor } from './support/events.js';
import { expectNoSecretsIn } from './support/secrets.js';
import { createTestWorld, type TestKey, type TestWorld } from './support/world.js';

const HOUR = 3_600_000;
const behaviour = (b: unknown) => ({ headers: { [BEHAVIOUR_HEADER]: JSON.stringify(b) } });
const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };

/** Runs a call that must fail and returns what it threw. */
async function failure<T = any>(call: Promise<unknown>): Promise<T> {
  try {
    await call;
  } catch (err) {
    return err as T;
  }
  throw new Error('expected the call to fail');
}

describe('errors, answered in the called API’s own format', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let collector: EventCollector;
  let dp: TestDataPlane;
  const keys: Record<string, TestKey> = {};
  const openai = (secret: string) => new OpenAI({ apiKey: secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
  const anthropic = (secret: string) => new Anthropic({ apiKey: secret, baseURL: dp.url, maxRetries: 0 });
  const gemini = (secret: string) => new GoogleGenAI({ apiKey: secret, httpOptions: { baseUrl: dp.url } });

  beforeAll(async () => {
    world = await createTestWorld();
    mock = await startMockProvider();
    collector = await startEventCollector();
    const live = [
      await world.credential('openai', `${mock.url}/v1`, { models: ['gpt-*'] }),
      await world.credential('anthropic', mock.url),
      await world.credential('gemini', mock.url),
    ];
    const dead = await world.credential('openai', 'http://127.0.0.1:9/v1', { models: ['gpt-4o-mini'] });
    const metadata = await world.credential('openai', 'http://169.254.169.254/v1', { models: ['gpt-4o-mini'] });
    const otherOrg = world.newOrg();
    const foreign = await world.credential('openai', `${mock.url}/v1`, { orgId: otherOrg.id });
    const now = Date.now();
    keys.good = world.key({ allowedModels: ['gpt-4o-mini', 'claude-haiku-*', 'gemini-2.5-flash', 'o9-unserved'] });
    keys.revoked = world.key({ status: 'revoked' });
    keys.expired = world.key({ expiresAt: new Date(now - HOUR).toISOString() });
    keys.graceOver = world.key({ graceUntil: new Date(now - HOUR).toISOString() });
    keys.inGrace = world.key({ graceUntil: new Date(now + HOUR).toISOString() });
    keys.toDead = world.key({ credentialIds: [dead.config.id] });
    keys.toDeadThenLive = world.key({ credentialIds: [dead.config.id, live[0].config.id] });
    keys.toMetadata = world.key({ credentialIds: [metadata.config.id] });
    keys.toForeign = world.key({ credentialIds: [foreign.config.id] });
    dp = await startTestDataPlane({
      world,
      snapshot: world.snapshot({ keys: Object.values(keys), credentials: [...live, dead, metadata, foreign], orgs: [otherOrg] }),
      eventsUrl: collector.eventsUrl,
      env: { KEYWARD_MAX_BODY_BYTES: '4096', KEYWARD_UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '700' },
    });
  });

  afterAll(async () => {
    await dp?.close();
    await mock?.close();
    await collector?.close();
  });

  beforeEach(() => mock.reset());

  describe('key checks', () => {
    it('refuses an unknown key with 401 in OpenAI’s shape and never repeats the key', async () => {
      const secret = generateSecret('key');
      const err = await failure(openai(secret).chat.completions.create(chat));
      expect(err.status).toBe(401);
      expect(err.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key', param: null });
      expect(JSON.stringify(err.error)).not.toContain(secret);
      expect(mock.requests).toHaveLength(0);
    });

    it('refuses a look-alike key (bad checksum) and another kind of Keyward secret', async () => {
      const good = keys.good.secret;
      const lookAlike = good.slice(0, -1) + (good.endsWith('A') ? 'B' : 'A');
      for (const secret of [lookAlike, world.nodeToken, 'sk-proj-somethingelse']) {
        const err = await failure(openai(secret).chat.completions.create(chat));
        expect(err.status).toBe(401);
        expect(JSON.stringify(err.error)).not.toContain(secret);
      }
    });

    it('refuses a request without any key', async () => {
      const res = await fetch(`${dp.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat) });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
    });

    it('refuses a revoked key in Anthropic’s shape and records the denial', async () => {
      const err = await failure(
        anthropic(keys.revoked.secret).messages.create({ model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
      );
      expect(err.status).toBe(401);
      expect(err.error).toMatchObject({ type: 'error', error: { type: 'authentication_error', message: expect.stringContaining('revoked') } });
      const event = await eventFor(collector, err.requestID ?? err.headers?.get?.('x-request-id'));
      expect(event).toMatchObject({ keyId: keys.revoked.config.id, decision: 'denied', errorCode: 'key_revoked', status: 401, credentialId: null });
    });

    it('refuses an expired key with a message that says so, in Gemini’s shape', async () => {
      const err = await failure(gemini(keys.expired.secret).models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' }));
      expect(err.status).toBe(401);
      expect(err.message).toContain('UNAUTHENTICATED');
      expect(err.message).toContain('expired');
    });

    it('keeps a rotated key working during its grace period and refuses it after', async () => {
      await expect(openai(keys.inGrace.secret).chat.completions.create(chat)).resolves.toBeTruthy();
      const err = await failure(openai(keys.graceOver.secret).chat.completions.create(chat));
      expect(err.status).toBe(401);
      expect(err.error.message).toContain('expired');
      expect(err.error.code).toBe('key_expired');
    });
  });

  describe('request checks', () => {
    it('refuses a model the key may not use with 403, saying it is not allowed', async () => {
      const err = await failure(openai(keys.good.secret).chat.completions.create({ ...chat, model: 'gpt-4o' }));
      expect(err.status).toBe(403);
      expect(err.error).toMatchObject({ code: 'model_not_allowed', param: 'model', message: expect.stringContaining('not allowed') });
      const event = await eventFor(collector, err.headers.get('x-request-id'));
      expect(event).toMatchObject({ decision: 'denied', errorCode: 'model_not_allowed', model: 'gpt-4o' });
    });

    it('answers 404 when no credential serves an allowed model', async () => {
      const err = await failure(openai(keys.good.secret).chat.completions.create({ ...chat, model: 'o9-unserved' }));
      expect(err.status).toBe(404);
      expect(err.error.code).toBe('no_route');
    });

    it('never routes to another organization’s credential', async () => {
      const err = await failure(openai(keys.toForeign.secret).chat.completions.create(chat));
      expect(err.status).toBe(404);
      expect(mock.requests).toHaveLength(0);
    });

    it('answers malformed JSON with 400 in each family’s shape', async () => {
      const post = (path: string, headers: Record<string, string>) =>
        fetch(`${dp.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"model": "gpt-4o-mini",' });
      const o = await post('/v1/chat/completions', { authorization: `Bearer ${keys.good.secret}` });
      expect(o.status).toBe(400);
      expect(await o.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_json' } });
      const a = await post('/v1/messages', { 'x-api-key': keys.good.secret });
      expect(a.status).toBe(400);
      expect(await a.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'The request body is not valid JSON.' } });
      const g = await post('/v1beta/models/gemini-2.5-flash:generateContent', { 'x-goog-api-key': keys.good.secret });
      expect(g.status).toBe(400);
      expect(await g.json()).toEqual({ error: { code: 400, message: 'The request body is not valid JSON.', status: 'INVALID_ARGUMENT' } });
    });

    it('answers a body over the limit with 413', async () => {
      const err = await failure(openai(keys.good.secret).chat.completions.create({ ...chat, messages: [{ role: 'user', content: 'x'.repeat(10_000) }] }));
      expect(err.status).toBe(413);
      expect(err.error.code).toBe('body_too_large');
      expect(mock.requests).toHaveLength(0);
    });

    it('answers an unknown route with 404 and a wrong method with 405', async () => {
      const unknown = await fetch(`${dp.url}/v1/nope`, { headers: { authorization: `Bearer ${keys.good.secret}` } });
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ error: { code: 'not_found' } });
      const gem = await fetch(`${dp.url}/v1beta/models/gemini-2.5-flash:countTokens`, { method: 'POST', body: '{}' });
      expect(gem.status).toBe(404);
      expect(await gem.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
      const wrongMethod = await fetch(`${dp.url}/v1/messages`, { headers: { 'x-api-key': keys.good.secret } });
      expect(wrongMethod.status).toBe(405);
      expect(await wrongMethod.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    });
  });

  describe('upstream failures', () => {
    it('passes a provider’s own error through with its status and body', async () => {
      const err = await failure(openai(keys.good.secret).chat.completions.create(chat, behaviour({ error: { status: 429, message: 'Slow down.' } })));
      expect(err.status).toBe(429);
      expect(err.error).toMatchObject({ message: 'Slow down.', type: 'rate_limit_exceeded' });
      const event = await eventFor(collector, err.headers.get('x-request-id'));
      expect(event).toMatchObject({ status: 429, decision: 'error', errorCode: 'upstream_rate_limited', credentialId: expect.any(String) });
    });

    it('turns a provider refusing the gateway’s credential into 502, not a 401 the agent would blame on its key', async () => {
      const err = await failure(
        anthropic(keys.good.secret).messages.create(
          { model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] },
          behaviour({ error: { status: 401 } }),
        ),
      );
      expect(err.status).toBe(502);
      expect(err.error).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    });

    it('answers 502 when the provider cannot be reached', async () => {
      const err = await failure(openai(keys.toDead.secret).chat.completions.create(chat));
      expect(err.status).toBe(502);
      expect(err.error.code).toBe('upstream_unavailable');
    });

    it('tries the next credential when the first cannot be reached', async () => {
      const { response } = await openai(keys.toDeadThenLive.secret).chat.completions.create(chat).withResponse();
      expect(response.status).toBe(200);
      expect(mock.requests).toHaveLength(1);
    });

    it('refuses to connect to a non-public provider address', async () => {
      const err = await failure(openai(keys.toMetadata.secret).chat.completions.create(chat));
      expect(err.status).toBe(502);
      expect(err.error.code).toBe('upstream_blocked');
    });

    it('answers 504 when the provider does not start answering in time, in each family’s shape', async () => {
      const slow = behaviour({ firstByteDelayMs: 2_000 });
      const o = await failure(openai(keys.good.secret).chat.completions.create(chat, slow));
      expect(o.status).toBe(504);
      expect(o.error.code).toBe('upstream_timeout');
      const a = await failure(
        anthropic(keys.good.secret).messages.create({ model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }, slow),
      );
      expect(a.status).toBe(504);
      expect(a.error).toMatchObject({ type: 'error', error: { type: 'timeout_error' } });
      const g = await failure(
        gemini(keys.good.secret).models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi', config: { httpOptions: { headers: slow.headers } } }),
      );
      expect(g.status).toBe(504);
      expect(g.message).toContain('DEADLINE_EXCEEDED');
    });
  });

  it('writes no secret to any log line', () => {
    expectNoSecretsIn(dp.logs, world.secrets);
  });
});

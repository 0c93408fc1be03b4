import { DEFAULT_HOLD_SECONDS } from '@keyward/shared';
import { loadDataPlaneConfig } from '@keyward/data-plane';
import OpenAI from 'openai';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { failure } from './support/failure.js';
import { startFakeApprovals, type FakeApprovals } from './support/fake-approvals.js';
import { testPolicy, withPolicies } from './support/policies.js';
import { createTestWorld, type TestKey, type TestWorld } from './support/world.js';

/** The headers timeout an undici client (what Node's `fetch` and the official SDKs run on) uses when none is given. */
function defaultHeadersTimeoutMs(): number {
  const client = new Client('http://127.0.0.1:9');
  const symbol = Object.getOwnPropertySymbols(client).find((s) => s.description === 'headers timeout');
  const value = symbol && (client as unknown as Record<symbol, unknown>)[symbol];
  void client.destroy();
  if (typeof value !== 'number') throw new Error('undici no longer keeps its headers timeout where this test reads it');
  return value;
}

describe('how long a held request can wait', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let approvals: FakeApprovals;
  let dp: TestDataPlane;
  let key: TestKey;
  const ask = (content: string) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content }] });
  const review = { headers: { 'x-keyward-case': 'review' } };

  beforeAll(async () => {
    world = await createTestWorld();
    mock = await startMockProvider();
    approvals = await startFakeApprovals();
    key = world.key();
    const policy = testPolicy(world, {
      name: 'Long reviews',
      // The README's example hold: 900 s, refused when nobody answers.
      rules: [{ id: 'review', when: { header: { name: 'x-keyward-case', eq: 'review' } }, action: { type: 'hold', timeoutSeconds: 900, onTimeout: 'block' } }],
    });
    dp = await startTestDataPlane({
      world,
      snapshot: withPolicies(world.snapshot({ keys: [key], credentials: [await world.credential('openai', `${mock.url}/v1`)] }), [policy]),
      controlPlaneUrl: approvals.url,
      // One second stands for the default 240 s, so the test does not wait minutes.
      env: { KEYWARD_UNSTREAMED_HOLD_SECONDS: '1', KEYWARD_HOLD_KEEPALIVE_SECONDS: '0.1' },
    });
  });

  afterAll(async () => {
    await dp?.close();
    await mock?.close();
    await approvals?.close();
  });

  it('answers a request that is not streamed, held by a 900 s rule, before its client gives up: at the node’s limit, with a reason the client can act on', async () => {
    const client = new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
    const started = Date.now();
    const err = await failure(client.chat.completions.create(ask('deploy it'), review));
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(5_000);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.status).toBe(403);
    expect(err.error).toMatchObject({ code: 'approval_timeout', message: expect.stringContaining("stream the request to wait the hold's 900 seconds") });
    // Approvers see the deadline that really applies, not the rule's 900 s.
    const request = await approvals.nextRequest();
    expect(Date.parse(request.expiresAt) - started).toBeLessThan(2_000);
    expect(await approvals.outcomeOf(request.id)).toBe('timed_out_blocked');
    expect(mock.requests).toHaveLength(0);
  });

  it('keeps a streamed request under the same rule waiting past that limit, and forwards it once approved', async () => {
    const client = new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
    const stream = await client.chat.completions.create({ ...ask('deploy it'), stream: true }, review);
    const request = await approvals.nextRequest();
    expect(Date.parse(request.expiresAt) - Date.now()).toBeGreaterThan(800_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    approvals.decide(request.id, 'approved');
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Hello from the mock provider.');
  });

  it('by default ends holds a minute before Node’s HTTP client stops waiting for response headers', () => {
    const clientWaitsSeconds = defaultHeadersTimeoutMs() / 1000;
    expect(clientWaitsSeconds).toBe(300);
    const defaults = loadDataPlaneConfig({
      KEYWARD_NODE_TOKEN: world.nodeToken,
      KEYWARD_KMS: world.kmsSpec,
      KEYWARD_KEY_PEPPER: world.pepper.toString('base64'),
    });
    expect(defaults.unstreamedHoldSeconds).toBe(240);
    expect(DEFAULT_HOLD_SECONDS).toBe(240);
    expect(clientWaitsSeconds - defaults.unstreamedHoldSeconds).toBeGreaterThanOrEqual(60);
  });
});

import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startFakeGcpKms, type FakeGcpKms } from '@keyward/shared';
import { eventually, startTestSystem, type TestSystem } from '../support/system.js';

let kms: FakeGcpKms;
let system: TestSystem;
let client: OpenAI;
const ask = () => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).withResponse();

beforeAll(async () => {
  kms = await startFakeGcpKms();
  const kmsEnv = { KEYWARD_KMS: `gcp:${kms.keyName}`, KEYWARD_GCP_KMS_ENDPOINT: kms.url };
  system = await startTestSystem(inject('pgAdminUrl'), {
    controlPlaneEnv: kmsEnv,
    // Unwrapped credentials are kept 2 s, so the test sees the cache serve and then run out.
    // A 1.5 s KMS deadline (3 s by default) bounds how long the agent waits for the refusal.
    dataPlaneEnv: { ...kmsEnv, KEYWARD_CREDENTIAL_CACHE_SECONDS: '2', KEYWARD_KMS_TIMEOUT_MS: '1500' },
  });
  await system.addMockCredential();
  const { secret } = await system.createKey();
  client = new OpenAI({ apiKey: secret, baseURL: `${system.dp.url}/v1`, maxRetries: 0 });
  await eventually(
    () =>
      ask().then(
        () => true,
        () => undefined,
      ),
    20_000,
    'the key on the node',
  );
}, 120_000);

afterAll(async () => {
  await system?.close();
  await kms?.close().catch(() => undefined);
});

/**
 * Provider credentials are sealed under Cloud KMS. When it cannot be reached, a node serves from
 * the credentials it unwrapped for as long as it may keep them, then refuses with a 503 the agent
 * may retry — never a request sent without, or with another, credential.
 */
describe('the KMS out of reach', () => {
  it('serves from unwrapped credentials for their time, then refuses with 503 kms_unavailable and calls no provider', async () => {
    const decrypts = kms.calls.decrypt;
    expect((await ask()).response.status).toBe(200);
    await kms.close();
    // Within the cache time the node needs no KMS call.
    expect((await ask()).response.status).toBe(200);
    expect(kms.calls.decrypt).toBe(decrypts);

    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const providerCalls = system.mock.requests.length;
    const asked = Date.now();
    const refused = await ask().then(
      () => null,
      (error: unknown) => error as { status?: number; headers?: Headers; error?: { code?: string; message?: string } },
    );
    expect(refused?.status).toBe(503);
    expect(refused?.error?.code).toBe('kms_unavailable');
    expect(refused?.error?.message).toBe('The key service that unlocks provider credentials cannot be reached; retry shortly.');
    expect(refused?.headers?.get('retry-after')).toBe('5');
    expect(Date.now() - asked).toBeLessThan(5_000);
    expect(system.mock.requests.length).toBe(providerCalls);
  }, 60_000);
});

import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, startTestSystem, type TestSystem } from './support/system.js';

/**
 * Built-in prices come from the `@pydantic/genai-prices` catalog: Anthropic's cache writes cost
 * more than input, and a Gemini prompt above 200k tokens moves the whole request to the
 * long-context rates. Proven through the official SDKs, with the cost read back from PostgreSQL.
 */
describe('built-in prices from the catalog', () => {
  let system: TestSystem;
  let db: pg.Client;
  let key: { id: string; secret: string };

  beforeAll(async () => {
    system = await startTestSystem(inject('pgAdminUrl'));
    for (const provider of ['ANTHROPIC', 'GEMINI']) {
      const res = await system.owner.gql(`mutation($input: CreateCredentialInput!) { createCredential(input: $input) { id } }`, {
        input: { provider, name: provider.toLowerCase(), apiKey: `sk-${provider.toLowerCase()}-mock-secret`, baseUrl: system.mock.url },
      });
      expect(res.errors).toBeUndefined();
    }
    key = await system.createKey();
    db = new pg.Client({ connectionString: system.cp.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await system?.close();
  });

  const costOf = (requestId: string) =>
    eventually(
      async () => (await db.query('select cost_micros from usage_events where request_id = $1', [requestId])).rows[0]?.cost_micros as string | undefined,
      10_000,
      `the event of ${requestId}`,
    ).then(Number);

  it('charges an Anthropic cache write at its own price, apart from cache reads and uncached input', async () => {
    const anthropic = new Anthropic({ apiKey: key.secret, baseURL: system.dp.url, maxRetries: 0 });
    system.mock.setBehaviour({ usage: { inputTokens: 10_000, cachedInputTokens: 2_000, cacheWriteInputTokens: 5_000, outputTokens: 500 } });
    const { response } = await anthropic.messages
      .create({ model: 'claude-sonnet-4-5', max_tokens: 600, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    // claude-sonnet-4-5: $3 input, $0.30 cache read, $3.75 cache write, $15 output per million tokens.
    expect(await costOf(response.headers.get('x-request-id')!)).toBe(3_000 * 3 + 2_000 * 0.3 + 5_000 * 3.75 + 500 * 15);
  });

  it('charges a Gemini request above 200k prompt tokens at the long-context rates, and one at 200k at the base rates', async () => {
    const costAt = async (inputTokens: number) => {
      system.mock.setBehaviour({ usage: { inputTokens, outputTokens: 1_000 } });
      const ai = new GoogleGenAI({ apiKey: key.secret, httpOptions: { baseUrl: system.dp.url } });
      const answer = await ai.models.generateContent({ model: 'gemini-2.5-pro', contents: 'hi', config: { maxOutputTokens: 2_000 } });
      return costOf(answer.sdkHttpResponse!.headers!['x-request-id']!);
    };
    // gemini-2.5-pro: $1.25 / $10 per million up to 200k prompt tokens, $2.50 / $15 for the whole request above.
    expect(await costAt(200_000)).toBe(200_000 * 1.25 + 1_000 * 10);
    expect(await costAt(250_000)).toBe(250_000 * 2.5 + 1_000 * 15);
  });
});

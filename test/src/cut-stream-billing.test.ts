import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { costMicros, findPrice } from '@keyward/shared';
import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, startTestSystem, type TestSystem } from './support/system.js';

/** The whole answer the mock would stream: 400 words in 40 chunks, 400 output tokens by its own count. */
const FULL_OUTPUT_TOKENS = 400;
const LONG_ANSWER = { text: 'word '.repeat(400), chunks: 40, intervalMs: 40, usage: { inputTokens: 50, outputTokens: FULL_OUTPUT_TOKENS } };
/** Content chunks the agent reads, or the provider sends, before the stream is cut. */
const CHUNKS_BEFORE_CUT = 5;

type Cut = 'agent' | 'provider';

/** Reads a stream until it has seen `CHUNKS_BEFORE_CUT` chunks, then leaves (`onCut` aborts); a provider's cut throws. */
async function readUntilCut(stream: AsyncIterable<unknown>, onCut: () => void = () => undefined): Promise<void> {
  let chunks = 0;
  try {
    for await (const _chunk of stream) {
      if (++chunks === CHUNKS_BEFORE_CUT + 2) {
        onCut();
        break; // leaving the iterator aborts the HTTP request
      }
    }
  } catch {
    // The provider's reset reaches the client as a stream error (or the abort as an AbortError).
  }
}

/**
 * A stream that ends before the provider's final usage (the agent hangs up, or the provider
 * drops the connection) must still be charged for what was relayed: estimated from the text,
 * never left at the provider's opening placeholder (Anthropic's `message_start` says one output
 * token), and tagged `usage_estimated`. Proven through each official SDK, with the event read
 * back from PostgreSQL.
 */
describe('streams cut short are billed for what was relayed', () => {
  let system: TestSystem;
  let db: pg.Client;

  beforeAll(async () => {
    system = await startTestSystem(inject('pgAdminUrl'));
    await system.addMockCredential();
    for (const provider of ['ANTHROPIC', 'GEMINI']) {
      const res = await system.owner.gql(`mutation($input: CreateCredentialInput!) { createCredential(input: $input) { id } }`, {
        input: { provider, name: provider.toLowerCase(), apiKey: `sk-${provider.toLowerCase()}-mock-secret`, baseUrl: system.mock.url },
      });
      expect(res.errors).toBeUndefined();
    }
    db = new pg.Client({ connectionString: system.cp.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await system?.close();
  });

  const streams: Record<string, { model: string; open: (secret: string, cut: Cut) => Promise<void> }> = {
    'Anthropic messages': {
      model: 'claude-haiku-4-5',
      async open(secret) {
        const client = new Anthropic({ apiKey: secret, baseURL: system.dp.url, maxRetries: 0 });
        const stream = await client.messages.create({
          model: 'claude-haiku-4-5',
          max_tokens: 2_000,
          stream: true,
          messages: [{ role: 'user', content: 'Write a long essay.' }],
        });
        await readUntilCut(stream);
      },
    },
    'OpenAI chat completions': {
      model: 'gpt-4o-mini',
      async open(secret) {
        const client = new OpenAI({ apiKey: secret, baseURL: `${system.dp.url}/v1`, maxRetries: 0 });
        const stream = await client.chat.completions.create({
          model: 'gpt-4o-mini',
          stream: true,
          max_tokens: 2_000,
          messages: [{ role: 'user', content: 'Write a long essay.' }],
        });
        await readUntilCut(stream);
      },
    },
    'OpenAI responses': {
      model: 'gpt-4o-mini',
      async open(secret) {
        const client = new OpenAI({ apiKey: secret, baseURL: `${system.dp.url}/v1`, maxRetries: 0 });
        const stream = await client.responses.create({ model: 'gpt-4o-mini', stream: true, max_output_tokens: 2_000, input: 'Write a long essay.' });
        await readUntilCut(stream);
      },
    },
    'Gemini streamGenerateContent': {
      model: 'gemini-2.5-flash',
      async open(secret) {
        const client = new GoogleGenAI({ apiKey: secret, httpOptions: { baseUrl: system.dp.url } });
        const abort = new AbortController();
        const stream = await client.models.generateContentStream({
          model: 'gemini-2.5-flash',
          contents: 'Write a long essay.',
          config: { maxOutputTokens: 2_000, abortSignal: abort.signal },
        });
        await readUntilCut(stream, () => abort.abort());
      },
    },
  };

  const cases = Object.entries(streams).flatMap(([api, stream]) => (['agent', 'provider'] as const).map((cut) => ({ api, cut, stream })));

  it.each(cases)('$api: a stream cut by the $cut is charged an estimate of what was relayed, tagged usage_estimated', async ({ cut, stream }) => {
    system.mock.setBehaviour(cut === 'agent' ? LONG_ANSWER : { ...LONG_ANSWER, failAfterChunks: CHUNKS_BEFORE_CUT, failWith: 'reset' });
    const key = await system.createKey();
    await stream.open(key.secret, cut);

    const event = await eventually(
      async () => (await db.query('select * from usage_events where key_id = $1 and stream', [key.id])).rows[0] as Record<string, unknown> | undefined,
      10_000,
      'the event of the cut stream',
    );
    expect(event.tags).toContain('usage_estimated');
    const usage = { inputTokens: Number(event.input_tokens), outputTokens: Number(event.output_tokens), cachedInputTokens: Number(event.cached_input_tokens) };
    // More than the opening placeholder, less than the whole answer the agent never received.
    expect(usage.outputTokens).toBeGreaterThan(CHUNKS_BEFORE_CUT);
    expect(usage.outputTokens).toBeLessThan(FULL_OUTPUT_TOKENS);
    expect(usage.inputTokens).toBeGreaterThan(0);
    expect(Number(event.cost_micros)).toBe(costMicros(findPrice(stream.model, [], new Date())!, usage));

    // The flag reaches the API too.
    const res = await system.owner.gql<{ usageEvents: { nodes: { tags: string[]; outputTokens: number }[] } }>(
      'query($f: UsageEventFilter) { usageEvents(filter: $f, first: 5) { nodes { tags outputTokens } } }',
      { f: { keyId: key.id } },
    );
    expect(res.data!.usageEvents.nodes.find((n) => n.outputTokens === usage.outputTokens)?.tags).toContain('usage_estimated');
  });
});

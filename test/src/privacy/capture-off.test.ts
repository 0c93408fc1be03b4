import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { storesHolding, storesText } from '../support/stores.js';
import { eventually, startTestSystem, type TestSystem } from '../support/system.js';

/** What the mock provider answers every chat with: the completion text to look for. */
const COMPLETION = 'Hello from the mock provider.';

/**
 * "Content capture off means no prompt or completion byte is stored": after real requests
 * through the OpenAI SDK (plain and streamed) with capture off, every store Keyward writes is
 * scanned for the prompt and the completion — every row of every PostgreSQL table, both
 * planes' logs, every file under the data plane's state directory (the event spool, the last
 * known good config) and a usage-event export. The same scan then finds a prompt sent with
 * capture on, so it is not blind.
 */
describe('content capture off', () => {
  let system: TestSystem;
  let db: pg.Client;
  let openai: OpenAI;

  beforeAll(async () => {
    system = await startTestSystem(inject('pgAdminUrl'));
    await system.addMockCredential();
    const key = await system.createKey();
    openai = new OpenAI({ apiKey: key.secret, baseURL: `${system.dp.url}/v1`, maxRetries: 0 });
    db = new pg.Client({ connectionString: system.cp.databaseUrl });
    await db.connect();
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await system?.close();
  });

  /** Sends `prompt` plainly and streamed; returns the request ids once both events are stored. */
  async function send(prompt: string): Promise<string[]> {
    const plain = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }] }).withResponse();
    expect(plain.data.choices[0]!.message.content).toBe(COMPLETION);
    const streamed = await openai.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: prompt }] }).withResponse();
    let text = '';
    for await (const chunk of streamed.data) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe(COMPLETION);
    const ids = [plain.response.headers.get('x-request-id')!, streamed.response.headers.get('x-request-id')!];
    await eventually(
      async () => ((await db.query('select count(*)::int as n from usage_events where request_id = any($1)', [ids])).rows[0].n === 2 ? true : undefined),
      15_000,
      'both events to be stored',
    );
    return ids;
  }

  /** Where `needle` was found, store by store. */
  async function storesWith(needle: string): Promise<string[]> {
    return storesHolding(await storesText(system, db), needle);
  }

  it('keeps no prompt or completion byte in PostgreSQL, the logs, the spool or exports', async () => {
    const prompt = `privacy-prompt-${randomBytes(8).toString('hex')}`;
    const ids = await send(prompt);
    const { rows } = await db.query('select content from usage_events where request_id = any($1)', [ids]);
    expect(rows).toEqual([{ content: null }, { content: null }]);
    expect(await storesWith(prompt)).toEqual([]);
    expect(await storesWith(COMPLETION)).toEqual([]);
  });

  it('finds the prompt once capture is turned on, so the scan is not blind', async () => {
    const before = system.dp.node.readiness().version ?? 0;
    const on = await system.owner.gql('mutation { updateOrganizationSettings(input: { contentCapture: true }) { id } }');
    expect(on.errors).toBeUndefined();
    await eventually(() => ((system.dp.node.readiness().version ?? 0) > before ? true : undefined), 10_000, 'capture on to reach the node');
    const prompt = `privacy-prompt-${randomBytes(8).toString('hex')}`;
    await send(prompt);
    expect(await storesWith(prompt)).toEqual(expect.arrayContaining(['postgresql', 'usage-event export']));
  });
});

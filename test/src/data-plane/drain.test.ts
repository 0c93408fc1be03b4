import { EventEmitter } from 'node:events';
import { stopOnSignals } from '@keyward/data-plane';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BEHAVIOUR_HEADER, startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { startEventCollector, type EventCollector } from './support/event-collector.js';
import { createTestWorld, type TestCredential, type TestKey, type TestWorld } from './support/world.js';

describe('graceful drain on SIGTERM', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let collector: EventCollector;
  let key: TestKey;
  let credential: TestCredential;

  const startNode = (env: Record<string, string> = {}) =>
    startTestDataPlane({ world, snapshot: world.snapshot({ keys: [key], credentials: [credential] }), eventsUrl: collector.eventsUrl, env });

  /** Installs the process's signal handling on a stand-in emitter and records the exit code. */
  const signals = (dp: TestDataPlane) => {
    const target = new EventEmitter();
    const exits: number[] = [];
    const logger = { info: () => undefined, warn: () => undefined, error: () => undefined } as never;
    stopOnSignals(dp.node, logger, { exit: (code) => exits.push(code), target });
    return { send: (signal: 'SIGTERM' | 'SIGINT') => target.emit(signal), exits };
  };

  beforeAll(async () => {
    world = await createTestWorld();
    mock = await startMockProvider();
    collector = await startEventCollector();
    credential = await world.credential('openai', `${mock.url}/v1`);
    key = world.key();
  });

  afterAll(async () => {
    await mock?.close();
    await collector?.close();
  });

  it('stops accepting, lets an open stream finish, ships its event, then exits 0', async () => {
    const dp = await startNode();
    const process = signals(dp);
    const client = new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
    const { data: stream, response } = await client.chat.completions
      .create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true },
        { headers: { [BEHAVIOUR_HEADER]: JSON.stringify({ text: 'abcdefghij', chunks: 10, intervalMs: 80 }) } },
      )
      .withResponse();
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (text.length === 1) {
        process.send('SIGTERM');
        await vi.waitFor(() => expect(dp.node.readiness().draining).toBe(true));
        await expect(fetch(`${dp.url}/healthz`)).rejects.toThrow();
      }
    }
    expect(text).toBe('abcdefghij');
    await vi.waitFor(() => expect(process.exits).toEqual([0]));
    const requestId = response.headers.get('x-request-id');
    expect(collector.events.find((e) => e.requestId === requestId)).toMatchObject({ status: 200, errorCode: null, stream: true });
    await dp.close();
  });

  it('cuts streams that outlive the drain deadline and still exits 0', async () => {
    const dp = await startNode({ KEYWARD_DRAIN_SECONDS: '0.3' });
    const process = signals(dp);
    const client = new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true },
      { headers: { [BEHAVIOUR_HEADER]: JSON.stringify({ chunks: 50, intervalMs: 100 }) } },
    );
    const started = Date.now();
    let signalled = false;
    const consumed = (async () => {
      for await (const _chunk of stream) {
        if (!signalled) process.send('SIGTERM');
        signalled = true;
      }
    })();
    await expect(consumed).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3_000);
    await vi.waitFor(() => expect(mock.requests.at(-1)?.aborted).toBe(true));
    await vi.waitFor(() => expect(process.exits).toEqual([0]));
    await dp.close();
  });
});

import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  const startNode = (env: Record<string, string> = {}, stateDir?: string) =>
    startTestDataPlane({ world, snapshot: world.snapshot({ keys: [key], credentials: [credential] }), eventsUrl: collector.eventsUrl, env, stateDir });

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

  it('with 200 open streams: the 100 that end within the deadline finish whole, the 100 that outlive it are cut at it, and all 200 are metered once', async () => {
    const dp = await startNode({ KEYWARD_DRAIN_SECONDS: '2' });
    const process = signals(dp);
    /** Opens a stream and resolves once its first bytes arrived, with the rest still to read. */
    const open = async (chunks: number) => {
      const res = await fetch(`${dp.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key.secret}`,
          'content-type': 'application/json',
          [BEHAVIOUR_HEADER]: JSON.stringify({ text: 'x'.repeat(chunks), chunks, intervalMs: 100 }),
        },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true }),
      });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const first = await reader.read();
      const rest = (async () => {
        let text = new TextDecoder().decode(first.value);
        for (let r = await reader.read(); !r.done; r = await reader.read()) text += new TextDecoder().decode(r.value);
        return text;
      })();
      return { requestId: res.headers.get('x-request-id')!, rest };
    };
    // Short streams last a second and a half; long ones would last a minute, far past the deadline.
    const streams = await Promise.all(Array.from({ length: 200 }, (_, i) => open(i % 2 === 0 ? 15 : 600)));
    const signalled = Date.now();
    process.send('SIGTERM');
    const outcomes = await Promise.allSettled(streams.map((s) => s.rest));
    const elapsed = Date.now() - signalled;
    const short = outcomes.filter((_, i) => i % 2 === 0);
    const long = outcomes.filter((_, i) => i % 2 === 1);
    expect(short.filter((o) => o.status === 'fulfilled' && o.value.includes('[DONE]')).length).toBe(100);
    expect(long.filter((o) => o.status === 'rejected' || !o.value.includes('[DONE]')).length).toBe(100);
    // Cut at the 2 s deadline, plus the time to close 100 connections on a busy machine.
    expect(elapsed).toBeLessThan(6_000);
    await vi.waitFor(() => expect(process.exits).toEqual([0]), { timeout: 10_000 });
    const ids = streams.map((s) => s.requestId);
    await vi.waitFor(() => expect(collector.events.filter((e) => ids.includes(e.requestId)).length).toBe(200), { timeout: 10_000 });
    const events = collector.events.filter((e) => ids.includes(e.requestId));
    expect(new Set(events.map((e) => e.requestId)).size).toBe(200);
    const shortIds = new Set(ids.filter((_, i) => i % 2 === 0));
    expect(events.filter((e) => shortIds.has(e.requestId) && e.status === 200 && e.errorCode === null).length).toBe(100);
    // A stream cut at the deadline is metered as cut by the node, with what it had streamed.
    expect(events.filter((e) => !shortIds.has(e.requestId) && e.errorCode === 'drain_deadline').length).toBe(100);
    await dp.close();
  }, 90_000);

  it('ships the events a worker beyond the current KEYWARD_DP_WORKERS left spooled', async () => {
    const root = await mkdtemp(join(tmpdir(), 'keyward-leftover-'));
    try {
      // A former third worker answered and spooled its event, with nowhere to ship it.
      const former = await startTestDataPlane({
        world,
        snapshot: world.snapshot({ keys: [key], credentials: [credential] }),
        stateDir: join(root, 'worker-2'),
      });
      const client = new OpenAI({ apiKey: key.secret, baseURL: `${former.url}/v1`, maxRetries: 0 });
      const { response } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      await former.close();
      const requestId = response.headers.get('x-request-id');

      const dp = await startNode({}, root);
      await vi.waitFor(() => expect(collector.events.find((e) => e.requestId === requestId)).toMatchObject({ status: 200 }), { timeout: 5_000 });
      await vi.waitFor(() => expect(dp.node.eventBacklog()).toBe(0));
      await dp.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

import { mkdtemp, readFile, rm, symlink, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { startEventCollector, type EventCollector } from './support/event-collector.js';
import { createTestWorld, type TestCredential, type TestKey, type TestWorld } from './support/world.js';

const FAST_RETRY = { KEYWARD_EVENT_RETRY_MAX_MS: '200', KEYWARD_EVENT_BATCH_SIZE: '7' };

describe('usage events on their way to the control plane', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let collector: EventCollector;
  let key: TestKey;
  let credential: TestCredential;
  let stateDir: string;
  const nodes: TestDataPlane[] = [];

  const start = async (env: Record<string, string> = {}) => {
    const dp = await startTestDataPlane({
      world,
      stateDir,
      snapshot: world.snapshot({ keys: [key], credentials: [credential] }),
      eventsUrl: collector.eventsUrl,
      env: { ...FAST_RETRY, ...env },
      eventFlushTimeoutMs: 300,
    });
    nodes.push(dp);
    return dp;
  };

  /** Makes `count` chat requests and returns their request ids. */
  const call = async (dp: TestDataPlane, count: number) => {
    const client = new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const { response } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `${i}` }] }).withResponse();
      ids.push(response.headers.get('x-request-id')!);
    }
    return ids;
  };

  beforeAll(async () => {
    world = await createTestWorld();
    mock = await startMockProvider();
    credential = await world.credential('openai', `${mock.url}/v1`);
    key = world.key();
  });

  afterAll(async () => {
    await mock?.close();
  });

  beforeEach(async () => {
    collector = await startEventCollector();
    stateDir = await mkdtemp(join(tmpdir(), 'keyward-events-'));
  });

  afterEach(async () => {
    for (const dp of nodes.splice(0)) await dp.close();
    await collector.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('delivers every event exactly once across a control-plane outage and a node restart', async () => {
    await collector.pause();
    const first = await start();
    const before = await call(first, 20);
    await vi.waitFor(() => expect(first.node.eventBacklog()).toBe(20));
    await first.close();

    const second = await start();
    expect(second.node.eventBacklog()).toBe(20);
    const after = await call(second, 6);
    await vi.waitFor(() => expect(second.node.eventBacklog()).toBe(26));
    expect(collector.events).toHaveLength(0);

    await collector.resume();
    await vi.waitFor(() => expect(second.node.eventBacklog()).toBe(0), { timeout: 5_000 });
    expect(collector.events.map((e) => e.requestId).sort()).toEqual([...before, ...after].sort());
    expect(new Set(collector.events.map((e) => e.id)).size).toBe(26);
    expect(collector.duplicates).toBe(0);
  });

  it('refuses new requests with 503 while the disk under the spool is full, and loses no answered request', async () => {
    await collector.pause();
    const dp = await start({ KEYWARD_SPOOL_SEGMENT_BYTES: '4096' });
    // The spool's second segment is /dev/full: once the first is full, the kernel fails every write with ENOSPC.
    const full = join(stateDir, 'spool', 'segment-000000000002.ndjson');
    await symlink('/dev/full', full);
    const chat = async () => {
      const res = await fetch(`${dp.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      return { status: res.status, requestId: res.headers.get('x-request-id')!, retryAfter: res.headers.get('retry-after'), body: await res.text() };
    };
    const answered: string[] = [];
    let refusal: Awaited<ReturnType<typeof chat>> | null = null;
    while (refusal === null && answered.length < 50) {
      const result = await chat();
      if (result.status === 200) answered.push(result.requestId);
      else refusal = result;
    }
    expect(refusal).toMatchObject({ status: 503, retryAfter: '5' });
    expect(JSON.parse(refusal!.body)).toMatchObject({ error: { code: 'spool_unavailable', message: expect.stringContaining('cannot record usage') } });
    const answeredWhileFilling = answered.length;
    const providerCalls = mock.requests.length;
    const whileFull = await Promise.all(Array.from({ length: 20 }, chat));
    expect(whileFull.map((r) => r.status)).toEqual(Array<number>(20).fill(503));
    expect(mock.requests.length).toBe(providerCalls);
    expect((await fetch(`${dp.url}/readyz`)).status).toBe(503);

    await unlink(full); // room on the disk again
    await vi.waitFor(() => expect(dp.node.readiness().ready).toBe(true), { timeout: 5_000 });
    for (let i = 0; i < 5; i++) {
      const result = await chat();
      expect(result.status).toBe(200);
      answered.push(result.requestId);
    }
    await collector.resume();
    await vi.waitFor(() => expect(collector.events.length).toBeGreaterThanOrEqual(answered.length), { timeout: 10_000 });
    console.info('full spool disk:', { answeredWhileFilling, refused: 1 + whileFull.length, answeredAfter: 5, stored: collector.events.length });
    expect(collector.events.map((e) => e.requestId).sort()).toEqual([...answered].sort());
    expect(collector.duplicates).toBe(0);
  });

  it('re-sends a batch whose acknowledgement was lost, and the control plane keeps one copy', async () => {
    collector.setMode('lose-ack');
    const dp = await start();
    const ids = await call(dp, 5);
    await vi.waitFor(() => expect(collector.events).toHaveLength(5));
    expect(dp.node.eventBacklog()).toBe(5);
    collector.setMode('accept');
    await vi.waitFor(() => expect(dp.node.eventBacklog()).toBe(0));
    expect(collector.duplicates).toBeGreaterThanOrEqual(5);
    expect(collector.events.map((e) => e.requestId).sort()).toEqual([...ids].sort());
  });

  it('sets a batch the control plane refuses as invalid aside in the dead-letter file and carries on', async () => {
    collector.setMode('invalid');
    const dp = await start();
    const refused = await call(dp, 3);
    await vi.waitFor(() => expect(dp.node.eventBacklog()).toBe(0));
    const deadLetters = (await readFile(join(stateDir, 'spool', 'dead-letter.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { reason: string; event: { requestId: string } });
    expect(deadLetters.map((d) => d.event.requestId).sort()).toEqual([...refused].sort());
    expect(dp.logs.filter((l) => l.includes('rejected an event batch as invalid')).length).toBeGreaterThanOrEqual(1);

    collector.setMode('accept');
    const accepted = await call(dp, 2);
    await vi.waitFor(() => expect(collector.events.map((e) => e.requestId).sort()).toEqual([...accepted].sort()));
  });

  it('keeps events spooled while the node token is refused, logging it once', async () => {
    collector.setMode('unauthorized');
    const dp = await start();
    const ids = await call(dp, 4);
    await vi.waitFor(() => expect(collector.batches).toBeGreaterThanOrEqual(3));
    expect(dp.node.eventBacklog()).toBe(4);
    expect(dp.logs.filter((l) => l.includes('refused the node token'))).toHaveLength(1);
    expect(collector.authorizations.every((a) => a === `Bearer ${world.nodeToken}`)).toBe(true);

    collector.setMode('accept');
    await vi.waitFor(() => expect(collector.events.map((e) => e.requestId).sort()).toEqual([...ids].sort()));
  });

  it('ships a batch as soon as it is full and holds a partial one until the flush interval', async () => {
    const dp = await start({ KEYWARD_EVENT_BATCH_SIZE: '5', KEYWARD_EVENT_FLUSH_MS: '60000' });
    await call(dp, 8);
    await vi.waitFor(() => expect(collector.events).toHaveLength(5));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(collector.events).toHaveLength(5);
    expect(dp.node.eventBacklog()).toBe(3);
    expect(await dp.node.flushEvents()).toBe(true);
    expect(collector.events).toHaveLength(8);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyBaseline, hourOfWeek, hourOfWeekLabel, learnMinute, learnRequest, type AnomalyBaseline, type UsageEvent } from '@keyward/shared';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { startEventCollector, type EventCollector } from './support/event-collector.js';
import { testPolicy, withPolicies } from './support/policies.js';
import { createTestWorld, type TestCredential, type TestKey, type TestWorld } from './support/world.js';

const WEEK_MS = 7 * 24 * 3_600_000;

/**
 * A baseline as the control plane would have learned it: this client's requests (the events of
 * a first node, dated two hours back so their client is trusted) and three weeks of quiet
 * minutes, two calls each, in this hour of the week.
 */
function quietBaseline(events: readonly UsageEvent[], now: number): AnomalyBaseline {
  const baseline = emptyBaseline();
  for (let round = 0; round < 10; round++) {
    for (const event of events) {
      learnRequest(baseline, {
        at: Date.parse(event.startedAt) - 2 * 3_600_000,
        model: event.model,
        endpoint: event.endpoint,
        tools: event.toolsOffered ?? [],
        clientIpHash: event.clientIpHash,
        userAgentHash: event.userAgentHash,
        userAgentFamilyHash: event.userAgentFamilyHash ?? '',
        promptTokens: event.inputTokens,
        completionTokens: event.outputTokens,
        costMicros: event.costMicros,
        failed: false,
        blocked: false,
      });
    }
  }
  for (let week = 1; week <= 3; week++) {
    for (let minute = 0; minute < 40; minute++) learnMinute(baseline, { at: now - week * WEEK_MS + minute * 1_000, requests: 2, costMicros: 50 });
  }
  return baseline;
}

describe('anomaly scores on usage events', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let collector: EventCollector;
  let credential: TestCredential;
  let stateDir: string;
  let looping: TestKey;
  let steady: TestKey;
  const nodes: TestDataPlane[] = [];

  const start = async (keys: readonly TestKey[]) => {
    const dp = await startTestDataPlane({
      world,
      stateDir,
      snapshot: world.snapshot({ keys, credentials: [credential] }),
      eventsUrl: collector.eventsUrl,
      env: { KEYWARD_EVENT_RETRY_MAX_MS: '200' },
      eventFlushTimeoutMs: 300,
    });
    nodes.push(dp);
    return dp;
  };

  const call = async (dp: TestDataPlane, key: TestKey, count: number) => {
    const client = new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
    for (let i = 0; i < count; i++) await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `retry ${i}` }] });
  };

  const eventsOf = (key: TestKey) => collector.events.filter((e) => e.keyId === key.config.id);

  beforeAll(async () => {
    world = await createTestWorld();
    mock = await startMockProvider();
    collector = await startEventCollector();
    stateDir = await mkdtemp(join(tmpdir(), 'keyward-anomaly-'));
    credential = await world.credential('openai', `${mock.url}/v1`);
    looping = world.key();
    steady = world.key();
  });

  afterAll(async () => {
    for (const dp of nodes.splice(0)) await dp.close();
    await collector?.close();
    await mock?.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('scores each request from the pushed baseline and the node’s own counters, with reasons', { timeout: 120_000 }, async () => {
    const first = await start([looping, steady]);
    await call(first, looping, 3);
    await vi.waitFor(() => expect(eventsOf(looping)).toHaveLength(3), { timeout: 10_000 });
    // Without a baseline there is nothing to compare with: scored 0, no reasons.
    expect(eventsOf(looping).map((e) => [e.anomalyScore, e.anomalyReasons])).toEqual([
      [0, []],
      [0, []],
      [0, []],
    ]);
    expect(eventsOf(looping)[0]!.userAgentFamilyHash).toMatch(/^[0-9a-f]{64}$/);
    await first.close();

    const now = Date.now();
    const learned = quietBaseline(eventsOf(looping), now);
    const withBaseline = (key: TestKey): TestKey => ({ ...key, config: { ...key.config, anomalyBaseline: learned } });
    const second = await start([withBaseline(looping), withBaseline(steady)]);
    await call(second, steady, 2);
    await call(second, looping, 40);
    await vi.waitFor(() => expect(eventsOf(looping)).toHaveLength(43), { timeout: 10_000 });
    await vi.waitFor(() => expect(eventsOf(steady)).toHaveLength(2), { timeout: 10_000 });

    expect(eventsOf(steady).map((e) => e.anomalyScore)).toEqual([0, 0]);
    const loop = eventsOf(looping)
      .slice(3)
      .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
    expect(loop[0]!.anomalyScore).toBe(0);
    const last = loop.at(-1)!;
    expect(last.anomalyScore).toBeGreaterThanOrEqual(80);
    expect(last.anomalyReasons![0]!.code).toBe('request_rate');
    expect(last.anomalyReasons![0]!.message).toMatch(
      new RegExp(`^requests \\d+× the key's usual rate for ${hourOfWeekLabel(hourOfWeek(Date.parse(last.startedAt)))} \\(\\d+/min\\)$`),
    );
  });

  it('lets a policy block a request whose score as it arrives is above 80, naming the reason', { timeout: 120_000 }, async () => {
    const learned = quietBaseline(eventsOf(looping).slice(0, 3), Date.now());
    const withBaseline = (key: TestKey): TestKey => ({ ...key, config: { ...key.config, anomalyBaseline: learned } });
    const policy = testPolicy(world, {
      name: 'Stop runaway agents',
      rules: [
        {
          id: 'runaway',
          when: { anomaly: { scoreAbove: 80, reasons: ['request_rate'] } },
          action: { type: 'block', status: 429, message: 'This agent is calling far more than usual.' },
        },
      ],
    });
    const dp = await startTestDataPlane({
      world,
      stateDir,
      snapshot: withPolicies(world.snapshot({ keys: [withBaseline(looping), withBaseline(steady)], credentials: [credential] }), [policy]),
      eventsUrl: collector.eventsUrl,
      env: { KEYWARD_EVENT_RETRY_MAX_MS: '200' },
      eventFlushTimeoutMs: 300,
    });
    nodes.push(dp);
    await call(dp, steady, 2);
    const client = new OpenAI({ apiKey: looping.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
    let answered = 0;
    let refusal: unknown = null;
    for (let i = 0; i < 80 && refusal === null; i++) {
      try {
        await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `again ${i}` }] });
        answered += 1;
      } catch (error) {
        refusal = error;
      }
    }
    expect(answered).toBeGreaterThan(5);
    expect(refusal).toBeInstanceOf(OpenAI.RateLimitError);
    expect((refusal as Error).message).toContain('This agent is calling far more than usual.');
    const blocked = await vi.waitFor(
      () => {
        const event = collector.events.find((e) => e.keyId === looping.config.id && e.decision === 'blocked');
        expect(event).toBeDefined();
        return event!;
      },
      { timeout: 10_000 },
    );
    expect(blocked.policyMatches).toEqual([expect.objectContaining({ policyId: policy.id, ruleId: 'runaway', action: 'block' })]);
    // The steady key's usual calls do not match.
    expect(collector.events.filter((e) => e.keyId === steady.config.id && e.decision === 'blocked')).toEqual([]);
  });
});

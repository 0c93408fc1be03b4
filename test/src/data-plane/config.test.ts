import { stat, readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sealSecret, type ConfigDelta, type ConfigSnapshot } from '@keyward/shared';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { startFakeControlPlane, type FakeControlPlane } from './support/fake-control-plane.js';
import { createTestWorld, type TestCredential, type TestKey, type TestWorld } from './support/world.js';

const FAST_RECONNECT = { KEYWARD_CONFIG_RETRY_MAX_MS: '100' };

function delta(fromVersion: number, changed: ConfigDelta['changed'], removed: ConfigDelta['removed'] = {}): ConfigDelta {
  return { type: 'delta', fromVersion, version: fromVersion + 1, generatedAt: new Date().toISOString(), changed, removed };
}

describe('config on a data-plane node', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let credential: TestCredential;
  let keyA: TestKey;
  let keyB: TestKey;
  let stateDir: string;
  const nodes: TestDataPlane[] = [];

  const chat = (dp: TestDataPlane, key: TestKey) =>
    new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 }).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
  const status = async (dp: TestDataPlane, key: TestKey) => {
    try {
      await chat(dp, key);
      return 200;
    } catch (err) {
      return (err as { status: number }).status;
    }
  };
  const start = async (options: Omit<Parameters<typeof startTestDataPlane>[0], 'world' | 'stateDir'>) => {
    const dp = await startTestDataPlane({ world, stateDir, ...options, env: { ...FAST_RECONNECT, ...options.env } });
    nodes.push(dp);
    return dp;
  };
  const readyz = async (dp: TestDataPlane) => {
    const res = await fetch(`${dp.url}/readyz`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    world = await createTestWorld();
    mock = await startMockProvider();
    credential = await world.credential('openai', `${mock.url}/v1`);
    keyA = world.key();
    keyB = world.key();
  });

  afterAll(async () => {
    await mock?.close();
  });

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'keyward-config-'));
  });

  afterEach(async () => {
    for (const dp of nodes.splice(0)) await dp.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  describe('from the control plane’s graphql-ws stream', () => {
    let cp: FakeControlPlane;
    beforeEach(async () => {
      cp = await startFakeControlPlane();
    });
    afterEach(async () => {
      await cp.close();
    });

    it('subscribes with its node token and id, serves the snapshot, then applies deltas in order', async () => {
      cp.setInitial(world.snapshot({ keys: [keyA], credentials: [credential], version: 1 }));
      const dp = await start({ source: 'control-plane', controlPlaneUrl: cp.url });
      await dp.node.ready();
      expect(cp.subscriptions[0].connectionParams).toEqual({ authorization: `Bearer ${world.nodeToken}` });
      expect(cp.subscriptions[0].variables).toEqual({ nodeId: 'test-node', knownVersion: null });
      expect(cp.subscriptions[0].query).toContain('configStream(nodeId: $nodeId, knownVersion: $knownVersion)');
      expect(await readyz(dp)).toEqual({ status: 200, body: { ready: true, version: 1, source: 'control-plane', draining: false } });
      expect(await status(dp, keyA)).toBe(200);
      expect(await status(dp, keyB)).toBe(401);

      cp.subscriptions[0].send(delta(1, { keys: { [keyB.config.hash]: keyB.config } }, { keys: [keyA.config.hash] }));
      await vi.waitFor(async () => expect((await readyz(dp)).body.version).toBe(2));
      expect(await status(dp, keyA)).toBe(401);
      expect(await status(dp, keyB)).toBe(200);
    });

    it('asks for a fresh snapshot when a delta does not follow the version it serves', async () => {
      cp.setInitial(world.snapshot({ keys: [keyA], credentials: [credential], version: 1 }));
      const dp = await start({ source: 'control-plane', controlPlaneUrl: cp.url });
      await dp.node.ready();
      cp.setInitial(world.snapshot({ keys: [keyB], credentials: [credential], version: 7 }));
      cp.subscriptions[0].send(delta(5, { keys: { [keyB.config.hash]: keyB.config } }));
      await vi.waitFor(() => expect(cp.subscriptions).toHaveLength(2));
      expect(cp.subscriptions[1].variables).toEqual({ nodeId: 'test-node', knownVersion: null });
      await vi.waitFor(async () => expect((await readyz(dp)).body.version).toBe(7));
      expect(await status(dp, keyB)).toBe(200);
      await vi.waitFor(() => expect(cp.subscriptions[0].closed).toBe(true));
    });

    it('resubscribes with the version it serves when the stream ends', async () => {
      cp.setInitial(world.snapshot({ keys: [keyA], credentials: [credential], version: 3 }));
      const dp = await start({ source: 'control-plane', controlPlaneUrl: cp.url });
      await dp.node.ready();
      cp.subscriptions[0].complete();
      await vi.waitFor(() => expect(cp.subscriptions).toHaveLength(2));
      expect(cp.subscriptions[1].variables).toEqual({ nodeId: 'test-node', knownVersion: 3 });
    });

    it('sends heartbeats with its config version and event backlog', async () => {
      cp.setInitial(world.snapshot({ keys: [keyA], credentials: [credential], version: 4 }));
      const dp = await start({ source: 'control-plane', controlPlaneUrl: cp.url, heartbeat: true, env: { KEYWARD_HEARTBEAT_SECONDS: '1' } });
      await dp.node.ready();
      await vi.waitFor(() => expect(cp.heartbeats.some((h) => h.input.configVersion === 4)).toBe(true), { timeout: 3_000 });
      const beat = cp.heartbeats.find((h) => h.input.configVersion === 4)!;
      expect(beat.authorization).toBe(`Bearer ${world.nodeToken}`);
      expect(beat.query).toContain('nodeHeartbeat(input: $input)');
      expect(beat.input).toEqual({
        nodeId: 'test-node',
        configVersion: 4,
        eventBacklog: expect.any(Number),
        hostname: expect.any(String),
        softwareVersion: expect.any(String),
        openCircuits: [],
      });
    });
  });

  describe('last known good', () => {
    it('is written atomically to config.json, private to the node, without plaintext credentials', async () => {
      const dp = await start({ snapshot: world.snapshot({ keys: [keyA], credentials: [credential], version: 9 }) });
      await dp.node.ready();
      const file = join(stateDir, 'config.json');
      await vi.waitFor(async () => expect(JSON.parse(await readFile(file, 'utf8')).version).toBe(9));
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const text = await readFile(file, 'utf8');
      expect(text).not.toContain(credential.plaintext);
      expect(text).not.toContain(keyA.secret);
    });

    it('keeps serving after a restart while the control plane is unreachable', async () => {
      const first = await start({ snapshot: world.snapshot({ keys: [keyA], credentials: [credential], version: 5 }) });
      await first.node.ready();
      expect(await status(first, keyA)).toBe(200);
      await first.close();

      const second = await start({ source: 'control-plane', controlPlaneUrl: 'http://127.0.0.1:9' });
      expect(await readyz(second)).toEqual({ status: 200, body: { ready: true, version: 5, source: 'disk', draining: false } });
      expect(await status(second, keyA)).toBe(200);
      await vi.waitFor(() => expect(second.logs.some((l) => l.includes('config stream failed'))).toBe(true));
    });
  });

  it('is not ready, and says so in each API’s format, before any config arrived', async () => {
    const dp = await start({});
    expect(await readyz(dp)).toEqual({ status: 503, body: { ready: false, version: null, source: null, draining: false } });
    expect(await status(dp, keyA)).toBe(503);
    const anthropic = await fetch(`${dp.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': keyA.secret }, body: '{}' });
    expect(anthropic.status).toBe(503);
    expect(await anthropic.json()).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
  });

  it('ignores an invalid config message and keeps serving what it had', async () => {
    const dp = await start({ snapshot: world.snapshot({ keys: [keyA], credentials: [credential], version: 2 }) });
    await dp.node.ready();
    dp.source!.publish({ type: 'snapshot', version: 'three', orgs: {}, keys: {}, credentials: {} });
    expect((await readyz(dp)).body.version).toBe(2);
    expect(await status(dp, keyA)).toBe(200);
    expect(dp.logs.some((l) => l.includes('rejected invalid config message'))).toBe(true);
  });

  it('uses a rotated provider credential from the next request on', async () => {
    const snapshot: ConfigSnapshot = world.snapshot({ keys: [keyA], credentials: [credential], version: 1 });
    const dp = await start({ snapshot });
    await dp.node.ready();
    mock.reset();
    await chat(dp, keyA);
    expect(mock.requests[0].credential).toBe(credential.plaintext);

    const rotatedPlaintext = 'sk-rotated-credential-value';
    world.secrets.push(rotatedPlaintext);
    const rotated = {
      ...credential.config,
      secret: await sealSecret(world.kms, rotatedPlaintext, `${credential.config.orgId}:${credential.config.id}`),
      secretVersion: 2,
    };
    dp.source!.publish(delta(1, { credentials: { [rotated.id]: rotated } }));
    await chat(dp, keyA);
    expect(mock.requests[1].credential).toBe(rotatedPlaintext);
  });
});

import { generateSecret, type ConfigDelta, type ConfigSnapshot } from '@keyward/shared';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { connectNode, createLocalKmsFile, createOrgWithMember, type LocalKmsFile, type NodeStream, type OrgMember } from '../testing/enforcement-fixtures.js';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane.js';

const ROUTE_FIELDS =
  'id name currentVersion match strategy maxLatencyMs rules { when strategy } breaker { consecutiveFailures openSeconds } targets { credentialId model alias weight timeoutMs maxRetries contextTokens } bindings { kind id }';
const CREATE = `mutation($input: RouteInput!) { createRoute(input: $input) { ${ROUTE_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: RouteInput!, $note: String) { updateRoute(id: $id, input: $input, note: $note) { ${ROUTE_FIELDS} } }`;
const BIND = `mutation($id: ID!, $scope: ScopeInput!) { bindRoute(id: $id, scope: $scope) { ${ROUTE_FIELDS} } }`;
const CREATE_ROLE = `mutation($input: AgentRoleInput!) { createAgentRole(input: $input) { id name systemPrompt temperature maxTokens routeId } }`;

let cp: TestControlPlane;
let kms: LocalKmsFile;
let owner: OrgMember;
const globalToken = generateSecret('node_token');
const streams: NodeStream[] = [];
const credentials: Record<string, string> = {};

interface RouteView {
  id: string;
  name: string;
  currentVersion: number;
  match: string[];
  strategy: string;
  targets: { credentialId: string | null; model: string | null; alias: string | null; weight: number | null }[];
  bindings: { kind: string; id: string }[];
}

async function credential(provider: string, name: string, models: string[]): Promise<string> {
  const res = await owner.gql<{ createCredential: { id: string } }>('mutation($input: CreateCredentialInput!) { createCredential(input: $input) { id } }', {
    input: { provider, name, apiKey: `sk-test-${name}-0123456789`, models },
  });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!.createCredential.id;
}

const target = (credentialId: string, model: string, extra: Record<string, unknown> = {}) => ({
  credentialId,
  model,
  timeoutMs: 5000,
  maxRetries: 1,
  ...extra,
});

async function createRoute(input: Record<string, unknown>) {
  return owner.gql<{ createRoute: RouteView }>(CREATE, { input });
}

/** Reads deltas until one changes routes or roles (other tests publish in between). */
async function routeDelta(stream: NodeStream): Promise<ConfigDelta> {
  for (;;) {
    const delta = (await stream.next()) as ConfigDelta;
    if (delta.changed.routes || delta.changed.roles || delta.removed.routes) return delta;
  }
}

beforeAll(async () => {
  kms = await createLocalKmsFile();
  cp = await startTestControlPlane(inject('pgAdminUrl'), { ...kms.env, KEYWARD_NODE_TOKEN: globalToken });
  owner = await createOrgWithMember(cp, 'owner');
  credentials.openaiPrimary = await credential('OPENAI', 'primary', ['gpt-4o*']);
  credentials.openaiBackup = await credential('OPENAI', 'backup', []);
  credentials.anthropic = await credential('ANTHROPIC', 'claude', []);
  credentials.gemini = await credential('GEMINI', 'gemini', []);
});

afterAll(async () => {
  for (const stream of streams) await stream.close();
  await cp?.close();
  await kms?.remove();
});

describe('routes', () => {
  it('stores a fallback route with defaults, versions its changes, binds it to a key and publishes it to nodes', async () => {
    const stream = connectNode(cp, globalToken, 'route-node');
    streams.push(stream);
    expect(((await stream.next()) as ConfigSnapshot).routes).toEqual({});

    const created = await createRoute({
      name: 'Smart',
      match: ['smart', 'gpt-4o'],
      targets: [target(credentials.openaiPrimary, 'gpt-4o'), target(credentials.openaiBackup, 'gpt-4o-mini', { maxRetries: 0 })],
    });
    expect(created.errors, JSON.stringify(created.errors)).toBeUndefined();
    const route = created.data!.createRoute;
    expect(route).toMatchObject({ name: 'Smart', currentVersion: 1, strategy: 'FALLBACK', match: ['smart', 'gpt-4o'], bindings: [] });
    let delta = await routeDelta(stream);
    expect(delta.changed.routes![route.id]).toMatchObject({
      id: route.id,
      version: 1,
      strategy: 'fallback',
      breaker: { consecutiveFailures: 5, errorRatePercent: 50, windowSeconds: 60, minRequests: 10, openSeconds: 30 },
      targets: [
        { credentialId: credentials.openaiPrimary, model: 'gpt-4o', weight: 1, timeoutMs: 5000, maxRetries: 1, contextTokens: null },
        { credentialId: credentials.openaiBackup, model: 'gpt-4o-mini', maxRetries: 0 },
      ],
      attachments: [],
    });

    const key = await owner.gql<{ createKey: { key: { id: string } } }>(
      'mutation { createKey(input: { name: "routed", ownerLabel: "agent" }) { key { id } } }',
    );
    const keyId = key.data!.createKey.key.id;
    const bound = await owner.gql<{ bindRoute: RouteView }>(BIND, { id: route.id, scope: { kind: 'KEY', id: keyId } });
    expect(bound.data!.bindRoute.bindings).toEqual([{ kind: 'KEY', id: keyId }]);
    delta = await routeDelta(stream);
    expect(delta.changed.routes![route.id]!.attachments).toEqual([{ kind: 'key', id: keyId }]);

    const updated = await owner.gql<{ updateRoute: RouteView }>(UPDATE, {
      id: route.id,
      note: 'weighted now',
      input: {
        name: 'Smart',
        match: ['smart'],
        strategy: 'WEIGHTED',
        rules: [{ when: { inputTokens: { gt: 100000 } }, strategy: 'LOWEST_COST' }],
        targets: [target(credentials.openaiPrimary, 'gpt-4o', { weight: 3 }), target(credentials.openaiBackup, 'gpt-4o-mini')],
      },
    });
    expect(updated.errors, JSON.stringify(updated.errors)).toBeUndefined();
    expect(updated.data!.updateRoute).toMatchObject({ currentVersion: 2, strategy: 'WEIGHTED', match: ['smart'] });
    delta = await routeDelta(stream);
    expect(delta.changed.routes![route.id]).toMatchObject({ version: 2, rules: [{ when: { inputTokens: { gt: 100000 } }, strategy: 'lowest_cost' }] });

    const role = await owner.gql<{ createAgentRole: { id: string; name: string } }>(CREATE_ROLE, {
      input: { name: 'reviewer', systemPrompt: 'You review code.', temperature: 0.2, maxTokens: 800, routeId: route.id },
    });
    expect(role.errors, JSON.stringify(role.errors)).toBeUndefined();
    delta = await routeDelta(stream);
    expect(Object.values(delta.changed.roles!)).toEqual([
      {
        id: role.data!.createAgentRole.id,
        orgId: owner.orgId,
        name: 'reviewer',
        systemPrompt: 'You review code.',
        temperature: 0.2,
        maxTokens: 800,
        routeId: route.id,
      },
    ]);
    const refused = await owner.gql(`mutation($id: ID!) { deleteRoute(id: $id) }`, { id: route.id });
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' }, message: expect.stringContaining('used by role "reviewer"') });
  });

  it('stores, shows and publishes a route’s response cache, and refuses a TTL out of range', async () => {
    const res = await owner.gql<{ createRoute: { id: string; cache: { ttlSeconds: number } | null } }>(
      `mutation($input: RouteInput!) { createRoute(input: $input) { id cache { ttlSeconds } } }`,
      { input: { name: 'Cached', match: ['cached-model'], targets: [target(credentials.openaiPrimary, 'gpt-4o')], cache: { ttlSeconds: 120 } } },
    );
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    expect(res.data!.createRoute.cache).toEqual({ ttlSeconds: 120 });
    expect(cp.services.configStore.collectionsOf(owner.orgId).routes[res.data!.createRoute.id]).toMatchObject({ cache: { ttlSeconds: 120 } });
    const bad = await createRoute({ name: 'Bad cache', match: ['x'], targets: [target(credentials.openaiPrimary, 'gpt-4o')], cache: { ttlSeconds: 0 } });
    expect(bad.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: 'route "cache.ttlSeconds" must be an integer from 1 to 604800.' });
  });

  it('refuses a bad field with BAD_USER_INPUT naming it', async () => {
    const res = await createRoute({ name: 'Bad', match: ['x'], targets: [target(credentials.openaiPrimary, 'gpt-4o', { weight: 0 })] });
    expect(res.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: 'route "targets[0].weight" must be an integer from 1 to 1000.' });
    const rule = await createRoute({
      name: 'Bad rule',
      match: ['x'],
      rules: [{ when: { promptSize: 3 }, strategy: 'LOWEST_COST' }],
      targets: [target(credentials.openaiPrimary, 'gpt-4o')],
    });
    expect(rule.errors?.[0]).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
      message: expect.stringContaining('route "rules[0].when" is not a valid condition'),
    });
  });

  it('refuses at save time a missing credential, a model the credential does not serve and alias cycles, saying why, and lets a route mix every API family', async () => {
    const cases: [Record<string, unknown>[], string][] = [
      [
        [target('00000000-0000-7000-8000-00000000dead', 'gpt-4o')],
        'uses credential 00000000-0000-7000-8000-00000000dead, which does not exist in this organization',
      ],
      [[target(credentials.openaiPrimary, 'o3-mini')], 'asks credential "primary" for the model "o3-mini", which it does not serve (it serves gpt-4o*)'],
      [[{ alias: 'nowhere' }], 'names the alias "nowhere", which no route answers'],
    ];
    for (const [targets, reason] of cases) {
      const res = await createRoute({ name: 'Refused', match: ['refused'], targets });
      expect(res.errors?.[0]?.extensions?.code).toBe('CONFIG_REJECTED');
      expect(res.errors?.[0]?.message).toContain(reason);
    }

    const mixed = await createRoute({
      name: 'Mixed',
      match: ['mixed'],
      targets: [target(credentials.openaiPrimary, 'gpt-4o'), target(credentials.anthropic, 'claude-haiku-4-5'), target(credentials.gemini, 'gemini-2.5-flash')],
    });
    expect(mixed.errors).toBeUndefined();

    const fast = await createRoute({ name: 'Fast', match: ['fast'], targets: [target(credentials.openaiBackup, 'gpt-4o-mini')] });
    const cheap = await createRoute({ name: 'Cheap', match: ['cheap'], targets: [{ alias: 'fast' }] });
    expect(cheap.errors).toBeUndefined();
    const cycle = await owner.gql(UPDATE, { id: fast.data!.createRoute.id, input: { name: 'Fast', match: ['fast'], targets: [{ alias: 'cheap' }] } });
    expect(cycle.errors?.[0]?.extensions?.code).toBe('CONFIG_REJECTED');
    expect(cycle.errors?.[0]?.message).toContain('leads back to itself through aliases');
  });
});

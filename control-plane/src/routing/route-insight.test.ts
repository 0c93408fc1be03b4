import { generateSecret, type AttemptRecord } from '@keyward/shared';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createLocalKmsFile, createOrgWithMember, postEvents, usageEvent, type LocalKmsFile, type OrgMember } from '../testing/enforcement-fixtures.js';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane.js';

const FIGURES = `query($window: FigureWindow!, $routeId: ID) { routeTargetFigures(window: $window, routeId: $routeId) {
  credentialId model requests failed errors { outcome count } latencyP50Ms latencyP95Ms ttftP50Ms costMicros } }`;
const TEST = `query($input: RouteTestInput!) { testRoute(input: $input) {
  routeId routeName strategy steps chosen { credentialName model position } targets { credentialName model viaRoute position skipped } } }`;

let cp: TestControlPlane;
let kms: LocalKmsFile;
let owner: OrgMember;
const nodeToken = generateSecret('node_token');
const ids: Record<string, string> = {};

async function gqlOk<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await owner.gql<T>(query, variables);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!;
}

async function credential(name: string, models: string[]): Promise<string> {
  const data = await gqlOk<{ createCredential: { id: string } }>('mutation($input: CreateCredentialInput!) { createCredential(input: $input) { id } }', {
    input: { provider: 'OPENAI', name, apiKey: `sk-test-${name}-0123456789`, models },
  });
  return data.createCredential.id;
}

async function route(input: Record<string, unknown>): Promise<string> {
  const data = await gqlOk<{ createRoute: { id: string } }>('mutation($input: RouteInput!) { createRoute(input: $input) { id } }', { input });
  return data.createRoute.id;
}

async function bind(routeId: string, scope: Record<string, unknown>): Promise<void> {
  await gqlOk('mutation($id: ID!, $scope: ScopeInput!) { bindRoute(id: $id, scope: $scope) { id } }', { id: routeId, scope });
}

const attempt = (credentialId: string, model: string, outcome: AttemptRecord['outcome'], latencyMs: number): AttemptRecord => ({
  credentialId,
  model,
  outcome,
  status: outcome === 'answered' ? 200 : outcome === 'server_error' ? 503 : null,
  latencyMs,
});

beforeAll(async () => {
  kms = await createLocalKmsFile();
  cp = await startTestControlPlane(inject('pgAdminUrl'), { ...kms.env, KEYWARD_NODE_TOKEN: nodeToken });
  owner = await createOrgWithMember(cp, 'owner');
  ids.primary = await credential('primary', ['gpt-4o*']);
  ids.backup = await credential('backup', []);
  const key = await gqlOk<{ createKey: { key: { id: string } } }>('mutation($input: CreateKeyInput!) { createKey(input: $input) { key { id } } }', {
    input: { name: 'agent', ownerLabel: 'agent' },
  });
  ids.key = key.createKey.key.id;
  const team = await gqlOk<{ createTeam: { id: string } }>('mutation($n: String!) { createTeam(input: { name: $n }) { id } }', { n: 'platform' });
  ids.team = team.createTeam.id;
});

afterAll(async () => {
  await cp?.close();
  await kms?.remove();
});

describe('per-target figures', () => {
  it('counts attempts, failures by outcome, latency percentiles and the cost of answered attempts per target over the window', async () => {
    const routeId = await route({
      name: 'Figures',
      match: ['figures'],
      targets: [
        { credentialId: ids.primary, model: 'gpt-4o', timeoutMs: 5000 },
        { credentialId: ids.backup, model: 'gpt-4o-mini', timeoutMs: 5000 },
      ],
    });
    const recent = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
    const event = (startedAt: string, attempts: AttemptRecord[], costMicros: number, ttftMs: number) =>
      usageEvent(owner.orgId, ids.key!, { startedAt, routeId, attempts, costMicros, ttftMs });
    const events = [
      event(recent(1), [attempt(ids.primary!, 'gpt-4o', 'answered', 100)], 1_000, 50),
      event(recent(2), [attempt(ids.primary!, 'gpt-4o', 'answered', 300)], 3_000, 70),
      event(recent(3), [attempt(ids.primary!, 'gpt-4o', 'timeout', 5_000), attempt(ids.backup!, 'gpt-4o-mini', 'answered', 80)], 200, 40),
      event(recent(4), [attempt(ids.primary!, 'gpt-4o', 'server_error', 20), attempt(ids.backup!, 'gpt-4o-mini', 'answered', 90)], 300, 45),
      // Outside the last hour: only the day's figures count it.
      event(recent(120), [attempt(ids.primary!, 'gpt-4o', 'rate_limited', 10), attempt(ids.backup!, 'gpt-4o-mini', 'answered', 60)], 7, 30),
    ];
    expect(await postEvents(cp, nodeToken, { type: 'events', nodeId: 'node-a', events })).toMatchObject({ status: 200, body: { accepted: 5 } });

    const hour = await gqlOk<{ routeTargetFigures: Record<string, unknown>[] }>(FIGURES, { window: 'LAST_HOUR', routeId });
    expect(hour.routeTargetFigures).toEqual([
      {
        credentialId: ids.primary,
        model: 'gpt-4o',
        requests: 4,
        failed: 2,
        errors: [
          { outcome: 'TIMEOUT', count: 1 },
          { outcome: 'SERVER_ERROR', count: 1 },
        ],
        latencyP50Ms: 100,
        latencyP95Ms: 5000,
        ttftP50Ms: 50,
        costMicros: 4000,
      },
      {
        credentialId: ids.backup,
        model: 'gpt-4o-mini',
        requests: 2,
        failed: 0,
        errors: [],
        latencyP50Ms: 80,
        latencyP95Ms: 90,
        ttftP50Ms: 40,
        costMicros: 500,
      },
    ]);

    const day = await gqlOk<{ routeTargetFigures: { model: string; requests: number; errors: unknown[]; costMicros: number }[] }>(FIGURES, {
      window: 'LAST_DAY',
      routeId,
    });
    expect(day.routeTargetFigures.map((f) => [f.model, f.requests, f.costMicros])).toEqual([
      ['gpt-4o', 5, 4000],
      ['gpt-4o-mini', 3, 507],
    ]);
    expect(day.routeTargetFigures[0]!.errors).toContainEqual({ outcome: 'RATE_LIMITED', count: 1 });

    const bad = await owner.gql(FIGURES, { window: 'LAST_HOUR', routeId: 'fast' });
    expect(bad.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });
});

describe('test this route', () => {
  it('explains binding precedence, alias expansion, context windows and the strategy rule, and names the chosen target', async () => {
    const cheap = await route({
      name: 'Cheap',
      match: ['cheap'],
      targets: [{ credentialId: ids.backup, model: 'gpt-4o-mini', contextTokens: 16_000 }],
    });
    const smart = await route({
      name: 'Smart',
      match: ['smart', 'gpt-4o*'],
      strategy: 'FALLBACK',
      rules: [{ when: { toolOffered: ['search'] }, strategy: 'LOWEST_COST' }],
      targets: [{ credentialId: ids.primary, model: 'gpt-4o', contextTokens: 128_000 }, { alias: 'cheap' }],
    });
    const orgWide = await route({ name: 'Org wide', match: ['smart'], targets: [{ credentialId: ids.backup, model: 'gpt-4o' }] });
    await bind(smart, { kind: 'TEAM', id: ids.team });
    await bind(orgWide, { kind: 'ORG' });
    await bind(cheap, { kind: 'ORG' });

    const asTeam = await gqlOk<{ testRoute: any }>(TEST, { input: { model: 'smart', teamId: ids.team, estimatedInputTokens: 1000, maxOutputTokens: 1000 } });
    expect(asTeam.testRoute).toMatchObject({
      routeId: smart,
      routeName: 'Smart',
      strategy: 'FALLBACK',
      chosen: { credentialName: 'primary', model: 'gpt-4o', position: 1 },
      targets: [
        { credentialName: 'primary', model: 'gpt-4o', viaRoute: null, position: 1, skipped: null },
        { credentialName: 'backup', model: 'gpt-4o-mini', viaRoute: 'Cheap', position: 2, skipped: null },
      ],
    });
    expect(asTeam.testRoute.steps[0]).toBe('The route "Smart" is bound to the key’s team and answers "smart" through its entry "smart".');
    expect(asTeam.testRoute.steps).toContain('Alias targets are replaced by the targets of "Cheap".');

    // Without the team, the organization's binding answers.
    const asOrg = await gqlOk<{ testRoute: any }>(TEST, { input: { model: 'smart' } });
    expect(asOrg.testRoute).toMatchObject({ routeName: 'Org wide', chosen: { credentialName: 'backup', model: 'gpt-4o' } });

    // A big prompt leaves the small window out; offering the search tool makes the rule pick LOWEST_COST.
    const big = await gqlOk<{ testRoute: any }>(TEST, {
      input: { model: 'gpt-4o-2024-08-06', teamId: ids.team, estimatedInputTokens: 20_000, maxOutputTokens: 1000, toolsOffered: ['search'] },
    });
    expect(big.testRoute).toMatchObject({
      routeName: 'Smart',
      strategy: 'LOWEST_COST',
      chosen: { credentialName: 'primary', model: 'gpt-4o' },
      targets: [
        { model: 'gpt-4o', position: 1, skipped: null },
        { model: 'gpt-4o-mini', position: null, skipped: 'its context window (16000 tokens) is smaller than the request (about 21000 with its answer)' },
      ],
    });
    expect(big.testRoute.steps).toContain('Rule 1 holds for the sample, so its strategy LOWEST_COST applies.');
    expect(big.testRoute.steps[0]).toContain('through its entry "gpt-4o*"');

    // Small enough for both, with the rule: the cheaper mini model goes first.
    const small = await gqlOk<{ testRoute: any }>(TEST, {
      input: { model: 'smart', teamId: ids.team, estimatedInputTokens: 100, maxOutputTokens: 100, toolsOffered: ['search'] },
    });
    expect(small.testRoute.chosen).toEqual({ credentialName: 'backup', model: 'gpt-4o-mini', position: 1 });

    const none = await gqlOk<{ testRoute: any }>(TEST, { input: { model: 'claude-3-haiku', keyId: ids.key } });
    expect(none.testRoute).toMatchObject({ routeId: null, chosen: null, targets: [] });
    expect(none.testRoute.steps[0]).toMatch(/^No route bound to the key, its team or the organization names "claude-3-haiku"/);

    const missingRole = await owner.gql(TEST, { input: { model: 'role:reviewer' } });
    expect(missingRole.errors?.[0]).toMatchObject({ message: expect.stringContaining('No role named "reviewer"'), extensions: { code: 'NOT_FOUND' } });
  });
});

describe('route field errors', () => {
  it('name the field at fault in extensions.errors, for the console to show beside it', async () => {
    const res = await owner.gql('mutation($input: RouteInput!) { createRoute(input: $input) { id } }', {
      input: { name: 'Bad', match: ['bad'], targets: [{ credentialId: ids.primary, model: 'gpt-4o', weight: 0 }] },
    });
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      errors: [{ path: 'targets[0].weight', message: expect.stringContaining('"targets[0].weight"') }],
    });
  });
});

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrgWithOwner, expectNoSecretsInLogs, startPlane, type TestOrg } from '../testing/fixtures.js';
import type { TestControlPlane } from '../testing/test-control-plane.js';
import { fuzzBudget } from './budget.js';

let cp: TestControlPlane;
let org: TestOrg;

beforeAll(async () => {
  cp = await startPlane();
  org = await createOrgWithOwner(cp);
});

afterAll(async () => {
  expectNoSecretsInLogs(cp, [org.owner.password, org.owner.session]);
  // Malformed variables are the caller's fault: none may be logged as an unexpected error.
  expect(cp.logs.filter((l) => l.includes('unexpected error'))).toEqual([]);
  await cp?.close();
});

/** A few mutations whose resolvers check their input beyond GraphQL's types. */
const MUTATIONS = {
  createBudget: 'mutation($input: CreateBudgetInput!) { createBudget(input: $input) { id } }',
  createRateLimit: 'mutation($input: CreateRateLimitInput!) { createRateLimit(input: $input) { id } }',
  createKey: 'mutation($input: CreateKeyInput!) { createKey(input: $input) { key { id } } }',
  createPolicy: 'mutation($input: CreatePolicyInput!) { createPolicy(input: $input) { id } }',
  updateOrganizationSettings: 'mutation($input: UpdateOrganizationSettingsInput!) { updateOrganizationSettings(input: $input) { id } }',
} as const;

const anything = fc.jsonValue({ maxDepth: 2 });
/** A field's value: of the right GraphQL type but any content, or anything at all. */
const either = <T>(typed: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: typed }, anything);
const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom('-1', '1e400', '0.0000001', 'NaN', '00000000-0000-0000-0000-000000000000', '💥', 'x'.repeat(300)),
);
const int = fc.oneof(fc.integer(), fc.constantFrom(0, -1, 2 ** 31 - 1));
const scope = { scopeKind: either(fc.constantFrom('ORG', 'TEAM', 'KEY', 'POOL')), scopeId: either(fc.option(text)) };
const inputs = {
  createBudget: fc.record(
    {
      name: either(text),
      ...scope,
      period: either(fc.constantFrom('DAY', 'WEEK', 'MONTH', 'LIFETIME')),
      limit: either(text),
      action: either(fc.constantFrom('BLOCK', 'HOLD')),
      alertThresholds: either(fc.array(int, { maxLength: 3 })),
    },
    { requiredKeys: [] },
  ),
  createRateLimit: fc.record(
    { name: either(text), ...scope, requestsPerMinute: either(int), tokensPerMinute: either(int), concurrentRequests: either(int) },
    { requiredKeys: [] },
  ),
  createKey: fc.record(
    {
      name: either(text),
      ownerLabel: either(text),
      teamId: either(fc.option(text)),
      expiresAt: either(text),
      allowedModels: either(fc.array(text, { maxLength: 2 })),
      credentialIds: either(fc.array(text, { maxLength: 2 })),
      labels: either(fc.dictionary(fc.string({ maxLength: 5 }), anything, { maxKeys: 3 })),
    },
    { requiredKeys: [] },
  ),
  createPolicy: fc.record(
    {
      source: either(
        fc.oneof(
          text,
          anything.map((v) => JSON.stringify(v) ?? ''),
        ),
      ),
      format: either(fc.constantFrom('JSON', 'YAML')),
      enabled: either(fc.boolean()),
      note: either(text),
    },
    { requiredKeys: [] },
  ),
  updateOrganizationSettings: fc.record(
    {
      name: either(text),
      timeZone: either(text),
      contentCapture: either(fc.boolean()),
      retentionDays: either(int),
      contentRetentionDays: either(int),
      limiterFailMode: either(fc.constantFrom('CLOSED', 'OPEN')),
    },
    { requiredKeys: [] },
  ),
};
const call = fc.oneof(
  ...(Object.keys(MUTATIONS) as (keyof typeof MUTATIONS)[]).map((name) =>
    fc.tuple(fc.constant(name), fc.oneof({ weight: 4, arbitrary: inputs[name] }, anything)),
  ),
);

describe('fuzz: GraphQL variables', () => {
  it('answers malformed variables to mutations with GraphQL errors naming the problem, never a server error or a stack trace', async () => {
    await fc.assert(
      fc.asyncProperty(call, async ([name, input]) => {
        const res = await fetch(`${cp.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', cookie: `kw_session=${org.owner.session}` },
          body: JSON.stringify({ query: MUTATIONS[name], variables: { input } }),
        });
        const text = await res.text();
        expect(res.status, text).toBeLessThan(500);
        expect(text).not.toMatch(/\bat \S+ \(|node_modules|stacktrace|select |insert into|violates/i);
        const body = JSON.parse(text) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
        for (const error of body.errors ?? []) {
          expect(error.extensions?.code, error.message).not.toBe('INTERNAL_SERVER_ERROR');
          expect(error.message.length).toBeGreaterThan(0);
        }
        if (body.errors === undefined) expect(body.data).toBeTruthy();
      }),
      fuzzBudget(20),
    );
  });
});

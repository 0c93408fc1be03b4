/**
 * The Keyward configuration the benchmark measures, made through the control plane's GraphQL
 * API exactly as an operator would: an OpenAI-compatible credential pointing at the mock, a key
 * routed to it with the ten-rule policy of `policy-eval.ts` attached (PII detection and
 * redaction included), a budget and a rate limit on the key, both far above what the run spends
 * so they are enforced but never refuse. A second key, configured the same way, is bound to a
 * three-target fallback route (`routedKeySecret`), so the run measures what routing costs.
 */
import { BENCH_POLICY } from '../policy-eval.js';

/** What a GraphQL call returns (the subset the setup reads). */
interface GqlAnswer<T> {
  readonly data: T | null;
  readonly errors?: readonly { readonly message: string; readonly extensions?: { readonly code?: string } }[];
}

/** Sends one GraphQL operation as the organization's owner. */
export type Gql = <T>(query: string, variables?: Record<string, unknown>) => Promise<GqlAnswer<T>>;

/** The parts of the configuration that were applied, and why any was not. */
export interface KeywardSetup {
  readonly keyId: string;
  /** The agent's Keyward key: only ever sent in an Authorization header, never printed. */
  readonly keySecret: string;
  /** A key with the same policy, budget and rate limit, bound to a three-target fallback route for `gpt-4o`. */
  readonly routedKeySecret: string;
  readonly routeId: string | null;
  readonly credentialId: string;
  readonly policy: { readonly id: string; readonly rules: number } | null;
  readonly budget: { readonly id: string; readonly limitUsd: string; readonly period: string } | null;
  readonly rateLimit: { readonly id: string; readonly requestsPerMinute: number; readonly tokensPerMinute: number; readonly concurrentRequests: number } | null;
  /** Sentences about what could not be configured (an API this control plane does not offer yet). */
  readonly notes: string[];
}

/** Far above what any benchmark run spends, so enforcement runs on every call but never refuses. */
const BENCH_BUDGET_USD = '10000000.00';
/** The key's rate limit: enforced on every call, never reached. */
const BENCH_RATE_LIMIT = { requestsPerMinute: 100_000_000, tokensPerMinute: 2_000_000_000, concurrentRequests: 100_000 } as const;

function unavailable(errors: GqlAnswer<unknown>['errors']): boolean {
  return (errors ?? []).some((e) => e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' && /Cannot query field|Unknown type/.test(e.message));
}

async function must<T>(gql: Gql, what: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await gql<T>(query, variables);
  if (!res.data) throw new Error(`${what} failed: ${(res.errors ?? []).map((e) => `${e.extensions?.code ?? ''} ${e.message}`).join('; ')}`);
  return res.data;
}

/** Runs `query` if the API offers it; null (with a note) when the schema has no such field yet. */
async function optional<T>(gql: Gql, what: string, query: string, variables: Record<string, unknown>, notes: string[]): Promise<T | null> {
  const res = await gql<T>(query, variables);
  if (res.data) return res.data;
  if (unavailable(res.errors)) {
    notes.push(`${what}: this control plane has no such API yet, so the run measured Keyward without it.`);
    return null;
  }
  throw new Error(`${what} failed: ${(res.errors ?? []).map((e) => `${e.extensions?.code ?? ''} ${e.message}`).join('; ')}`);
}

/** Creates the benchmark's credential, key, policy, budget and rate limit. */
export async function configureKeyward(gql: Gql, mockUrl: string): Promise<KeywardSetup> {
  const notes: string[] = [];
  const { createCredential } = await must<{ createCredential: { id: string } }>(
    gql,
    'createCredential',
    'mutation($input: CreateCredentialInput!) { createCredential(input: $input) { id } }',
    { input: { provider: 'OPENAI_COMPATIBLE', name: 'bench mock', apiKey: 'sk-bench-provider-credential', baseUrl: `${mockUrl}/v1` } },
  );
  const key = await createBenchKey(gql, 'bench agent', createCredential.id);
  const routedKey = await createBenchKey(gql, 'bench agent (routed)', createCredential.id);
  const keyId = key.id;

  const created = await optional<{ createPolicy: { id: string } }>(
    gql,
    'policy',
    'mutation($input: CreatePolicyInput!) { createPolicy(input: $input) { id } }',
    { input: { source: JSON.stringify(BENCH_POLICY.document, null, 2), format: 'JSON', note: 'benchmark guardrails' } },
    notes,
  );
  let policy: KeywardSetup['policy'] = null;
  let budget: { createBudget: { id: string } } | null = null;
  let rateLimit: { createRateLimit: { id: string } } | null = null;
  for (const id of [keyId, routedKey.id]) {
    if (created) {
      await must(gql, 'attachPolicy', 'mutation($id: ID!, $scope: ScopeInput!) { attachPolicy(id: $id, scope: $scope) { id } }', {
        id: created.createPolicy.id,
        scope: { kind: 'KEY', id },
      });
      policy = { id: created.createPolicy.id, rules: (BENCH_POLICY.document as { rules: unknown[] }).rules.length };
    }
    budget = await optional<{ createBudget: { id: string } }>(
      gql,
      'budget',
      'mutation($input: CreateBudgetInput!) { createBudget(input: $input) { id } }',
      { input: { name: `bench key budget ${id}`, scopeKind: 'KEY', scopeId: id, period: 'MONTH', limit: BENCH_BUDGET_USD, action: 'BLOCK' } },
      notes,
    );
    rateLimit = await optional<{ createRateLimit: { id: string } }>(
      gql,
      'rate limit',
      'mutation($input: CreateRateLimitInput!) { createRateLimit(input: $input) { id } }',
      { input: { name: `bench key rate ${id}`, scopeKind: 'KEY', scopeId: id, ...BENCH_RATE_LIMIT } },
      notes,
    );
  }
  const route = await optional<{ createRoute: { id: string } }>(
    gql,
    'route',
    'mutation($input: RouteInput!) { createRoute(input: $input) { id } }',
    {
      input: {
        name: 'bench fallback',
        match: ['gpt-4o'],
        strategy: 'FALLBACK',
        targets: ['gpt-4o', 'gpt-4o-2024-08-06', 'gpt-4o-mini'].map((model) => ({
          credentialId: createCredential.id,
          model,
          timeoutMs: 30_000,
          maxRetries: 1,
        })),
      },
    },
    notes,
  );
  if (route) {
    await must(gql, 'bindRoute', 'mutation($id: ID!, $scope: ScopeInput!) { bindRoute(id: $id, scope: $scope) { id } }', {
      id: route.createRoute.id,
      scope: { kind: 'KEY', id: routedKey.id },
    });
  }
  return {
    keyId,
    keySecret: key.secret,
    routedKeySecret: routedKey.secret,
    routeId: route?.createRoute.id ?? null,
    credentialId: createCredential.id,
    policy,
    budget: budget ? { id: budget.createBudget.id, limitUsd: BENCH_BUDGET_USD, period: 'month' } : null,
    rateLimit: rateLimit ? { id: rateLimit.createRateLimit.id, ...BENCH_RATE_LIMIT } : null,
    notes,
  };
}

/** A key allowed the benchmark's models through the mock's credential, labelled like a production agent. */
async function createBenchKey(gql: Gql, name: string, credentialId: string): Promise<{ id: string; secret: string }> {
  const { createKey } = await must<{ createKey: { key: { id: string }; secret: string } }>(
    gql,
    'createKey',
    'mutation($input: CreateKeyInput!) { createKey(input: $input) { key { id } secret } }',
    {
      input: {
        name,
        ownerLabel: 'billing-refactor-agent',
        allowedModels: ['gpt-4o*'],
        credentialIds: [credentialId],
        labels: { env: 'prod', team: 'billing' },
      },
    },
  );
  return { id: createKey.key.id, secret: createKey.secret };
}

import type { ConfigSnapshot, CredentialConfig, KeyConfig, OrgConfig, RouteConfig } from '@keyward/shared';
import { describe, expect, it } from 'vitest';
import { ConfigView } from '../config/view.js';
import type { Gateway } from '../pipeline/gateway.js';
import { planAttempts, resolveRoute } from '../pipeline/route-plan.js';
import { chatCompletions } from '../providers/openai/chat-completions/index.js';
import type { EnforcementContext } from '../steps/contract.js';
import { formatLatency, measureLatency } from '../testing/latency.js';
import { TargetHealthBoard } from './target-health.js';

/**
 * What routing adds to one request, measured alone: resolving `gpt-4o` through a key bound to a
 * three-target fallback route (a route bound to its team and one to its organization beside it)
 * and planning the attempts, against the same steps for a key without a route. Target: under
 * 5 µs at p50. `ROUTING_BENCH_ITERATIONS` sets the sample size (default 20,000).
 */
const ITERATIONS = Number(process.env.ROUTING_BENCH_ITERATIONS ?? 20_000);
const ORG = '0190a5d0-0000-7000-8000-000000000001';
const TEAM = '0190a5d0-0000-7000-8000-000000000002';

describe('routing benchmark', () => {
  it('resolves and plans a three-target fallback route in under 5 µs', () => {
    const org: OrgConfig = { id: ORG, plan: 'pro', timeZone: 'UTC', contentCapture: false, limiterFailMode: 'open', customModels: [] };
    const credential = (n: number): CredentialConfig => ({
      id: `0190a5d0-0000-7000-8000-00000000020${n}`,
      orgId: ORG,
      provider: 'openai',
      name: `c${n}`,
      baseUrl: null,
      models: [],
      secret: { kekId: 'k', wrappedKey: 'AA==', iv: 'AAAAAAAAAAAAAAAA', ciphertext: 'AA==', tag: 'AAAAAAAAAAAAAAAAAAAAAA==' },
      secretVersion: 1,
    });
    const key = (n: number): KeyConfig => ({
      id: `0190a5d0-0000-7000-8000-00000000010${n}`,
      orgId: ORG,
      hash: String(n).padStart(64, '0'),
      prefix: 'kw_x',
      name: 'k',
      ownerLabel: 'o',
      teamId: TEAM,
      status: 'active',
      expiresAt: null,
      graceUntil: null,
      allowedModels: ['gpt-4o*'],
      credentialIds: [],
      labels: {},
    });
    const credentials = [credential(1), credential(2), credential(3)];
    const [routed, plain] = [key(1), key(2)];
    const route = (n: number, match: string[], scope: RouteConfig['attachments'][number]): RouteConfig => ({
      id: `0190a5d0-0000-7000-8000-00000000030${n}`,
      orgId: ORG,
      version: 1,
      name: `r${n}`,
      match,
      strategy: 'fallback',
      rules: [],
      maxLatencyMs: null,
      breaker: { consecutiveFailures: 5, errorRatePercent: 50, windowSeconds: 60, minRequests: 10, openSeconds: 30 },
      targets: credentials.map((c, i) => ({
        credentialId: c.id,
        model: ['gpt-4o', 'gpt-4o-2024-08-06', 'gpt-4o-mini'][i],
        weight: 1,
        timeoutMs: 30_000,
        maxRetries: 1,
        contextTokens: null,
      })),
      attachments: [scope],
    });
    const routes = [
      route(1, ['fast', 'gpt-4o'], { kind: 'key', id: routed.id }),
      route(2, ['smart'], { kind: 'team', id: TEAM }),
      route(3, ['claude-*'], { kind: 'org', id: ORG }),
    ];
    const snapshot: ConfigSnapshot = {
      type: 'snapshot',
      version: 1,
      generatedAt: new Date().toISOString(),
      orgs: { [ORG]: org },
      keys: { [routed.hash]: routed, [plain.hash]: plain },
      credentials: Object.fromEntries(credentials.map((c) => [c.id, c])),
      policies: {},
      budgets: {},
      rateLimits: {},
      routes: Object.fromEntries(routes.map((r) => [r.id, r])),
      roles: {},
      mcpServers: {},
    };
    const view = new ConfigView(snapshot);
    const gw = { config: { upstreamFirstByteTimeoutMs: 30_000 }, health: new TargetHealthBoard() } as unknown as Gateway;
    const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };
    const ctx = { org, operation: chatCompletions, body, model: 'gpt-4o' } as unknown as EnforcementContext;
    const route1 = () => planAttempts(gw, resolveRoute(gw, view, routed, org, chatCompletions, 'gpt-4o'), ctx);
    const direct = () => planAttempts(gw, resolveRoute(gw, view, plain, org, chatCompletions, 'gpt-4o'), ctx);

    const plan = route1();
    expect(plan.routed).toBe(true);
    expect(plan.targets.map((t) => t.model)).toEqual(['gpt-4o', 'gpt-4o-2024-08-06', 'gpt-4o-mini']);
    expect(direct().routed).toBe(false);

    const withRoute = measureLatency(route1, ITERATIONS);
    const without = measureLatency(direct, ITERATIONS);
    console.log(
      `routing, 3-target fallback route: ${formatLatency(withRoute)}\nno route (credentials of the key): ${formatLatency(without)}\n(${ITERATIONS} iterations each)`,
    );
    expect(withRoute.p50).toBeLessThan(5);
  });
});

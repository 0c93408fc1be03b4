import { fileURLToPath } from 'node:url';
import { preloadTokenizers, type ConfigSnapshot, type KeyConfig, type PolicyDocumentWithMeta, type RequestContext } from '@keyward/shared';
import { describe, expect, it } from 'vitest';
import { ConfigView } from '../config/view.js';
import { createLogger } from '../observability/logger.js';
import type { AgentConnection } from '../steps/agent-connection.js';
import type { EnforcementContext } from '../steps/contract.js';
import { sseEvent } from '../steps/response-filter.js';
import type { ApprovalClient } from '../approvals/client.js';
import { chatCompletions } from '../providers/openai/chat-completions/index.js';
import { PolicySets } from './policy-sets.js';
import { createPolicyStep } from './policy-step.js';
import { restoreFilter } from './restore-filter.js';

interface PolicyEvalBenchModule {
  readonly BENCH_POLICY: PolicyDocumentWithMeta;
  benchRequest(): RequestContext;
}

// The shared policy benchmark's ten-rule policy and 4 KB conversation, so the numbers compare.
// Imported through a computed path: it lives in the test package, outside this package's sources.
const benchPath = fileURLToPath(new URL('../../../test/bench/policy-eval.ts', import.meta.url));
const ORG = '0190a5d0-0000-7000-8000-000000000001';
const POLICY = '0190a5d0-0000-7000-8000-0000000000aa';
const NO_COST_POLICY = '0190a5d0-0000-7000-8000-0000000000ab';
const ITERATIONS = Number(process.env.POLICY_STEP_BENCH_ITERATIONS ?? 300);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(run: () => unknown, iterations: number): Promise<{ p50: number; p99: number; mean: number }> {
  for (let i = 0; i < Math.max(50, iterations / 10); i++) await run();
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await run();
    times.push((performance.now() - start) * 1000);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), mean: times.reduce((a, b) => a + b, 0) / times.length };
}

describe('policy step benchmark', () => {
  it('measures what the policy step adds to a request and a restored stream event', async () => {
    preloadTokenizers();
    const { BENCH_POLICY, benchRequest } = (await import(benchPath)) as PolicyEvalBenchModule;
    const sample = benchRequest();
    const key = (n: number): KeyConfig => ({
      id: `0190a5d0-0000-7000-8000-00000000010${n}`,
      orgId: ORG,
      hash: String(n).padStart(64, '0'),
      prefix: 'kw_x',
      name: 'k',
      ownerLabel: 'o',
      teamId: null,
      status: 'active',
      expiresAt: null,
      graceUntil: null,
      allowedModels: [],
      credentialIds: [],
      labels: { env: 'prod', team: 'billing' },
    });
    const [plain, guarded, uncosted] = [key(1), key(2), key(3)];
    const document = BENCH_POLICY.document as { name: string; rules: { id: string }[] };
    const withoutCost = { ...document, rules: document.rules.filter((r) => r.id !== 'expensive') };
    const snapshot: ConfigSnapshot = {
      type: 'snapshot',
      version: 1,
      generatedAt: new Date().toISOString(),
      orgs: { [ORG]: { id: ORG, plan: 'pro', timeZone: 'Europe/Paris', contentCapture: false, limiterFailMode: 'open', customModels: [] } },
      keys: { [plain.hash]: plain, [guarded.hash]: guarded, [uncosted.hash]: uncosted },
      credentials: {},
      policies: {
        [POLICY]: { id: POLICY, orgId: ORG, name: 'bench', version: 1, enabled: true, attachments: [{ kind: 'key', id: guarded.id }], document },
        [NO_COST_POLICY]: {
          id: NO_COST_POLICY,
          orgId: ORG,
          name: 'bench',
          version: 1,
          enabled: true,
          attachments: [{ kind: 'key', id: uncosted.id }],
          document: withoutCost,
        },
      },
      budgets: {},
      rateLimits: {},
      routes: {},
      roles: {},
      mcpServers: {},
    };
    const view = new ConfigView(snapshot);
    const sets = new PolicySets(createLogger('silent'));
    sets.prepare(view);
    const step = createPolicyStep({
      sets,
      view: () => view,
      approvals: {} as ApprovalClient,
      nodeId: 'bench',
      keepAliveMs: 10_000,
      unstreamedMaxSeconds: 240,
      hashSecret: Buffer.alloc(32, 1),
      // Monday noon: the off-hours rule does not hold.
      now: () => new Date('2025-03-10T11:00:00Z'),
    });
    const connection: AgentConnection = {
      sse: true,
      arrivedAt: Date.now(),
      aborted: false,
      headersSent: false,
      onAbort: () => undefined,
      comment: () => undefined,
    };
    const body = (withEmail: boolean) => ({
      model: 'gpt-4o',
      max_tokens: 1000,
      tools: [{ type: 'function', function: { name: 'shell_exec' } }],
      messages: sample.messages.map((m) => ({ role: m.role, content: withEmail ? m.text : m.text.replace('alice.martin@example.com', 'Alice') })),
    });
    const context = (k: KeyConfig, json: Record<string, unknown>): EnforcementContext => ({
      requestId: 'r',
      org: snapshot.orgs[ORG],
      key: k,
      api: 'openai',
      endpoint: 'chat.completions',
      operation: chatCompletions,
      model: 'gpt-4o',
      stream: true,
      candidates: [
        {
          id: 'c',
          orgId: ORG,
          provider: 'openai',
          name: 'c',
          baseUrl: null,
          models: [],
          secret: { kekId: 'k', wrappedKey: '', iv: '', ciphertext: '', tag: '' },
          secretVersion: 1,
        },
      ],
      body: json,
      decision: 'allowed',
      tags: [],
      setResponseHeader: () => undefined,
      headers: { 'x-keyward-agent-id': 'billing-refactor' },
      connection,
      responseFilters: [],
      policy: { matches: [], approvalId: null },
      provenance: { result: 'unchecked', token: null },
    });
    const [clean, withEmail] = [body(false), body(true)];
    const check = context(guarded, withEmail);
    await step.before(check);
    expect(check.decision).toBe('redacted');
    expect(JSON.stringify(check.body)).toContain('[EMAIL_1]');

    const none = await measure(() => step.before(context(plain, clean)), ITERATIONS);
    const evaluated = await measure(() => step.before(context(guarded, clean)), ITERATIONS);
    const untokenized = await measure(() => step.before(context(uncosted, clean)), ITERATIONS);
    const redacted = await measure(() => step.before(context(guarded, withEmail)), ITERATIONS);
    const restore = restoreFilter(chatCompletions.answers, new Map([['[EMAIL_1]', 'alice.martin@example.com']]));
    const chunk = sseEvent(
      JSON.stringify({
        id: 'chatcmpl-1',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'gpt-4o',
        choices: [{ index: 0, delta: { content: 'a few words of answer' }, finish_reason: null }],
      }),
    );
    const perEvent = await measure(() => restore.event(chunk), ITERATIONS * 10);

    const rows = [
      ['key without policies', none],
      ['ten rules, 4 KB chat body, nothing to redact', evaluated],
      ['same without the cost rule (no tokenizing)', untokenized],
      ['ten rules, 4 KB chat body, one e-mail redacted', redacted],
      ['restore filter, one chat chunk', perEvent],
    ] as const;
    for (const [name, stats] of rows) {
      console.log(
        `${name.padEnd(48)} p50 ${stats.p50.toFixed(1).padStart(7)} µs  p99 ${stats.p99.toFixed(1).padStart(7)} µs  mean ${stats.mean.toFixed(1).padStart(7)} µs`,
      );
      expect(Number.isFinite(stats.p99) && stats.p99 > 0).toBe(true);
    }
  });
});

/**
 * Policy evaluation benchmark: one realistic policy of ten rules (models, headers, secrets and
 * PII detection, a prompt-injection regex, cost, output limit, office hours, tool calls, labels)
 * evaluated against a 4 KB conversation, one evaluation at a time, reporting latency percentiles.
 * Target: p99 under 20 µs.
 *
 * Run after building: `node test/dist/bench/policy-eval.js [iterations]`.
 */
import { pathToFileURL } from 'node:url';
import { compilePolicies, type PolicyDocumentWithMeta, type RequestContext } from '@keyward/shared';

/** Options of `runPolicyEvalBench`. */
export interface PolicyEvalBenchOptions {
  /** Measured evaluations. */
  readonly iterations: number;
  /** Unmeasured evaluations first, so the JIT has optimized the hot path (default: iterations / 10, at least 100). */
  readonly warmup?: number;
}

/** Latencies in microseconds. */
export interface PolicyEvalBenchResult {
  readonly iterations: number;
  readonly promptBytes: number;
  readonly rules: number;
  readonly p50us: number;
  readonly p90us: number;
  readonly p99us: number;
  readonly maxUs: number;
  readonly meanUs: number;
  readonly evaluationsPerSecond: number;
  /** The decision of the last evaluation, to show the work was real. */
  readonly action: string;
  readonly matchedRules: readonly string[];
}

/** The ten rules, as an operator would write them. */
export const BENCH_POLICY: PolicyDocumentWithMeta = {
  id: 'bench',
  version: 1,
  scope: 'org',
  defaultTimeZone: 'Europe/Paris',
  document: {
    name: 'Production agent guardrails',
    rules: [
      {
        id: 'approved-models',
        when: { not: { model: ['gpt-4o*', 'gpt-4.1*', 'claude-*', 'gemini-2.5-*'] } },
        action: { type: 'block', message: 'Model not approved' },
      },
      {
        id: 'tag-agent',
        when: { header: { name: 'x-keyward-agent-id', exists: true } },
        action: { type: 'log', tags: ['agent'] },
      },
      {
        id: 'no-credentials',
        when: { prompt: { pii: 'credentials' } },
        action: { type: 'block', status: 422, message: 'Credentials must not be sent to models' },
      },
      {
        id: 'redact-contacts',
        when: { prompt: { pii: ['email', 'phone', 'payment_card', 'iban', 'us_ssn'] } },
        action: { type: 'redact', detectors: ['email', 'phone', 'payment_card', 'iban', 'us_ssn'], restore: true },
      },
      { id: 'expensive', when: { costMicros: { gt: 2_000_000 } }, action: { type: 'hold', timeoutSeconds: 900 } },
      {
        id: 'injection',
        when: { prompt: { regex: 'ignore (?:all )?(?:previous|prior) instructions', ignoreCase: true } },
        action: 'block',
      },
      {
        id: 'output-cap',
        when: { maxOutputTokens: { gt: 16_000 } },
        action: { type: 'block', status: 400, message: 'max_tokens above 16000' },
      },
      {
        id: 'off-hours-shell',
        when: {
          all: [{ toolOffered: 'shell*' }, { not: { timeOfDay: { between: ['08:00', '20:00'], weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'] } } }],
        },
        action: 'hold',
      },
      {
        id: 'destructive-history',
        when: { toolCall: { name: 'shell_exec', args: { path: '$.command', regex: 'rm\\s+-rf\\s+/' } } },
        action: 'block',
      },
      {
        id: 'dev-keys',
        when: { all: [{ keyLabel: { name: 'env', eq: 'dev' } }, { model: 'gpt-4o' }] },
        action: { type: 'log', tags: ['dev-on-prod-model'] },
      },
    ],
  },
};

const PROSE =
  'We are migrating the billing service to the new event pipeline. The current consumer reads from the ' +
  'orders topic, enriches each record with the customer profile and writes invoices in batches of 500. ' +
  'Latency went from 120 ms to 340 ms at p99 after the 2024-11-18 release (version 3.14.2), mostly in the ' +
  'profile lookup. Please review the code below, explain the bottleneck and propose a fix that keeps ' +
  'exactly-once semantics. Budget is about $1,250 per month for the cache; the team meets on 12/05 at 10:30. ';

const CODE = `
async function enrich(batch: Order[]): Promise<Invoice[]> {
  const out: Invoice[] = [];
  for (const order of batch) {
    const profile = await profiles.get(order.customerId); // one round trip per order
    if (!profile) { metrics.increment('profile.miss'); continue; }
    out.push({ id: order.id, total: order.lines.reduce((s, l) => s + l.qty * l.price, 0), currency: profile.currency });
  }
  return out;
}
const config = { "brokers": ["10.0.12.4:9092", "10.0.12.5:9092"], "groupId": "billing-v2", "maxPollRecords": 500 };
`;

/** A 4 KB conversation: system prompt, prose, code, a contact e-mail, no secrets. */
export function benchRequest(): RequestContext {
  let user = '';
  while (user.length < 3200) user += PROSE;
  user += CODE;
  const messages = [
    { role: 'user', text: user },
    {
      role: 'assistant',
      text: 'The loop awaits one profile lookup per order; batch the lookups with getMany and cache hot customers.',
    },
    { role: 'user', text: 'Good. Draft the change and a note to alice.martin@example.com summarising the expected gain.' },
  ];
  return {
    provider: 'openai',
    api: 'openai',
    endpoint: 'chat.completions',
    model: 'gpt-4o',
    keyLabels: { env: 'prod', team: 'billing' },
    keyMetadata: { costCenter: 'cc-42' },
    headers: { 'x-keyward-agent-id': 'billing-refactor', 'x-keyward-run-id': 'run-7781' },
    messages,
    systemText: 'You are a senior TypeScript engineer. Answer precisely and show code.',
    toolsOffered: ['read_file', 'write_file', 'shell_exec'],
    toolCalls: [{ name: 'read_file', arguments: '{"path":"src/billing/enrich.ts"}' }],
    estimatedInputTokens: 1100,
    maxOutputTokens: 4096,
    estimatedCostMicros: 8_250,
    now: new Date('2025-03-04T10:15:00Z'),
  };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Compiles the bench policy and times `iterations` request evaluations. */
export function runPolicyEvalBench(options: PolicyEvalBenchOptions): PolicyEvalBenchResult {
  const set = compilePolicies([BENCH_POLICY]);
  const ctx = benchRequest();
  const warmup = options.warmup ?? Math.max(100, Math.floor(options.iterations / 10));
  let decision = set.evaluateRequest(ctx);
  for (let i = 0; i < warmup; i++) decision = set.evaluateRequest(ctx);
  const samples = new Float64Array(options.iterations);
  let total = 0;
  for (let i = 0; i < options.iterations; i++) {
    const start = process.hrtime.bigint();
    decision = set.evaluateRequest(ctx);
    const micros = Number(process.hrtime.bigint() - start) / 1000;
    samples[i] = micros;
    total += micros;
  }
  samples.sort();
  const promptBytes = Buffer.byteLength(ctx.messages.map((m) => m.text).join('\n') + ctx.systemText);
  return {
    iterations: options.iterations,
    promptBytes,
    rules: (BENCH_POLICY.document as { rules: unknown[] }).rules.length,
    p50us: percentile(samples, 50),
    p90us: percentile(samples, 90),
    p99us: percentile(samples, 99),
    maxUs: samples[samples.length - 1],
    meanUs: total / options.iterations,
    evaluationsPerSecond: Math.round(1e6 / (total / options.iterations)),
    action: decision.action,
    matchedRules: decision.matches.map((m) => m.ruleId),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const iterations = Number(process.argv[2] ?? 100_000);
  const r = runPolicyEvalBench({ iterations });
  const fmt = (n: number) => n.toFixed(2).padStart(9);
  console.log(`policy evaluation: ${r.rules} rules, ${r.promptBytes}-byte prompt, ${r.iterations} evaluations`);
  console.log(' p50 µs    p90 µs    p99 µs    max µs   mean µs   evals/s');
  console.log(`${fmt(r.p50us)} ${fmt(r.p90us)} ${fmt(r.p99us)} ${fmt(r.maxUs)} ${fmt(r.meanUs)} ${String(r.evaluationsPerSecond).padStart(9)}`);
  console.log(`decision: ${r.action}; matched: ${r.matchedRules.join(', ')}`);
}

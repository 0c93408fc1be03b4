import { describe as describeValue, isRecord, type Path, formatPath } from './checker.js';
import { compilePolicy, emptyNeeds, evaluatePhase, type CompiledPolicy, type CompiledRule } from './compile.js';
import type { NormalizedMessage, RequestContext, ResponseContext, ToolCall } from './context.js';
import type { PolicyDecision } from './decision.js';
import { EvalState } from './eval-state.js';
import type { ActionType, PolicyError, RulePhase } from './types.js';
import { API_FAMILIES, PROVIDER_KINDS } from '../wire/config.js';
import { validatePolicyDocument } from './validate.js';

/**
 * A request for the console's test panel: any subset of `RequestContext` (missing fields take
 * neutral defaults, `now` may be an ISO string), plus optionally the answer to test response
 * rules against.
 */
export interface SampleRequest extends Partial<Omit<RequestContext, 'now'>> {
  readonly now?: Date | string;
  readonly response?: { readonly text?: string; readonly toolCalls?: readonly ToolCall[] };
}

/** One rule's outcome on the sample. */
export interface RuleTrace {
  readonly ruleId: string;
  /** Position in the policy, from 0. */
  readonly index: number;
  readonly on: RulePhase;
  readonly action: ActionType;
  readonly shadow: boolean;
  /**
   * False when an earlier terminal rule ended the policy first: the rule is still tested, so
   * the panel can show what it would say, but it had no effect.
   */
  readonly reached: boolean;
  readonly matched: boolean;
  /** Why it matched or not, e.g. `model "gpt-4o" matches "gpt-4*"; prompt contains email`. */
  readonly reason: string;
}

/** A phase's rule traces and the decision the policy alone produces. */
export interface PhaseTestResult {
  readonly rules: readonly RuleTrace[];
  readonly decision: PolicyDecision;
}

/** Result of `testPolicy`. */
export type PolicyTestResult =
  | { readonly ok: true; readonly request: PhaseTestResult; readonly response: PhaseTestResult | null }
  | { readonly ok: false; readonly errors: readonly PolicyError[] };

const STRING_FIELDS = ['endpoint', 'model', 'systemText'] as const;
const NUMBER_FIELDS = ['estimatedInputTokens', 'estimatedCostMicros'] as const;

/** Checks a sample field by field and fills the defaults; returns the errors instead when any. */
function normalizeSample(sample: unknown): { ok: true; request: RequestContext; response: ResponseContext | null } | { ok: false; errors: PolicyError[] } {
  const errors: PolicyError[] = [];
  const fail = (path: Path, text: string) => {
    const p = formatPath(['sample', ...path]);
    errors.push({ path: p, message: `"${p}" ${text}` });
  };
  if (!isRecord(sample))
    return {
      ok: false,
      errors: [{ path: 'sample', message: `the sample request must be an object, not ${describeValue(sample)}` }],
    };
  const s = sample;
  for (const f of STRING_FIELDS) if (s[f] !== undefined && typeof s[f] !== 'string') fail([f], `must be a string, not ${describeValue(s[f])}`);
  for (const f of NUMBER_FIELDS)
    if (s[f] !== undefined && (typeof s[f] !== 'number' || !Number.isFinite(s[f]))) fail([f], `must be a number, not ${describeValue(s[f])}`);
  if (s.maxOutputTokens !== undefined && s.maxOutputTokens !== null && typeof s.maxOutputTokens !== 'number') {
    fail(['maxOutputTokens'], `must be a number or null, not ${describeValue(s.maxOutputTokens)}`);
  }
  if (s.provider !== undefined && !(PROVIDER_KINDS as readonly unknown[]).includes(s.provider))
    fail(['provider'], `must be one of ${PROVIDER_KINDS.join(', ')}`);
  if (s.api !== undefined && !(API_FAMILIES as readonly unknown[]).includes(s.api)) fail(['api'], `must be one of ${API_FAMILIES.join(', ')}`);
  for (const f of ['keyLabels', 'headers'] as const) {
    if (s[f] === undefined) continue;
    if (!isRecord(s[f])) fail([f], `must be an object of strings, not ${describeValue(s[f])}`);
    else for (const [k, v] of Object.entries(s[f])) if (typeof v !== 'string') fail([f, k], `must be a string, not ${describeValue(v)}`);
  }
  if (s.keyMetadata !== undefined && !isRecord(s.keyMetadata)) fail(['keyMetadata'], `must be an object, not ${describeValue(s.keyMetadata)}`);
  const messages: NormalizedMessage[] = [];
  if (s.messages !== undefined) {
    if (!Array.isArray(s.messages)) fail(['messages'], `must be a list of { "role", "text" }, not ${describeValue(s.messages)}`);
    else
      s.messages.forEach((m: unknown, i: number) => {
        if (!isRecord(m) || typeof m.text !== 'string') fail(['messages', i], 'must be an object with a string "text"');
        else messages.push({ role: typeof m.role === 'string' ? m.role : 'user', text: m.text });
      });
  }
  const readCalls = (v: unknown, path: Path): ToolCall[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      fail(path, `must be a list of { "name", "arguments" }, not ${describeValue(v)}`);
      return [];
    }
    return v.flatMap((call: unknown, i: number) => {
      if (!isRecord(call) || typeof call.name !== 'string') {
        fail([...path, i], 'must be an object with a string "name"');
        return [];
      }
      return [{ name: call.name, arguments: call.arguments ?? {} }];
    });
  };
  const toolCalls = readCalls(s.toolCalls, ['toolCalls']);
  let toolsOffered: string[] = [];
  if (s.toolsOffered !== undefined) {
    if (!Array.isArray(s.toolsOffered) || s.toolsOffered.some((t: unknown) => typeof t !== 'string')) fail(['toolsOffered'], 'must be a list of tool names');
    else toolsOffered = s.toolsOffered as string[];
  }
  let now = new Date();
  if (s.now !== undefined) {
    now = s.now instanceof Date ? s.now : new Date(typeof s.now === 'string' ? s.now : Number.NaN);
    if (Number.isNaN(now.getTime())) fail(['now'], `must be an ISO date-time such as "2025-01-31T09:30:00Z", not ${describeValue(s.now)}`);
  }
  let answer: { text: string; toolCalls: ToolCall[] } | null = null;
  if (s.response !== undefined) {
    if (!isRecord(s.response)) fail(['response'], `must be an object with "text" and/or "toolCalls", not ${describeValue(s.response)}`);
    else {
      if (s.response.text !== undefined && typeof s.response.text !== 'string')
        fail(['response', 'text'], `must be a string, not ${describeValue(s.response.text)}`);
      answer = {
        text: typeof s.response.text === 'string' ? s.response.text : '',
        toolCalls: readCalls(s.response.toolCalls, ['response', 'toolCalls']),
      };
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  const request: RequestContext = {
    provider: (s.provider as RequestContext['provider']) ?? 'openai',
    api: (s.api as RequestContext['api']) ?? 'openai',
    endpoint: (s.endpoint as string) ?? 'chat.completions',
    model: (s.model as string) ?? '',
    keyLabels: (s.keyLabels as Record<string, string>) ?? {},
    keyMetadata: (s.keyMetadata as Record<string, unknown>) ?? {},
    headers: Object.fromEntries(Object.entries((s.headers as Record<string, string>) ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    messages,
    systemText: (s.systemText as string) ?? '',
    toolsOffered,
    toolCalls,
    estimatedInputTokens: (s.estimatedInputTokens as number) ?? 0,
    maxOutputTokens: (s.maxOutputTokens as number | null) ?? null,
    estimatedCostMicros: (s.estimatedCostMicros as number) ?? 0,
    now,
  };
  return { ok: true, request, response: answer === null ? null : { request, ...answer } };
}

/** Tests every rule of one phase with its explainer, then replays the real semantics for `reached`. */
function tracePhase(policy: CompiledPolicy, phase: RulePhase, s: EvalState): PhaseTestResult {
  const rules = policy[phase];
  const explained = new Map<CompiledRule, { matched: boolean; reason: string }>();
  for (const r of rules) explained.set(r, r.condition === null ? { matched: true, reason: 'no condition: always matches' } : r.condition.explain(s));
  const reached = new Set<CompiledRule>();
  const decision = evaluatePhase([policy], phase, s, (r) => {
    reached.add(r);
    return explained.get(r)!.matched;
  });
  return {
    rules: rules.map((r) => ({
      ruleId: r.rule.id,
      index: r.index,
      on: phase,
      action: r.rule.action.type,
      shadow: r.shadow,
      reached: reached.has(r),
      matched: explained.get(r)!.matched,
      reason: explained.get(r)!.reason,
    })),
    decision,
  };
}

/**
 * Runs one policy (validated first) against a sample request for the console's test panel:
 * every rule's result with a reason, and the decision the policy alone would produce. Response
 * rules run only when the sample carries a `response`. Invalid documents or samples return
 * their errors.
 */
export function testPolicy(doc: unknown, sampleRequest: SampleRequest | unknown, options: { readonly defaultTimeZone?: string } = {}): PolicyTestResult {
  const validated = validatePolicyDocument(doc);
  if (!validated.ok) return validated;
  const sample = normalizeSample(sampleRequest);
  if (!sample.ok) return sample;
  const policy = compilePolicy(
    {
      id: 'test',
      version: 0,
      scope: 'org',
      document: validated.policy,
      ...(options.defaultTimeZone ? { defaultTimeZone: options.defaultTimeZone } : {}),
    },
    emptyNeeds(),
  );
  const s = new EvalState();
  s.reset(sample.request, null);
  const request = tracePhase(policy, 'request', s);
  let response: PhaseTestResult | null = null;
  if (sample.response !== null) {
    s.reset(sample.request, sample.response);
    response = tracePhase(policy, 'response', s);
  }
  return { ok: true, request, response };
}

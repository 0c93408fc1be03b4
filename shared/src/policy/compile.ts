import type { DetectorName } from '../pii/types.js';
import { compileCondition, type CompiledCondition, type MutableNeeds } from './compile-condition.js';
import type { RequestContext, ResponseContext, ToolCallContext, ToolResultContext } from './context.js';
import {
  mergeHolds,
  type BlockOutcome,
  type HoldOutcome,
  type PolicyDecision,
  type PolicyMatch,
  type RedactionSpec,
  type ShadowOutcome,
  type TerminalAction,
} from './decision.js';
import { EvalState } from './eval-state.js';
import type { PolicyDocument, PolicyDocumentWithMeta, PolicyError, PolicyRule, PolicyScope, RuleAction, RulePhase } from './types.js';
import { validatePolicyDocument } from './validate.js';

/**
 * What a compiled set reads from the contexts. The data plane parses and fills only these;
 * everything else may be left empty (`""`, `[]`, `{}`, 0, null).
 */
export interface PolicyNeeds {
  /** `messages` (the text of every message). */
  readonly promptText: boolean;
  readonly systemText: boolean;
  /** Detectors that conditions run on prompt, system or answer text during evaluation. */
  readonly piiDetectors: ReadonlySet<DetectorName>;
  readonly toolsOffered: boolean;
  /** `toolCalls` of the conversation history. */
  readonly toolCalls: boolean;
  readonly headers: boolean;
  readonly keyLabels: boolean;
  readonly keyMetadata: boolean;
  readonly estimatedInputTokens: boolean;
  readonly maxOutputTokens: boolean;
  readonly estimatedCostMicros: boolean;
  /** Some request rule redacts: the request's text must stay rewritable. */
  readonly redaction: boolean;
  /** Some rule inspects the answer: call `evaluateResponse`. */
  readonly responseRules: boolean;
  /** Response rules read the answer's text: hold text back until it has been inspected. */
  readonly responseText: boolean;
  /** Response rules read the answer's tool calls: assemble them from the stream. */
  readonly responseToolCalls: boolean;
  /** Some rule inspects MCP tool calls: call `evaluateToolCall`. */
  readonly toolCallRules: boolean;
  /** Some rule inspects MCP tool results: call `evaluateToolResult` (and keep the result until it has). */
  readonly toolResultRules: boolean;
  /** The request's anomaly score (`anomaly` conditions). */
  readonly anomaly: boolean;
}

/** Policies compiled for fast, repeated evaluation. */
export interface CompiledPolicySet {
  readonly needs: PolicyNeeds;
  /** The policies in evaluation order. */
  readonly policies: readonly { readonly id: string; readonly version: number; readonly scope: PolicyScope }[];
  evaluateRequest(ctx: RequestContext): PolicyDecision;
  evaluateResponse(ctx: ResponseContext): PolicyDecision;
  /** The `tool_call` rules on an agent's MCP tool call, before it reaches the server. */
  evaluateToolCall(ctx: ToolCallContext): PolicyDecision;
  /** The `tool_result` rules on what a tool returned, before it reaches the agent. */
  evaluateToolResult(ctx: ToolResultContext): PolicyDecision;
}

/** Thrown by `compilePolicies` when a policy does not validate; carries every error. */
export class PolicyCompileError extends Error {
  constructor(
    readonly policyId: string,
    readonly errors: readonly PolicyError[],
  ) {
    super(`policy "${policyId}" is invalid: ${errors.map((e) => e.message).join('; ')}`);
    this.name = 'PolicyCompileError';
  }
}

/** A rule ready to run, with everything its action produces built once. */
export interface CompiledRule {
  readonly rule: PolicyRule;
  readonly index: number;
  /** The rule's or its policy's shadow flag. */
  readonly shadow: boolean;
  readonly terminal: boolean;
  readonly condition: CompiledCondition | null;
  readonly match: PolicyMatch;
  readonly block?: BlockOutcome;
  readonly hold?: HoldOutcome;
  readonly redaction?: RedactionSpec;
  readonly tags?: readonly string[];
}

/** A policy ready to run. */
export interface CompiledPolicy {
  readonly id: string;
  readonly version: number;
  readonly scope: PolicyScope;
  readonly shadow: boolean;
  readonly request: readonly CompiledRule[];
  readonly response: readonly CompiledRule[];
  readonly tool_call: readonly CompiledRule[];
  readonly tool_result: readonly CompiledRule[];
}

const SCOPE_ORDER: Readonly<Record<PolicyScope, number>> = { org: 0, team: 1, key: 2 };
const EMPTY: readonly never[] = Object.freeze([]);
const ALLOW: PolicyDecision = Object.freeze({ action: 'allow', redact: EMPTY, tags: EMPTY, matches: EMPTY, shadow: null });

function compileRule(policy: PolicyDocumentWithMeta, doc: PolicyDocument, rule: PolicyRule, index: number, needs: MutableNeeds): CompiledRule {
  const shadow = doc.shadow || rule.shadow;
  const condition = rule.when === undefined ? null : compileCondition(rule.when, { phase: rule.on, defaultTimeZone: policy.defaultTimeZone ?? 'UTC', needs });
  const action: RuleAction = rule.action;
  const match: PolicyMatch = Object.freeze({
    policyId: policy.id,
    policyVersion: policy.version,
    ruleId: rule.id,
    action: action.type,
    shadow,
  });
  // Every compiled rule has the same keys, so the evaluation loop reads them monomorphically.
  const base: CompiledRule = {
    rule,
    index,
    shadow,
    condition,
    match,
    terminal: action.type === 'allow' || action.type === 'block' || action.type === 'hold',
    block: undefined,
    hold: undefined,
    redaction: undefined,
    tags: undefined,
  };
  switch (action.type) {
    case 'block':
      return { ...base, block: Object.freeze({ status: action.status, message: action.message }) };
    case 'hold':
      return { ...base, hold: Object.freeze({ timeoutSeconds: action.timeoutSeconds, onTimeout: action.onTimeout }) };
    case 'redact':
      return {
        ...base,
        redaction: Object.freeze({
          policyId: policy.id,
          ruleId: rule.id,
          detectors: action.detectors,
          patterns: action.patterns,
          replacement: action.replacement,
          restore: action.restore,
        }),
      };
    case 'log':
      return { ...base, tags: action.tags };
    default:
      return base;
  }
}

/** A fresh record of needs, all false. */
export function emptyNeeds(): MutableNeeds {
  return {
    promptText: false,
    systemText: false,
    piiDetectors: new Set(),
    toolsOffered: false,
    toolCalls: false,
    headers: false,
    keyLabels: false,
    keyMetadata: false,
    estimatedInputTokens: false,
    maxOutputTokens: false,
    estimatedCostMicros: false,
    responseText: false,
    responseToolCalls: false,
    anomaly: false,
  };
}

/** Validates one policy and compiles its rules, recording what they read in `needs`. */
export function compilePolicy(meta: PolicyDocumentWithMeta, needs: MutableNeeds): CompiledPolicy {
  const validated = validatePolicyDocument(meta.document);
  if (!validated.ok) throw new PolicyCompileError(meta.id, validated.errors);
  const doc = validated.policy;
  // Tool rules read their own small context: what they need must not make model calls parse more.
  const toolNeeds = emptyNeeds();
  const rules = doc.rules.map((rule, i) => compileRule(meta, doc, rule, i, rule.on === 'tool_call' || rule.on === 'tool_result' ? toolNeeds : needs));
  return {
    id: meta.id,
    version: meta.version,
    scope: meta.scope,
    shadow: doc.shadow,
    request: rules.filter((r) => r.rule.on === 'request'),
    response: rules.filter((r) => r.rule.on === 'response'),
    tool_call: rules.filter((r) => r.rule.on === 'tool_call'),
    tool_result: rules.filter((r) => r.rule.on === 'tool_result'),
  };
}

/**
 * Validates and compiles policies into one evaluator. Policies are ordered organization, team,
 * key, then by id, whatever order they are given in, so decisions and match lists are
 * deterministic. Throws `PolicyCompileError` on the first invalid policy.
 *
 * Pass the policies that apply to one key (its organization's, its team's and its own); the
 * result is immutable and cheap to share, so cache it per distinct list of policy versions.
 */
export function compilePolicies(policies: readonly PolicyDocumentWithMeta[]): CompiledPolicySet {
  const needs = emptyNeeds();
  const ordered = [...policies].sort((a, b) => SCOPE_ORDER[a.scope] - SCOPE_ORDER[b.scope] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const compiled = ordered.map((meta) => compilePolicy(meta, needs));
  const redaction = compiled.some((p) => p.request.some((r) => r.redaction !== undefined));
  const responseRules = compiled.some((p) => p.response.length > 0);
  const frozenNeeds: PolicyNeeds = Object.freeze({
    ...needs,
    piiDetectors: new Set(needs.piiDetectors),
    redaction,
    responseRules,
    toolCallRules: compiled.some((p) => p.tool_call.length > 0),
    toolResultRules: compiled.some((p) => p.tool_result.length > 0),
  });
  const state = new EvalState();
  return {
    needs: frozenNeeds,
    policies: compiled.map(({ id, version, scope }) => Object.freeze({ id, version, scope })),
    evaluateRequest(ctx) {
      state.reset(ctx, null);
      return evaluatePhase(compiled, 'request', state);
    },
    evaluateResponse(ctx) {
      state.reset(ctx.request, ctx);
      return evaluatePhase(compiled, 'response', state);
    },
    evaluateToolCall(ctx) {
      state.reset(toolRequestContext(ctx), null);
      return evaluatePhase(compiled, 'tool_call', state);
    },
    evaluateToolResult(ctx) {
      const request = toolRequestContext(ctx.call);
      state.reset(request, { request, text: ctx.text, toolCalls: EMPTY });
      return evaluatePhase(compiled, 'tool_result', state);
    },
  };
}

/**
 * A tool call as the evaluator reads it: its one call (for `toolCall`), its server and tool,
 * and its arguments' text as the only message (for `toolArguments`). The model-call fields are
 * neutral: validation keeps tool rules from testing them.
 */
function toolRequestContext(ctx: ToolCallContext): RequestContext {
  return {
    provider: 'openai_compatible',
    api: 'openai',
    endpoint: 'tools/call',
    model: '',
    keyLabels: ctx.keyLabels,
    keyMetadata: ctx.keyMetadata,
    headers: ctx.headers,
    messages: [{ role: 'tool_arguments', text: argumentsText(ctx.arguments) }],
    systemText: '',
    toolsOffered: EMPTY,
    toolCalls: [{ name: ctx.tool, arguments: ctx.arguments }],
    estimatedInputTokens: 0,
    maxOutputTokens: null,
    estimatedCostMicros: 0,
    now: ctx.now,
    mcp: { server: ctx.server, tool: ctx.tool },
  };
}

/** Every string (and number) value of a tool call's arguments, one per line, in document order. */
export function argumentsText(value: unknown): string {
  const parts: string[] = [];
  const walk = (v: unknown, depth: number) => {
    if (typeof v === 'string') parts.push(v);
    else if (typeof v === 'number' || typeof v === 'bigint') parts.push(String(v));
    else if (depth < 64 && Array.isArray(v)) for (const item of v) walk(item, depth + 1);
    else if (depth < 64 && typeof v === 'object' && v !== null) for (const item of Object.values(v)) walk(item, depth + 1);
  };
  walk(value, 0);
  return parts.join('\n');
}

/** How a rule's condition is decided: by its fast test, or by its explaining twin. */
export type RuleTester = (rule: CompiledRule, s: EvalState) => boolean;

const fastTest: RuleTester = (rule, s) => rule.condition === null || rule.condition.test(s);

/**
 * Applies the decision semantics (README.md, "Decision semantics") to one phase's rules of
 * every policy. Within a policy, rules run in order: `redact` and `log` accumulate, the first
 * matching `allow`, `block` or `hold` ends the policy. Across policies the most restrictive
 * terminal action wins (block > hold > allow). Shadow rules run on a second track that shows
 * what enforcing them would have done, and never touch the enforced decision.
 */
export function evaluatePhase(policies: readonly CompiledPolicy[], phase: RulePhase, s: EvalState, tester: RuleTester = fastTest): PolicyDecision {
  let action: TerminalAction = 'allow';
  let block: BlockOutcome | undefined;
  let hold: HoldOutcome | undefined;
  let wouldAction: TerminalAction = 'allow';
  let wouldBlock: BlockOutcome | undefined;
  let wouldHold: HoldOutcome | undefined;
  let shadowMatched = false;
  let matches: PolicyMatch[] | null = null;
  let redact: RedactionSpec[] | null = null;
  let tags: string[] | null = null;

  for (let p = 0; p < policies.length; p++) {
    const rules = policies[p][phase];
    let enforcedOpen = true;
    let wouldOpen = true;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i];
      if (r.shadow ? !wouldOpen : !enforcedOpen) {
        if (!r.shadow) break; // a non-shadow terminal match closed both tracks
        continue;
      }
      if (!tester(r, s)) continue;
      (matches ??= []).push(r.match);
      if (r.shadow) shadowMatched = true;
      if (r.terminal && wouldOpen) {
        wouldOpen = false;
        if (r.block !== undefined) {
          if (wouldAction !== 'block') {
            wouldAction = 'block';
            wouldBlock = r.block;
          }
        } else if (r.hold !== undefined) {
          if (wouldAction === 'allow') {
            wouldAction = 'hold';
            wouldHold = r.hold;
          } else if (wouldAction === 'hold') wouldHold = mergeHolds(wouldHold!, r.hold);
        }
      }
      if (r.shadow) continue;
      if (r.terminal) {
        enforcedOpen = false;
        wouldOpen = false;
        if (r.block !== undefined) {
          if (action !== 'block') {
            action = 'block';
            block = r.block;
          }
        } else if (r.hold !== undefined) {
          if (action === 'allow') {
            action = 'hold';
            hold = r.hold;
          } else if (action === 'hold') hold = mergeHolds(hold!, r.hold);
        }
      } else if (r.redaction !== undefined) {
        (redact ??= []).push(r.redaction);
      } else if (r.tags !== undefined) {
        for (const tag of r.tags) if (!(tags ??= []).includes(tag)) tags.push(tag);
      }
    }
  }

  if (matches === null) return ALLOW;
  const shadow: ShadowOutcome | null = !shadowMatched
    ? null
    : wouldAction === 'block'
      ? { action: wouldAction, block: wouldBlock }
      : wouldAction === 'hold'
        ? { action: wouldAction, hold: wouldHold }
        : { action: wouldAction };
  const common = { redact: redact ?? EMPTY, tags: tags ?? EMPTY, matches, shadow };
  if (action === 'block') return { action, block, ...common };
  if (action === 'hold') return { action, hold, ...common };
  return { action, ...common };
}

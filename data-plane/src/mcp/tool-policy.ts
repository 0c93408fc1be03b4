import {
  argumentsText,
  createRedactor,
  PolicyCompileError,
  type Decision,
  type KeyConfig,
  type OrgConfig,
  type PolicyDecision,
  type ToolCallContext,
} from '@keyward/shared';
import type { ConfigView } from '../config/view.js';
import { approvalSummary } from '../policy/summary.js';
import { holdPolicyDecision, type HoldDeps } from '../policy/holds.js';
import { redactionHashKeys } from '../policy/hash-keys.js';
import { addTags, recordMatches } from '../policy/matches.js';
import type { PolicySets } from '../policy/policy-sets.js';
import { keywardHeaders } from '../policy/request-context.js';
import type { AgentConnection } from '../steps/agent-connection.js';
import type { PolicyTrail } from '../steps/contract.js';
import { McpRefusal, RPC_ERRORS, type JsonRpcId, type JsonRpcMessage } from './json-rpc.js';
import { fleetNow } from '../clock/fleet-clock.js';

/** What the tool policy needs from the node. */
export interface McpToolPolicyOptions extends HoldDeps {
  readonly sets: PolicySets;
  /** Secret from which each organization's key for `hash` redactions is derived (the key pepper). */
  readonly hashSecret: Buffer;
  /** The clock time-of-day conditions read (tests pin it). */
  readonly now?: () => Date;
}

/** One agent's `tools/call`, as the tool policy sees it; `decision`, `policy` and `tags` are the call's record, filled in. */
interface ToolCallUnderPolicy {
  readonly requestId: string;
  readonly view: ConfigView;
  readonly org: OrgConfig;
  readonly key: KeyConfig;
  readonly server: string;
  readonly tool: string;
  readonly id: JsonRpcId | null;
  readonly arguments: unknown;
  /** The agent's request headers (lower-case names). */
  readonly headers: Readonly<Record<string, string>>;
  readonly connection: AgentConnection;
  readonly policy: PolicyTrail;
  readonly tags: string[];
  decision: Decision;
}

/** What to do with the server's answer to the call: the message to send instead, or null to send it as it came. */
export type ToolResultCheck = (answer: JsonRpcMessage) => JsonRpcMessage | null;

/** The call goes on (with its arguments, redacted when a rule said so), or is refused. */
type ToolCallVerdict =
  | { readonly proceed: true; readonly arguments: unknown; readonly onResult: ToolResultCheck | null }
  | { readonly proceed: false; readonly refusal: McpRefusal };

/** Applies `tool_call` and `tool_result` rules to MCP tool calls. */
export interface McpToolPolicy {
  check(call: ToolCallUnderPolicy): Promise<ToolCallVerdict>;
}

/**
 * The key's `tool_call` rules decide a tool call before it reaches the server: `block` answers a
 * JSON-RPC error with the rule's message; `hold` keeps the agent waiting (progress notifications,
 * or SSE comments when its call carries no progress token) until a person approves or rejects it
 * through the approval queue; `redact` rewrites the arguments' strings; `log` tags. Its
 * `tool_result` rules then see what the tool returned: `block` turns the result into a JSON-RPC
 * error, `redact` rewrites its text. Every rule that matched is recorded on the call's event.
 */
export function createMcpToolPolicy(options: McpToolPolicyOptions): McpToolPolicy {
  const hashKey = redactionHashKeys(options.hashSecret);
  return {
    async check(call) {
      const set = options.sets.forKey(call.view, call.key, call.org.timeZone);
      if (set === null || (!(set instanceof PolicyCompileError) && !set.needs.toolCallRules && !set.needs.toolResultRules)) {
        return { proceed: true, arguments: call.arguments, onResult: null };
      }
      if (set instanceof PolicyCompileError) {
        return refuse(call, 503, 'policy_unavailable', 'A policy that applies to this key could not be loaded; an administrator needs to correct it.', 'error');
      }
      const context: ToolCallContext = {
        server: call.server,
        tool: call.tool,
        arguments: call.arguments,
        keyLabels: call.key.labels,
        keyMetadata: call.key.labels,
        headers: keywardHeaders(call.headers),
        now: options.now?.() ?? new Date(fleetNow()),
      };
      let args = call.arguments;
      if (set.needs.toolCallRules) {
        const decision = set.evaluateToolCall(context);
        note(call, decision, 'tool_call');
        if (decision.action === 'block') return refuse(call, 200, 'blocked', decision.block!.message, 'blocked');
        if (decision.action === 'hold') {
          const summary = approvalSummary({
            systemText: '',
            messages: [{ role: 'mcp', text: `Tool "${call.tool}" of MCP server "${call.server}"` }],
            toolCalls: [{ name: call.tool, arguments: call.arguments }],
          });
          // The stream starts at once, so the agent's HTTP client sees an answer begin while a person decides.
          call.connection.comment('keyward-hold');
          const held = await holdPolicyDecision(
            options,
            { ...call, api: 'mcp', endpoint: 'tools/call', model: null },
            call.connection,
            'tool_call',
            decision,
            summary,
          );
          if (!held.proceed) return refuse(call, held.error.status === 499 ? 499 : 200, held.error.code, held.error.message, held.decision);
          if (held.decision) call.decision = held.decision;
          if (held.tag) addTags(call.tags, [held.tag]);
        }
        if (decision.redact.length > 0) {
          const redactor = createRedactor(decision.redact, { hashKey: hashKey(call.org.id) });
          args = mapStrings(call.arguments, (text) => redactor.redact(text));
          if (JSON.stringify(args) !== JSON.stringify(call.arguments) && call.decision === 'allowed') call.decision = 'redacted';
        }
      }
      if (!set.needs.toolResultRules) return { proceed: true, arguments: args, onResult: null };
      const onResult: ToolResultCheck = (answer) => {
        const result = answer.result as ToolResult | undefined;
        if (answer.id !== call.id || typeof result !== 'object' || result === null) return null;
        const decision = set.evaluateToolResult({ call: context, text: resultText(result) });
        note(call, decision, 'tool_result');
        if (decision.action === 'block') {
          call.decision = 'blocked';
          return { jsonrpc: '2.0', id: answer.id, error: { code: RPC_ERRORS.refused, message: decision.block!.message } };
        }
        if (decision.redact.length === 0) return null;
        const redactor = createRedactor(decision.redact, { hashKey: hashKey(call.org.id) });
        const redacted = redactResult(result, (text) => redactor.redact(text));
        if (JSON.stringify(redacted) === JSON.stringify(result)) return null;
        if (call.decision === 'allowed') call.decision = 'redacted';
        return { ...answer, result: redacted };
      };
      return { proceed: true, arguments: args, onResult };
    },
  };
}

/** A `tools/call` result, as far as rules read it. */
interface ToolResult {
  readonly content?: unknown;
  readonly structuredContent?: unknown;
}

function note(call: ToolCallUnderPolicy, decision: PolicyDecision, phase: 'tool_call' | 'tool_result'): void {
  recordMatches(call.policy, decision.matches, phase);
  addTags(call.tags, decision.tags);
}

function refuse(call: ToolCallUnderPolicy, status: number, code: string, message: string, decision: Decision): ToolCallVerdict {
  return { proceed: false, refusal: new McpRefusal(status, RPC_ERRORS.refused, message, code, call.id, decision) };
}

/** What rules read of a result: its text parts (and embedded resources' text), then its structured content's strings, one per line. */
function resultText(result: ToolResult): string {
  const parts: string[] = [];
  if (Array.isArray(result.content)) {
    for (const item of result.content as { text?: unknown; resource?: { text?: unknown } }[]) {
      if (typeof item?.text === 'string') parts.push(item.text);
      else if (typeof item?.resource?.text === 'string') parts.push(item.resource.text);
    }
  }
  if (result.structuredContent !== undefined) parts.push(argumentsText(result.structuredContent));
  return parts.join('\n');
}

/** The result with the same texts `resultText` reads rewritten by `rewrite`; images and other data are left alone. */
function redactResult(result: ToolResult, rewrite: (text: string) => string): ToolResult {
  const content = Array.isArray(result.content)
    ? (result.content as Record<string, unknown>[]).map((item) => {
        if (typeof item?.text === 'string') return { ...item, text: rewrite(item.text) };
        const resource = item?.resource as Record<string, unknown> | undefined;
        if (typeof resource?.text === 'string') return { ...item, resource: { ...resource, text: rewrite(resource.text) } };
        return item;
      })
    : result.content;
  return {
    ...result,
    ...(content === undefined ? {} : { content }),
    ...(result.structuredContent === undefined ? {} : { structuredContent: mapStrings(result.structuredContent, rewrite) }),
  };
}

/** A copy of a JSON value with every string value (not keys) passed through `rewrite`. */
function mapStrings(value: unknown, rewrite: (text: string) => string, depth = 0): unknown {
  if (typeof value === 'string') return rewrite(value);
  if (depth >= 64 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, rewrite, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(value)) out[name] = mapStrings(item, rewrite, depth + 1);
  return out;
}

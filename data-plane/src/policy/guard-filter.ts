import type { CompiledPolicySet, NormalizedMessage, RequestContext } from '@keyward/shared';
import { HOLD_COMMENT } from '../approvals/hold.js';
import { GatewayError } from '../errors.js';
import type { AgentConnection } from '../steps/agent-connection.js';
import type { EnforcementContext } from '../steps/contract.js';
import type { BodyStep, FilterStep, FilterStop, ResponseFilter } from '../steps/response-filter.js';
import { parseData } from '../providers/types.js';
import type { SseEvent } from '../streaming/sse-parser.js';
import type { AnswerCodec } from '../providers/index.js';
import { holdPolicyDecision, type HoldDeps } from './holds.js';
import { addTags, recordMatches } from './matches.js';
import { approvalSummary } from './summary.js';

/** What the response guard works with. */
export interface GuardOptions {
  readonly set: CompiledPolicySet;
  readonly request: RequestContext;
  readonly codec: AnswerCodec;
  readonly ctx: EnforcementContext;
  readonly connection: AgentConnection;
  readonly holds: HoldDeps;
  /** The conversation, for an approver (parsed only if an answer is held). */
  readonly history: () => readonly NormalizedMessage[];
}

/**
 * Response rules (`on: response`) applied to the answer. Text streams through unless a rule
 * reads the answer's text; from the first tool-call event on (or from the start, when the text
 * is read), events are withheld, in order, while keep-alive comments tell a streaming agent the
 * answer is coming. When the provider's answer is complete the rules see its text and its
 * assembled tool calls: nothing matches → the withheld events go out as they came; `block` →
 * the stream ends with the API's error event instead; `hold` → the tool call waits for an
 * approval and is delivered only once approved. Whole (non-streamed) answers are inspected
 * before any byte is sent.
 */
export function guardFilter(options: GuardOptions): ResponseFilter {
  const { set, connection } = options;
  const inspector = options.codec.inspector();
  const queue: SseEvent[] = [];
  let withholding = set.needs.responseText;
  let keepAlive: NodeJS.Timeout | null = null;
  const stopKeepAlive = () => {
    if (keepAlive) clearInterval(keepAlive);
    keepAlive = null;
  };

  async function verdict(): Promise<{ stop?: FilterStop; decision?: EnforcementContext['decision'] }> {
    const decision = set.evaluateResponse({ request: options.request, text: inspector.text(), toolCalls: inspector.toolCalls() });
    recordMatches(options.ctx.policy, decision.matches, 'response');
    addTags(options.ctx.tags, decision.tags);
    if (decision.action === 'block') {
      return { stop: { error: new GatewayError('blocked', decision.block!.status, decision.block!.message), decision: 'blocked' } };
    }
    if (decision.action === 'allow') return {};
    const summary = approvalSummary({
      systemText: '',
      messages: [...options.history().slice(-3), { role: 'assistant', text: inspector.text() }],
      toolCalls: inspector.toolCalls(),
    });
    const held = await holdPolicyDecision(options.holds, options.ctx, connection, 'response', decision, summary);
    if (!held.proceed) return { stop: { error: held.error, decision: held.decision } };
    if (held.tag) addTags(options.ctx.tags, [held.tag]);
    return held.decision ? { decision: held.decision } : {};
  }

  return {
    event(event): FilterStep {
      const json = event.data === null ? undefined : parseData(event.data);
      const call = json !== undefined && inspector.event(event.event, json);
      if (call && set.needs.responseToolCalls) withholding = true;
      if (!withholding) return { send: [event] };
      queue.push(event);
      if (!keepAlive && connection.sse) keepAlive = setInterval(() => connection.comment(HOLD_COMMENT), options.holds.keepAliveMs);
      return { send: [] };
    },
    async end(): Promise<FilterStep> {
      stopKeepAlive();
      const { stop, decision } = await verdict();
      return stop ? { send: [], stop } : { send: queue.splice(0), decision };
    },
    async body(json): Promise<BodyStep> {
      inspector.body(json);
      const { stop, decision } = await verdict();
      return { json, stop, decision };
    },
    abandon: stopKeepAlive,
  };
}

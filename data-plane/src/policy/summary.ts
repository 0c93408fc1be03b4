import { detectPii, RedactionMapping, redactText, type ApprovalSummary, type NormalizedMessage, type ToolCall } from '@keyward/shared';
import { EXTRACT_ALL } from '../providers/index.js';
import type { EnforcementContext } from '../steps/contract.js';

/** The most recent messages shown to an approver. */
const MAX_MESSAGES = 20;
const MAX_CALLS = 20;
/** Characters kept of each text, after redaction. */
const MAX_TEXT = 4000;

/**
 * What an approver sees of a held request: the system prompt, the last messages and the tool
 * calls, each cut to a few thousand characters, with every kind of personal data and secret
 * the detectors know replaced by placeholders (one numbering across the summary, so the same
 * address reads `[EMAIL_1]` everywhere). Redaction runs before the cut, so a value cut in half
 * cannot slip past a detector.
 */
export function approvalSummary(parts: { systemText: string; messages: readonly NormalizedMessage[]; toolCalls: readonly ToolCall[] }): ApprovalSummary {
  const mapping = new RedactionMapping();
  const clean = (text: string) => cut(redactText(text, detectPii(text), 'placeholder', mapping, false).text);
  const messages: { role: string; text: string }[] = [];
  if (parts.systemText) messages.push({ role: 'system', text: clean(parts.systemText) });
  for (const message of parts.messages.slice(-MAX_MESSAGES)) messages.push({ role: message.role || 'user', text: clean(message.text) });
  const toolCalls = parts.toolCalls.slice(-MAX_CALLS).map((call) => ({
    name: call.name || '(unnamed)',
    arguments: clean(typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? null)),
  }));
  return { messages, toolCalls };
}

/** The approver's view of a held request, parsed in full (holds are rare; this path may read everything). */
export function requestSummary(ctx: Pick<EnforcementContext, 'operation' | 'body'>): ApprovalSummary {
  return approvalSummary(ctx.operation.request.extract(ctx.body, EXTRACT_ALL));
}

function cut(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT)}…[truncated]`;
}

import type { Tone } from '@/composables/tone';
import type { ApprovalFieldsFragment, ApprovalStatus } from '@/gql/graphql';

/** A held request's summary as the node sends it (personal data already redacted by the node). */
export interface HeldSummary {
  readonly messages: readonly { readonly role: string; readonly text: string }[];
  readonly toolCalls: readonly { readonly name: string; readonly arguments: string }[];
}

/** Reads the `summary` JSON defensively: anything unexpected becomes an empty list, never a crash. */
export function heldSummary(value: unknown): HeldSummary {
  const record = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object') : []);
  return {
    messages: list(record.messages).map((m) => ({ role: String(m.role ?? 'user'), text: String(m.text ?? '') })),
    toolCalls: list(record.toolCalls).map((c) => ({
      name: String(c.name ?? 'tool'),
      arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? {}),
    })),
  };
}

/** What held the request, in words: "Policy Guardrails, rule shell-off-hours (v3)" or "A budget set to hold". */
export function holdReason(a: Pick<ApprovalFieldsFragment, 'reason'>): string {
  const r = a.reason;
  if (r.kind === 'budget') return 'A budget set to hold for approval was reached';
  const policy = r.policyName ?? 'A deleted policy';
  return `${policy}${r.ruleId ? `, rule ${r.ruleId}` : ''}${r.policyVersion ? ` (v${r.policyVersion})` : ''}`;
}

const STATUS: Record<ApprovalStatus, { label: string; tone: Tone }> = {
  PENDING: { label: 'Waiting', tone: 'warning' },
  APPROVED: { label: 'Approved', tone: 'success' },
  REJECTED: { label: 'Rejected', tone: 'error' },
  EXPIRED: { label: 'Expired', tone: 'default' },
  FORWARDED: { label: 'Forwarded', tone: 'success' },
  REFUSED: { label: 'Refused', tone: 'error' },
  NODE_LOST: { label: 'Node restarted', tone: 'warning' },
};

/** A status in words with its colour. */
export function approvalStatus(status: ApprovalStatus): { label: string; tone: Tone } {
  return STATUS[status];
}

/** Who decided, for people: the person's name, "a signed Slack link", "the timeout". */
export function decidedBy(a: Pick<ApprovalFieldsFragment, 'decidedBy' | 'decidedByName' | 'decision'>): string {
  if (a.decision === 'EXPIRED') return 'nobody in time';
  if (a.decidedByName) return a.decidedByName;
  if (a.decidedBy?.startsWith('link:')) return `a signed ${a.decidedBy.slice(5)} link`;
  if (a.decidedBy?.startsWith('token:')) return 'an API token';
  return 'someone';
}

/** What the node finally did, in words. */
export const OUTCOMES: Record<string, string> = {
  forwarded: 'Sent to the provider',
  rejected: 'Refused: the agent got the rejection',
  timed_out_allowed: 'Timed out, then allowed',
  timed_out_blocked: 'Timed out, then blocked',
  client_gone: 'The agent hung up before the decision',
  node_restarted: 'The node restarted while holding it',
};

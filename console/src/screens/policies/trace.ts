import type { Tone } from '@/composables/tone';
import type { PolicyPhaseFieldsFragment } from '@/gql/graphql';

type Rule = PolicyPhaseFieldsFragment['rules'][number];
type Decision = PolicyPhaseFieldsFragment['decision'];

/** What a rule did on the sample, in a word, with its colour. */
export function ruleOutcome(rule: Rule): { label: string; tone: Tone } {
  if (!rule.reached) return { label: 'Not reached', tone: 'default' };
  if (!rule.matched) return { label: 'No match', tone: 'default' };
  if (rule.shadow) return { label: 'Matched (shadow)', tone: 'info' };
  if (rule.action === 'BLOCK') return { label: 'Matched: blocks', tone: 'error' };
  if (rule.action === 'HOLD') return { label: 'Matched: holds', tone: 'warning' };
  if (rule.action === 'REDACT') return { label: 'Matched: redacts', tone: 'info' };
  if (rule.action === 'ALLOW') return { label: 'Matched: allows', tone: 'success' };
  return { label: 'Matched: logs', tone: 'info' };
}

/** The decision as one sentence: "Blocked with 422: Credentials…", "Held for approval for 300 s, then blocked". */
export function decisionSentence(decision: Decision): { text: string; tone: Tone } {
  if (decision.action === 'BLOCK') {
    return { text: `Blocked with HTTP ${decision.block?.status ?? 403}${decision.block?.message ? `: ${decision.block.message}` : ''}`, tone: 'error' };
  }
  if (decision.action === 'HOLD') {
    const hold = decision.hold;
    return {
      text: hold
        ? `Held for approval for ${hold.timeoutSeconds} s, then ${hold.onTimeout === 'allow' ? 'allowed' : 'blocked'} if nobody decides`
        : 'Held for approval',
      tone: 'warning',
    };
  }
  const redacted = Array.isArray(decision.redact) && decision.redact.length > 0;
  return { text: redacted ? 'Allowed, with redactions' : 'Allowed', tone: 'success' };
}

/** The redactions a decision applies, for people: "contacts: email, phone → placeholder, restored". */
export function redactionLines(redact: unknown): string[] {
  if (!Array.isArray(redact)) return [];
  return redact.map((r: { ruleId?: string; detectors?: string[]; patterns?: { name?: string }[]; replacement?: string; restore?: boolean }) => {
    const what = [...(r.detectors ?? []), ...(r.patterns ?? []).map((p) => p.name ?? 'pattern')].join(', ');
    return `${r.ruleId ?? 'rule'}: ${what || 'nothing'} → ${r.replacement ?? 'placeholder'}${r.restore ? ', restored in the answer' : ''}`;
  });
}

/** What the decision would be with shadow rules enforced, or null when no shadow rule matched. */
export function shadowSentence(shadow: unknown): string | null {
  if (!shadow || typeof shadow !== 'object') return null;
  const s = shadow as { action?: string; block?: { status: number; message: string }; hold?: { timeoutSeconds: number; onTimeout: string } };
  if (!s.action) return null;
  return decisionSentence({
    action: s.action.toUpperCase() as Decision['action'],
    block: s.block ?? null,
    hold: s.hold ?? null,
    redact: [],
    tags: [],
    matches: [],
    shadow: null,
  }).text;
}

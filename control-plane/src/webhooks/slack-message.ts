/**
 * Slack Block Kit messages for notification events. Approval requests carry the held request's
 * summary (already redacted by the node) and Approve / Reject buttons; each button opens a
 * signed confirmation page, since an incoming webhook cannot receive Slack's interactive
 * callbacks. Slack limits a section's text to 3000 characters, so long texts are cut.
 */

/** Signed links to a confirmation page per action, or null when the request no longer waits. */
export interface ApprovalLinks {
  readonly approve: string;
  readonly reject: string;
}

interface ApprovalPayload {
  id: string;
  status: string;
  decision: string | null;
  phase: string;
  reason: { kind: string; policyName: string | null; ruleId: string | null; budgetId: string | null };
  key: { name: string; prefix: string; ownerLabel: string };
  nodeId: string;
  api: string;
  endpoint: string;
  model: string | null;
  summary: { messages: { role: string; text: string }[]; toolCalls: { name: string; arguments: string }[] };
  expiresAt: string;
  onTimeout: string;
  decidedByName: string | null;
  decidedBy: string | null;
  decisionReason: string | null;
}

const SECTION_LIMIT = 2900;

/** The Slack message for one event. */
export function slackMessage(event: string, payload: Record<string, unknown>, links: ApprovalLinks | null): Record<string, unknown> {
  const approval = payload.approval as ApprovalPayload | undefined;
  if (event === 'approval.requested' && approval) return requested(approval, links);
  if (event === 'approval.decided' && approval) return decided(approval);
  const text = `Keyward: ${escape(event)}`;
  return { text, blocks: [section(`*${text}*\n\`\`\`${escape(cut(JSON.stringify(payload, null, 2), SECTION_LIMIT - 40))}\`\`\``)] };
}

function requested(a: ApprovalPayload, links: ApprovalLinks | null): Record<string, unknown> {
  const text = `Approval needed: ${a.key.name} (${a.key.prefix}) wants to call ${a.model ?? a.endpoint}`;
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: cut('Approval needed', 150) } },
    {
      type: 'section',
      fields: [
        field('Key', `${a.key.name} (${a.key.prefix})\n${a.key.ownerLabel}`),
        field('Call', `${a.api} ${a.endpoint}${a.model ? ` · ${a.model}` : ''}`),
        field(
          'Held by',
          a.reason.kind === 'policy'
            ? `policy ${a.reason.policyName ?? '(deleted)'} · rule ${a.reason.ruleId}`
            : a.reason.kind === 'budget'
              ? `budget ${a.reason.budgetId}`
              : 'the key’s hold after unusual activity',
        ),
        // Slack's date token shows the time in each reader's own zone; the ISO text is its fallback.
        rawField(
          'Expires',
          `<!date^${Math.floor(Date.parse(a.expiresAt) / 1000)}^{date_short} {time}|${escape(a.expiresAt)}>, then ${a.onTimeout === 'allow' ? 'allowed' : 'blocked'}`,
        ),
      ],
    },
  ];
  const summary = summaryText(a);
  if (summary) blocks.push(section(summary));
  if (links) {
    blocks.push({
      type: 'actions',
      elements: [
        { type: 'button', text: { type: 'plain_text', text: 'Approve' }, style: 'primary', url: links.approve, action_id: 'approve' },
        { type: 'button', text: { type: 'plain_text', text: 'Reject' }, style: 'danger', url: links.reject, action_id: 'reject' },
      ],
    });
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Each button opens a confirmation page; its link works once.' }] });
  } else {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `No longer waiting for a decision (${escape(a.status)}).` }] });
  }
  return { text, blocks };
}

function decided(a: ApprovalPayload): Record<string, unknown> {
  const who = a.decidedByName ?? a.decidedBy;
  const verdict =
    a.decision === 'expired' ? `expired without a decision; it was ${a.onTimeout === 'allow' ? 'allowed' : 'blocked'}` : `${a.decision} by ${who ?? 'someone'}`;
  const text = `Request from ${a.key.name} (${a.key.prefix}) ${verdict}`;
  const reason = a.decisionReason ? `\n>${escape(cut(a.decisionReason, 500))}` : '';
  return { text, blocks: [section(`${escape(text)}${reason}`)] };
}

function summaryText(a: ApprovalPayload): string {
  const lines: string[] = [];
  for (const m of a.summary.messages.slice(-6)) lines.push(`*${escape(m.role)}:* ${escape(cut(m.text, 600))}`);
  for (const call of a.summary.toolCalls.slice(0, 5)) lines.push(`*tool call* \`${escape(call.name)}\` \`${escape(cut(call.arguments, 400))}\``);
  return cut(lines.join('\n'), SECTION_LIMIT);
}

function field(title: string, value: string) {
  return rawField(title, escape(cut(value, 1900)));
}

function rawField(title: string, mrkdwn: string) {
  return { type: 'mrkdwn', text: `*${title}*\n${mrkdwn}` };
}

function section(text: string) {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

/** Slack's mrkdwn treats &, < and > as control characters. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

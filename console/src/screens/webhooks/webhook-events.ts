/** Notification events a webhook or Slack can receive, with what each means. */
export const WEBHOOK_EVENTS = [
  { value: 'approval.requested', label: 'A request is held for approval', hint: 'With signed approve and reject links.' },
  { value: 'approval.decided', label: 'A held request is approved, rejected or expires', hint: '' },
  { value: 'budget.threshold', label: 'A budget crosses an alert threshold', hint: 'Once per threshold and period.' },
  { value: 'pool_key.revealed', label: 'A pool recipient opens their key link', hint: 'With the hashed address it was opened from.' },
  { value: 'pool_key.link_resent', label: 'A new key link is emailed to a pool recipient', hint: '' },
  { value: 'pool_key.rotated', label: 'A pool recipient rotates their key', hint: '' },
  { value: 'pool_key.revoked', label: "A pool recipient's key is revoked", hint: '' },
  { value: 'pool_key.expired', label: "A pool recipient's key expires", hint: 'Its own expiry or its pool’s.' },
  {
    value: 'pool_key.limit_hit',
    label: "A pool recipient's key is refused by its budget or rate limit",
    hint: 'Once per key and budget period (rate limits: per hour).',
  },
  {
    value: 'anomaly.detected',
    label: "A key's request sets off its anomaly response",
    hint: 'With the score and reasons; at most once per key in fifteen minutes.',
  },
] as const;

/** "approval.requested" → "A request is held for approval". */
export function eventLabel(value: string): string {
  return WEBHOOK_EVENTS.find((e) => e.value === value)?.label ?? value;
}

/**
 * Checks a webhook URL before sending it: an absolute https URL (plain http is accepted only by
 * control planes that allow loopback upstreams, so the control plane has the last word).
 */
export function checkWebhookUrl(text: string): string | null {
  const value = text.trim();
  if (!value) return 'Enter the URL Keyward should POST to.';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'Enter a full URL, starting with https://.';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'The URL must start with https://.';
  if (url.username || url.password) return 'Put credentials in the receiver, not in the URL: every delivery is signed instead.';
  return null;
}

/** Checks a Slack incoming-webhook URL, which Slack issues under hooks.slack.com/services/. */
export function checkSlackUrl(text: string): string | null {
  const value = text.trim();
  if (!value) return 'Paste the incoming webhook URL Slack gave you.';
  if (!/^https:\/\/hooks\.slack\.com\/services\/\S+$/.test(value)) return 'A Slack incoming webhook URL starts with https://hooks.slack.com/services/.';
  return null;
}

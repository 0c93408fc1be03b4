import { describe, expect, it } from 'vitest';
import { checkSlackUrl, checkWebhookUrl, eventLabel } from './webhook-events';

describe('webhook form checks', () => {
  it('accepts https URLs and explains what is wrong with others', () => {
    expect(checkWebhookUrl('https://hooks.example.com/keyward')).toBeNull();
    expect(checkWebhookUrl('')).toMatch(/Enter the URL/);
    expect(checkWebhookUrl('hooks.example.com')).toMatch(/full URL/);
    expect(checkWebhookUrl('ftp://example.com')).toMatch(/https/);
    expect(checkWebhookUrl('https://user:pw@example.com')).toMatch(/signed/);
  });

  it('accepts only Slack incoming webhook URLs for Slack', () => {
    expect(checkSlackUrl('https://hooks.slack.com/services/T000/B000/XXXX')).toBeNull();
    expect(checkSlackUrl('https://example.com/services/x')).toMatch(/hooks\.slack\.com/);
  });

  it('names events for people', () => {
    expect(eventLabel('budget.threshold')).toBe('A budget crosses an alert threshold');
    expect(eventLabel('other.event')).toBe('other.event');
  });
});

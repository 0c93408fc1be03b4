import { describe, expect, it } from 'vitest';
import { testPolicy } from './test-policy.js';

const doc = {
  name: 'Agent guardrails',
  rules: [
    {
      id: 'tag-planner',
      when: { header: { name: 'x-keyward-agent-id', eq: 'planner' } },
      action: { type: 'log', tags: ['planner'] },
    },
    { id: 'no-secrets', when: { prompt: { pii: 'credentials' } }, action: { type: 'block', message: 'Secrets are not allowed' } },
    { id: 'big-models', when: { all: [{ model: 'gpt-4*' }, { inputTokens: { gt: 1000 } }] }, action: 'hold', shadow: true },
    { id: 'emails', when: { prompt: { pii: 'email' } }, action: { type: 'redact', detectors: 'email', restore: true } },
    {
      id: 'dangerous-answer',
      on: 'response',
      when: { toolCall: { name: 'shell', args: { path: '$.cmd', contains: 'rm' } } },
      action: 'block',
    },
  ],
};

describe('testPolicy', () => {
  it('explains every rule and gives the final decision', () => {
    const result = testPolicy(doc, {
      model: 'gpt-4o',
      headers: { 'X-Keyward-Agent-Id': 'planner' },
      messages: [{ role: 'user', text: 'mail bob@example.com about it' }],
      estimatedInputTokens: 5000,
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.request.rules).toEqual([
      {
        ruleId: 'tag-planner',
        index: 0,
        on: 'request',
        action: 'log',
        shadow: false,
        reached: true,
        matched: true,
        reason: 'header "x-keyward-agent-id" is "planner", which passes eq "planner"',
      },
      {
        ruleId: 'no-secrets',
        index: 1,
        on: 'request',
        action: 'block',
        shadow: false,
        reached: true,
        matched: false,
        reason: expect.stringMatching(/^no openai_api_key, .* found in the prompt$/),
      },
      {
        ruleId: 'big-models',
        index: 2,
        on: 'request',
        action: 'hold',
        shadow: true,
        reached: true,
        matched: true,
        reason: 'model "gpt-4o" matches "gpt-4*"; estimated input tokens is 5000, which passes gt 1000',
      },
      {
        ruleId: 'emails',
        index: 3,
        on: 'request',
        action: 'redact',
        shadow: false,
        reached: true,
        matched: true,
        reason: 'prompt contains email',
      },
    ]);
    expect(result.request.decision).toMatchObject({
      action: 'allow',
      tags: ['planner'],
      redact: [{ ruleId: 'emails', detectors: ['email'], restore: true }],
      shadow: { action: 'hold' },
    });
    expect(result.response).toBeNull();
  });

  it('marks rules after a terminal match as not reached, while still explaining them', () => {
    const result = testPolicy(doc, {
      messages: [{ role: 'user', text: 'token ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8 and bob@example.com' }],
    });
    if (!result.ok) throw new Error('expected a result');
    const emails = result.request.rules.find((r) => r.ruleId === 'emails');
    expect(emails).toMatchObject({ reached: false, matched: true });
    expect(result.request.decision).toMatchObject({
      action: 'block',
      block: { status: 403, message: 'Secrets are not allowed' },
      redact: [],
    });
  });

  it('tests response rules when the sample has a response', () => {
    const result = testPolicy(doc, { response: { toolCalls: [{ name: 'shell', arguments: '{"cmd":"rm -rf /tmp/x"}' }] } });
    if (!result.ok) throw new Error('expected a result');
    expect(result.response?.rules).toEqual([
      expect.objectContaining({ ruleId: 'dangerous-answer', matched: true, reason: 'tool call "shell" in the answer matches' }),
    ]);
    expect(result.response?.decision.action).toBe('block');
  });

  it('accepts an ISO time in the sample', () => {
    const result = testPolicy(
      { name: 'p', rules: [{ id: 'night', when: { timeOfDay: { between: ['22:00', '06:00'] } }, action: 'block' }] },
      { now: '2025-01-01T23:00:00+01:00' },
      { defaultTimeZone: 'Europe/Paris' },
    );
    if (!result.ok) throw new Error('expected a result');
    expect(result.request.rules[0]).toMatchObject({
      matched: true,
      reason: 'local time Wed 23:00 in Europe/Paris is within 22:00–06:00',
    });
  });

  it('returns the policy errors when the document is invalid', () => {
    const result = testPolicy({ name: 'p', rules: [{ id: 'r', action: 'nope' }] }, {});
    expect(result).toMatchObject({ ok: false, errors: [{ path: 'rules[0].action' }] });
  });

  it('returns precise errors for a malformed sample', () => {
    const result = testPolicy(doc, { model: 4, messages: [{ role: 'user' }], now: 'yesterday', headers: { 'x-keyward-a': 1 } });
    expect(result).toEqual({
      ok: false,
      errors: [
        { path: 'sample.model', message: '"sample.model" must be a string, not the number 4' },
        { path: 'sample.headers["x-keyward-a"]', message: '"sample.headers["x-keyward-a"]" must be a string, not the number 1' },
        { path: 'sample.messages[0]', message: '"sample.messages[0]" must be an object with a string "text"' },
        {
          path: 'sample.now',
          message: '"sample.now" must be an ISO date-time such as "2025-01-31T09:30:00Z", not the string "yesterday"',
        },
      ],
    });
  });
});

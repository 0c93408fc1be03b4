import { describe, expect, it } from 'vitest';
import { compilePolicies } from './compile.js';
import type { RequestContext } from './context.js';

function request(overrides: Partial<RequestContext> = {}): RequestContext {
  return {
    provider: 'anthropic',
    api: 'anthropic',
    endpoint: 'messages',
    model: 'claude-sonnet-4-5',
    keyLabels: { env: 'prod', priority: '5' },
    keyMetadata: { team: { name: 'ml', members: [{ id: 'u1' }, { id: 'u2' }] }, budget: 12 },
    headers: { 'x-keyward-agent-id': 'planner', 'x-keyward-run-id': 'run-42' },
    messages: [
      { role: 'user', text: 'Please summarise this.' },
      { role: 'assistant', text: 'Sure.' },
    ],
    systemText: 'You are a careful assistant.',
    toolsOffered: ['read_file', 'shell_exec'],
    toolCalls: [{ name: 'read_file', arguments: { path: '/etc/passwd', lines: 20 } }],
    estimatedInputTokens: 4000,
    maxOutputTokens: 1024,
    estimatedCostMicros: 25_000,
    now: new Date('2025-03-04T08:30:00Z'), // Tuesday 09:30 in Paris
    ...overrides,
  };
}

/** Whether a single rule with condition `when` matches the request. */
function matches(when: unknown, ctx: RequestContext = request()): boolean {
  const set = compilePolicies([{ id: 'p', version: 1, scope: 'org', document: { name: 'p', rules: [{ id: 'r', when, action: 'block' }] } }]);
  return set.evaluateRequest(ctx).action === 'block';
}

describe('conditions', () => {
  it('combine with all, any and not', () => {
    expect(matches({ all: [{ provider: 'anthropic' }, { model: 'claude-*' }] })).toBe(true);
    expect(matches({ all: [{ provider: 'anthropic' }, { model: 'gpt-*' }] })).toBe(false);
    expect(matches({ any: [{ provider: 'openai' }, { model: 'claude-*' }] })).toBe(true);
    expect(matches({ not: { provider: 'anthropic' } })).toBe(false);
  });

  it('match provider, API family and endpoint', () => {
    expect(matches({ provider: ['openai', 'anthropic'] })).toBe(true);
    expect(matches({ api: 'gemini' })).toBe(false);
    expect(matches({ endpoint: 'messages' })).toBe(true);
    expect(matches({ endpoint: 'chat.*' })).toBe(false);
  });

  it('match models exactly or by glob', () => {
    expect(matches({ model: 'claude-sonnet-4-5' })).toBe(true);
    expect(matches({ model: 'claude-sonnet-4' })).toBe(false);
    expect(matches({ model: 'claude-*-4-?' })).toBe(true);
    expect(matches({ model: ['gpt-4o', '*sonnet*'] })).toBe(true);
  });

  it('test key labels, comparing numbers with numeric strings', () => {
    expect(matches({ keyLabel: { name: 'env', eq: 'prod' } })).toBe(true);
    expect(matches({ keyLabel: { name: 'env', in: ['dev', 'staging'] } })).toBe(false);
    expect(matches({ keyLabel: { name: 'priority', gt: 3 } })).toBe(true);
    expect(matches({ keyLabel: { name: 'priority', eq: 5 } })).toBe(true);
    expect(matches({ keyLabel: { name: 'owner', exists: false } })).toBe(true);
    expect(matches({ keyLabel: { name: 'owner', neq: 'x' } })).toBe(false); // an absent value fails every comparison
    expect(matches({ keyLabel: { name: 'constructor', exists: true } })).toBe(false); // never the prototype
  });

  it('test key metadata through JSON paths', () => {
    expect(matches({ keyMetadata: { path: '$.team.name', eq: 'ml' } })).toBe(true);
    expect(matches({ keyMetadata: { path: 'team.members[*].id', eq: 'u2' } })).toBe(true);
    expect(matches({ keyMetadata: { path: '$.team.members[5].id', exists: true } })).toBe(false);
    expect(matches({ keyMetadata: { path: '$.budget', lte: 12, gte: 12 } })).toBe(true);
    expect(matches({ keyMetadata: { path: '$.missing', exists: false } })).toBe(true);
  });

  it('test x-keyward headers by case-insensitive name', () => {
    expect(matches({ header: { name: 'X-Keyward-Agent-Id', eq: 'planner' } })).toBe(true);
    expect(matches({ header: { name: 'x-keyward-run-id', regex: '^run-\\d+$' } })).toBe(true);
    expect(matches({ header: { name: 'x-keyward-user', exists: true } })).toBe(false);
  });

  it('search the prompt, which joins every message', () => {
    expect(matches({ prompt: { contains: 'summarise' } })).toBe(true);
    expect(matches({ prompt: { contains: 'SUMMARISE' } })).toBe(false);
    expect(matches({ prompt: { contains: ['nothing', 'SUMMARISE'], ignoreCase: true } })).toBe(true);
    expect(matches({ prompt: { regex: 'this\\.\\nSure' } })).toBe(true);
    expect(matches({ prompt: { regex: 'ignore (all )?previous', ignoreCase: true } })).toBe(false);
    expect(matches({ prompt: { contains: 'careful' } })).toBe(false); // that is the system prompt
  });

  it('search the system prompt separately', () => {
    expect(matches({ system: { contains: 'careful' } })).toBe(true);
    expect(matches({ system: { pii: 'email' } })).toBe(false);
    expect(matches({ system: { pii: 'email' } }, request({ systemText: 'Escalate to ops@corp.example' }))).toBe(true);
  });

  it('find PII and secrets in the prompt', () => {
    const leaky = request({ messages: [{ role: 'user', text: 'card 4111 1111 1111 1111 please' }] });
    expect(matches({ prompt: { pii: 'payment_card' } }, leaky)).toBe(true);
    expect(matches({ prompt: { pii: 'credentials' } }, leaky)).toBe(false);
    expect(matches({ prompt: { pii: 'all' } }, leaky)).toBe(true);
  });

  it('match offered tools by glob', () => {
    expect(matches({ toolOffered: 'shell_*' })).toBe(true);
    expect(matches({ toolOffered: ['browser', 'code_*'] })).toBe(false);
  });

  it('match tool calls in the conversation by name and arguments on the same call', () => {
    expect(matches({ toolCall: { name: 'read_file' } })).toBe(true);
    expect(
      matches({
        toolCall: {
          name: 'read_file',
          args: [
            { path: '$.path', contains: 'passwd' },
            { path: '$.lines', lt: 50 },
          ],
        },
      }),
    ).toBe(true);
    expect(matches({ toolCall: { name: 'read_file', args: { path: '$.lines', gt: 50 } } })).toBe(false);
    expect(matches({ toolCall: { args: { path: '$.path', in: ['/etc/shadow', '/etc/passwd'] } } })).toBe(true);
    expect(matches({ toolCall: {} }, request({ toolCalls: [] }))).toBe(false);
  });

  it('parse tool-call arguments delivered as JSON text, and test text that is not JSON as a string', () => {
    const asText = request({
      toolCalls: [
        { name: 'run', arguments: '{"cmd":"rm -rf /","tags":["a","b"]}' },
        { name: 'echo', arguments: 'plain words' },
      ],
    });
    expect(matches({ toolCall: { name: 'run', args: { path: '$.cmd', regex: '^rm\\s' } } }, asText)).toBe(true);
    expect(matches({ toolCall: { name: 'run', args: { path: '$.tags', contains: 'b' } } }, asText)).toBe(true);
    expect(matches({ toolCall: { name: 'echo', args: { path: '$', contains: 'words' } } }, asText)).toBe(true);
  });

  it('compare token estimates, output limits and cost', () => {
    expect(matches({ inputTokens: { gt: 3000, lt: 5000 } })).toBe(true);
    expect(matches({ inputTokens: { gte: 4001 } })).toBe(false);
    expect(matches({ maxOutputTokens: { gt: 1000 } })).toBe(true);
    expect(matches({ maxOutputTokens: { gt: 0 } }, request({ maxOutputTokens: null }))).toBe(false);
    expect(matches({ costMicros: { gt: 20_000 } })).toBe(true);
    expect(matches({ costMicros: { eq: 25_001 } })).toBe(false);
  });

  it('match time of day and weekday in a time zone', () => {
    expect(matches({ timeOfDay: { between: ['09:00', '17:00'], timeZone: 'Europe/Paris' } })).toBe(true);
    expect(matches({ timeOfDay: { between: ['09:00', '17:00'], timeZone: 'UTC' } })).toBe(false);
    expect(matches({ timeOfDay: { weekdays: ['tue'], timeZone: 'Europe/Paris' } })).toBe(true);
    expect(matches({ timeOfDay: { between: ['09:00', '17:00'], weekdays: ['sat', 'sun'], timeZone: 'Europe/Paris' } })).toBe(false);
    // Tuesday 00:30 in Auckland (UTC+13 in March) is still Monday in UTC.
    expect(matches({ timeOfDay: { weekdays: ['mon'] } }, request({ now: new Date('2025-03-03T11:30:00Z') }))).toBe(true);
    expect(matches({ timeOfDay: { weekdays: ['tue'], timeZone: 'Pacific/Auckland' } }, request({ now: new Date('2025-03-03T11:30:00Z') }))).toBe(true);
  });

  it('handle windows that wrap past midnight, start inclusive and end exclusive', () => {
    const night = { timeOfDay: { between: ['22:00', '06:00'], timeZone: 'UTC' } };
    expect(matches(night, request({ now: new Date('2025-03-04T23:15:00Z') }))).toBe(true);
    expect(matches(night, request({ now: new Date('2025-03-04T05:59:00Z') }))).toBe(true);
    expect(matches(night, request({ now: new Date('2025-03-04T06:00:00Z') }))).toBe(false);
    expect(matches(night, request({ now: new Date('2025-03-04T22:00:00Z') }))).toBe(true);
    expect(matches({ timeOfDay: { between: ['18:00', '24:00'], timeZone: 'UTC' } }, request({ now: new Date('2025-03-04T23:59:00Z') }))).toBe(true);
  });

  it('follow daylight saving time changes', () => {
    const nine = { timeOfDay: { between: ['09:00', '09:01'], timeZone: 'Europe/Paris' } };
    expect(matches(nine, request({ now: new Date('2025-03-28T08:00:00Z') }))).toBe(true); // UTC+1
    expect(matches(nine, request({ now: new Date('2025-03-31T07:00:00Z') }))).toBe(true); // UTC+2
    expect(matches(nine, request({ now: new Date('2025-03-31T08:00:00Z') }))).toBe(false);
  });

  it('use the policy default time zone when a condition names none', () => {
    const set = compilePolicies([
      {
        id: 'p',
        version: 1,
        scope: 'org',
        defaultTimeZone: 'America/New_York',
        document: { name: 'p', rules: [{ id: 'r', when: { timeOfDay: { between: ['03:00', '04:00'] } }, action: 'block' }] },
      },
    ]);
    expect(set.evaluateRequest(request()).action).toBe('block'); // 08:30 UTC is 03:30 in New York
  });

  it('test the HDP delegation provenance: result, principal, intent, classification, hop count and agents', () => {
    const verified = request({
      provenance: {
        result: 'valid',
        principalId: 'usr_alice',
        principalType: 'opaque',
        intent: 'Summarize the quarterly SALES figures.',
        classification: 'confidential',
        hopCount: 3,
        agentIds: ['orchestrator-v2', 'sql-agent-v1', 'report-writer'],
      },
    });
    expect(matches({ provenance: { result: 'valid', principalId: 'usr_*', principalType: 'opaque' } }, verified)).toBe(true);
    expect(matches({ provenance: { intentContains: ['sales'], classification: ['confidential', 'restricted'] } }, verified)).toBe(true);
    expect(matches({ provenance: { hopCount: { gt: 2 }, agentIds: 'sql-*' } }, verified)).toBe(true);
    expect(matches({ provenance: { hopCount: { lte: 2 } } }, verified)).toBe(false);
    expect(matches({ provenance: { agentIds: 'shell-*' } }, verified)).toBe(false);
    expect(matches({ provenance: { principalId: 'usr_bob' } }, verified)).toBe(false);

    const absent = request({
      provenance: { result: 'absent', principalId: null, principalType: null, intent: null, classification: null, hopCount: 0, agentIds: [] },
    });
    expect(matches({ provenance: { result: 'absent' } }, absent)).toBe(true);
    // Tests of the principal or scope need a verified token.
    expect(matches({ not: { provenance: { principalId: '*' } } }, absent)).toBe(true);
    expect(matches({ provenance: { result: 'absent' } })).toBe(false);
  });

  it('test the request’s anomaly score above a value and its reasons', () => {
    const looping = request({ anomaly: { score: 91, reasons: ['request_rate', 'new_client'] } });
    expect(matches({ anomaly: { scoreAbove: 80 } }, looping)).toBe(true);
    expect(matches({ anomaly: { scoreAbove: 91 } }, looping)).toBe(false);
    expect(matches({ anomaly: { scoreAbove: 80, reasons: ['new_tool', 'new_client'] } }, looping)).toBe(true);
    expect(matches({ anomaly: { reasons: 'new_tool' } }, looping)).toBe(false);
    expect(matches({ anomaly: { scoreAbove: 0 } }, request({ anomaly: { score: 0, reasons: [] } }))).toBe(false);
    // Without a score (nothing scored the request) the condition does not match.
    expect(matches({ anomaly: { scoreAbove: 0 } })).toBe(false);
    const set = compilePolicies([
      { id: 'p', version: 1, scope: 'org', document: { name: 'p', rules: [{ id: 'r', when: { anomaly: { scoreAbove: 80 } }, action: 'block' }] } },
    ]);
    expect(set.needs.anomaly).toBe(true);
  });
});
